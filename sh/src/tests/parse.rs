//! Tests of the parser: lists, and-or chains, pipelines, commands, redirections, assignments,
//! every syntax error and its message.
use crate::error::{ErrorKind, SyntaxError};
use crate::lex::Piece;
use crate::parse::{Command, Connector, Pipeline, Script, parse};
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use alloc::{format, vec};

/// A compact rendering of a script: items separated by ` ; ` or ` & `, connectors, `|`,
/// commands as `[assigns argv redirects]`, variables as `$NAME`.
fn show(script: &Script) -> String {
    let mut out = String::new();
    for item in &script.items {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&show_pipeline(&item.and_or.first));
        for (connector, pipeline) in &item.and_or.rest {
            out.push_str(if *connector == Connector::And {
                " && "
            } else {
                " || "
            });
            out.push_str(&show_pipeline(pipeline));
        }
        out.push_str(if item.background { " &;" } else { " ;" });
    }
    out
}

fn show_pipeline(pipeline: &Pipeline) -> String {
    pipeline
        .commands
        .iter()
        .map(show_command)
        .collect::<Vec<_>>()
        .join(" | ")
}

fn show_word(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Lit(s) => s.clone(),
            Piece::Var(v) => format!("${v}"),
            Piece::Status => "$?".into(),
        })
        .collect()
}

fn show_command(command: &Command) -> String {
    let mut parts: Vec<String> = Vec::new();
    for a in &command.assigns {
        parts.push(format!("{}={}", a.name, show_word(&a.value.pieces)));
    }
    for w in &command.argv {
        parts.push(show_word(&w.pieces));
    }
    for r in &command.redirects {
        let file = r
            .file
            .as_ref()
            .map(|w| show_word(&w.pieces))
            .unwrap_or_default();
        parts.push(format!("{}{file}", r.op.text()));
    }
    format!("[{}]", parts.join(" "))
}

