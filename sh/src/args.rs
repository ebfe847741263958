//! Command-line options of the utilities: single-letter flags, clustered (`-cv`), and a count
//! (`-n N`, `-nN`, or `-N` as in `head -5`) for the programs that take one. `--` ends the
//! options, and so does the first operand or a lone `-` (stdin).
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// The options and operands found.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Parsed<'a> {
    /// The flag letters given, in order (repeats kept).
    pub flags: Vec<char>,
    /// The count from `-n`, if given.
    pub count: Option<usize>,
    /// The operands (usually file names).
    pub operands: Vec<&'a str>,
}

impl Parsed<'_> {
    /// Whether flag `letter` was given.
    pub fn has(&self, letter: char) -> bool {
        self.flags.contains(&letter)
    }
}

/// Parses `args` (without the program name) for program `program` accepting the flag letters
/// in `letters` and, if `takes_count`, a count. Errors read `head: unknown option -x` etc.
pub fn parse<'a>(
    program: &str,
    args: &[&'a str],
    letters: &str,
    takes_count: bool,
) -> Result<Parsed<'a>, String> {
    let mut parsed = Parsed::default();
    let mut rest = args.iter();
    while let Some(&arg) = rest.next() {
        if arg == "--" {
            break;
        }
        let Some(cluster) = arg.strip_prefix('-').filter(|c| !c.is_empty()) else {
            parsed.operands.push(arg);
            break;
        };
        if takes_count && cluster.bytes().all(|b| b.is_ascii_digit()) {
            parsed.count = Some(number(program, cluster)?);
            continue;
        }
        for (i, letter) in cluster.char_indices() {
            if takes_count && letter == 'n' {
                let value = match &cluster[i + 1..] {
                    "" => *rest
                        .next()
                        .ok_or(format!("{program}: option -n needs a number"))?,
                    inline => inline,
                };
                parsed.count = Some(number(program, value)?);
                break;
            }
            if !letters.contains(letter) {
                return Err(format!("{program}: unknown option -{letter}"));
            }
            parsed.flags.push(letter);
        }
    }
    parsed.operands.extend(rest);
    Ok(parsed)
}

fn number(program: &str, text: &str) -> Result<usize, String> {
    text.parse()
        .map_err(|_| format!("{program}: invalid number '{text}'"))
}