fn ok(line: &str) -> String {
    show(&parse(line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
}

fn err(line: &str) -> SyntaxError {
    parse(line).unwrap_err()
}

fn unexpected(pos: usize, text: &str) -> SyntaxError {
    SyntaxError::new(pos, ErrorKind::Unexpected(text.into()))
}

#[test]
fn empty_and_blank_lines() {
    assert_eq!(parse("").unwrap(), Script::default());
    assert_eq!(parse("   ").unwrap(), Script::default());
    assert_eq!(parse("# just a comment").unwrap(), Script::default());
    assert_eq!(parse("\n\n").unwrap(), Script::default());
}

#[test]
fn simple_command() {
    assert_eq!(ok("echo hello world"), "[echo hello world] ;");
    let script = parse("  ls -l").unwrap();
    assert_eq!(script.items[0].and_or.first.commands[0].pos, 2);
}

#[test]
fn pipelines() {
    assert_eq!(ok("a | b | c"), "[a] | [b] | [c] ;");
    assert_eq!(ok("a|b"), "[a] | [b] ;");
    assert_eq!(ok("a |\nb"), "[a] | [b] ;");
}

#[test]
fn lists_and_background() {
    assert_eq!(ok("a; b & c"), "[a] ; [b] &; [c] ;");
    assert_eq!(ok("a;"), "[a] ;");
    assert_eq!(ok("a &"), "[a] &;");
    assert_eq!(ok("a\nb\n\nc"), "[a] ; [b] ; [c] ;");
    assert_eq!(ok("sleep 1 | cat &"), "[sleep 1] | [cat] &;");
}

#[test]
fn and_or_chains() {
    assert_eq!(ok("a && b || c"), "[a] && [b] || [c] ;");
    assert_eq!(ok("a | b && c | d"), "[a] | [b] && [c] | [d] ;");
    assert_eq!(ok("a &&\n\nb"), "[a] && [b] ;");
    assert_eq!(ok("a || b & c && d"), "[a] || [b] &; [c] && [d] ;");
}

#[test]
fn redirections() {
    assert_eq!(ok("sort < in > out"), "[sort <in >out] ;");
    assert_eq!(ok("echo x >> log 2> err"), "[echo x >>log 2>err] ;");
    assert_eq!(ok("> f"), "[>f] ;");
    assert_eq!(ok("cmd 2>&1 | less"), "[cmd 2>&1] | [less] ;");
    assert_eq!(ok("echo >&2 oops"), "[echo oops >&2] ;");
    assert_eq!(ok("a 2>>e >f 2>&1"), "[a 2>>e >f 2>&1] ;");
    assert_eq!(ok("cat <\"my file\""), "[cat <my file] ;");
    assert_eq!(ok("cat < $F"), "[cat <$F] ;");
}

#[test]
fn redirect_positions() {
    let script = parse("a > f 2>&1").unwrap();
    let positions: Vec<usize> = script.items[0].and_or.first.commands[0]
        .redirects
        .iter()
        .map(|r| r.pos)
        .collect();
    assert_eq!(positions, vec![2, 6]);
}

#[test]
fn assignments() {
    assert_eq!(ok("X=1"), "[X=1] ;");
    assert_eq!(ok("X=1 Y=$X cmd a=b"), "[X=1 Y=$X cmd a=b] ;");
    assert_eq!(ok("X= cmd"), "[X= cmd] ;");
    let script = parse("X= Y=\"a b\"$Z").unwrap();
    let command = &script.items[0].and_or.first.commands[0];
    assert_eq!(command.argv.len(), 0);
    assert_eq!(command.assigns[0].name, "X");
    assert_eq!(command.assigns[0].value.pieces, vec![]);
    assert_eq!(command.assigns[1].name, "Y");
    assert_eq!(
        command.assigns[1].value.pieces,
        vec![Piece::Lit("a b".into()), Piece::Var("Z".into())]
    );
    assert!(command.assigns[1].value.quoted);
    assert_eq!(command.assigns[1].value.pos, 5);
}

#[test]
fn assignment_after_a_redirection_is_still_an_assignment() {
    assert_eq!(ok(">f X=1 cmd"), "[X=1 cmd >f] ;");
}

#[test]
fn export_arguments_are_plain_words() {
    let script = parse("export X=1 Y").unwrap();
    let command = &script.items[0].and_or.first.commands[0];
    assert!(command.assigns.is_empty());
    assert_eq!(command.argv.len(), 3);
    assert_eq!(command.argv[1].literal().as_deref(), Some("X=1"));
}

#[test]
fn builtins_are_ordinary_commands() {
    assert_eq!(
        ok("cd /tmp && pwd; exit 3"),
        "[cd /tmp] && [pwd] ; [exit 3] ;"
    );
}

#[test]
fn comment_after_commands() {
    assert_eq!(ok("a | b # c | d"), "[a] | [b] ;");
}

#[test]
fn error_leading_operators() {
    assert_eq!(err("| a"), unexpected(0, "|"));
    assert_eq!(err("&& a"), unexpected(0, "&&"));
    assert_eq!(err("|| a"), unexpected(0, "||"));
    assert_eq!(err("; a"), unexpected(0, ";"));
    assert_eq!(err("& a"), unexpected(0, "&"));
}

#[test]
fn error_doubled_separators() {
    assert_eq!(err("a ;; b"), unexpected(3, ";"));
    assert_eq!(err("a & ; b"), unexpected(4, ";"));
    assert_eq!(err("a | | b"), unexpected(4, "|"));
    assert_eq!(err("a && || b"), unexpected(5, "||"));
    assert_eq!(err("a | ; b"), unexpected(4, ";"));
    assert_eq!(err("a | &"), unexpected(4, "&"));
}

#[test]
fn error_missing_command_at_the_end() {
    assert_eq!(
        err("a |"),
        SyntaxError::new(2, ErrorKind::MissingCommand("|"))
    );
    assert_eq!(
        err("a | \n"),
        SyntaxError::new(2, ErrorKind::MissingCommand("|"))
    );
    assert_eq!(
        err("a &&"),
        SyntaxError::new(2, ErrorKind::MissingCommand("&&"))
    );
    assert_eq!(
        err("a ||  "),
        SyntaxError::new(2, ErrorKind::MissingCommand("||"))
    );
}

#[test]
fn error_redirection_without_file() {
    assert_eq!(err("a >"), SyntaxError::new(2, ErrorKind::MissingFile(">")));
    assert_eq!(err("a <"), SyntaxError::new(2, ErrorKind::MissingFile("<")));
    assert_eq!(
        err("a 2>>"),
        SyntaxError::new(2, ErrorKind::MissingFile("2>>"))
    );
    assert_eq!(err("a > | b"), unexpected(4, "|"));
    assert_eq!(err("a > ; b"), unexpected(4, ";"));
    assert_eq!(err("a >\nb"), unexpected(3, "newline"));
    assert_eq!(err("a > < b"), unexpected(4, "<"));
}

#[test]
fn lexical_errors_come_through() {
    assert_eq!(
        err("echo 'x | y"),
        SyntaxError::new(5, ErrorKind::UnterminatedQuote('\''))
    );
}

#[test]
fn error_messages() {
    assert_eq!(
        err("a | | b").to_string(),
        "sh: syntax error near '|' at column 5"
    );
    assert_eq!(
        err("a |").to_string(),
        "sh: missing command after | at column 3"
    );
    assert_eq!(
        err("echo \"x").to_string(),
        "sh: unterminated quote \" at column 6"
    );
    assert_eq!(
        err("a >").to_string(),
        "sh: missing file name after > at column 3"
    );
    assert_eq!(err("a ${").to_string(), "sh: unterminated ${ at column 3");
    assert_eq!(
        err("a ${1}").to_string(),
        "sh: bad substitution ${1} at column 3"
    );
    assert_eq!(
        err("a \\").to_string(),
        "sh: backslash at end of input at column 3"
    );
    assert_eq!(
        err("a >\n").to_string(),
        "sh: syntax error near 'newline' at column 4"
    );
}

#[test]
fn incomplete_errors_ask_for_more_input() {
    assert!(err("echo 'x").incomplete());
    assert!(err("a |").incomplete());
    assert!(err("a &&").incomplete());
    assert!(err("a \\").incomplete());
    assert!(!err("| a").incomplete());
    assert!(!err("a >").incomplete());
    assert!(!err("${").incomplete());
}
