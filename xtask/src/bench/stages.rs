//! The stage breakdown (issue 7 item 5): where the ticks of Exo's hot paths go.
//!
//! This file owns building the instrumented pair (the kernel with `--features stages` into
//! `target/kernel-stages`, the `stages` program with `user-benches`' `stages` feature into
//! `target/user-stages`, and a boot archive `target/exo/initrd-stages.cpio` holding it), booting it
//! once per mode, parsing `user/benches/src/stages.rs`'s `STAGES`/`STAGE` lines, sorting each
//! interval into a stage (entry, check, work, exit, library, user code), and the section of
//! docs/BENCHMARKS.md that shows them (with the prose of `stages-analysis.md` beside this file).

use super::*;

/// The kernel command line of the instrumented boot.
pub(super) const STAGES_CMDLINE: &str = "mode=test run=stages";
/// What the program prints last.
const STAGES_DONE: &str = "BENCH stages done";
/// The prose that says where the ticks go (hand-written; included in docs/BENCHMARKS.md).
const ANALYSIS: &str = include_str!("stages-analysis.md");

/// One traced line: the median total and its intervals `(from, to, ticks)`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Traced {
    pub total: f64,
    pub runs: u32,
    pub intervals: Vec<(String, String, f64)>,
}

/// Builds the instrumented kernel and program; returns (kernel, initrd).
pub(super) fn build_stages() -> Result<(PathBuf, PathBuf), String> {
    let root = workspace_root();
    build::cargo(&[
        "build", "--release", "-p", "kernel", "--features", "stages", "--target-dir", "target/kernel-stages",
        "--config", "kernel/cargo-kernel.toml",
    ])?;
    build::cargo(&[
        "build", "--release", "-p", "user-benches", "--bin", "stages", "--features", "stages", "--target-dir",
        "target/user-stages", "--config", "user/cargo-user.toml",
    ])?;
    let kernel = root.join("target/kernel-stages/x86_64-unknown-linux-gnu/release/kernel");
    let program = root.join("target/user-stages/x86_64-unknown-linux-gnu/release/stages");
    let mut programs = build::user_programs()?;
    programs.push(crate::bootfs::Program { name: "stages".into(), folder: "bench", path: program });
    let initrd = build::exo_dir().join("initrd-stages.cpio");
    crate::image::write_initrd(&programs, &initrd)?;
    Ok((kernel, initrd))
}

/// Parses the program's output: line -> trace.
pub fn parse_stages(output: &str) -> BTreeMap<String, Traced> {
    let mut traced: BTreeMap<String, Traced> = BTreeMap::new();
    for line in output.lines() {
        let fields = |prefix: &str| -> Option<BTreeMap<&str, &str>> {
            let rest = &line[line.find(prefix)? + prefix.len()..];
            rest.split_whitespace().map(|w| w.split_once('=')).collect()
        };
        if let Some(f) = fields("STAGES ") {
            let (Some(name), Some(total), Some(runs)) = (f.get("line"), f.get("total"), f.get("runs")) else { continue };
            let entry = traced.entry(name.to_string()).or_default();
            entry.total = total.parse().unwrap_or(f64::NAN);
            entry.runs = runs.parse().unwrap_or(0);
        } else if let Some(f) = fields("STAGE ") {
            let (Some(name), Some(from), Some(to), Some(ticks)) = (f.get("line"), f.get("from"), f.get("to"), f.get("ticks"))
            else {
                continue;
            };
            let Ok(ticks) = ticks.parse() else { continue };
            traced.entry(name.to_string()).or_default().intervals.push((from.to_string(), to.to_string(), ticks));
        }
    }
    traced
}

/// The stage an interval belongs to, from the points that bound it (`k:` kernel, `u:` user).
pub fn stage_of(from: &str, to: &str) -> &'static str {
    let kernel_entry = ["k:syscall-saved", "k:trap-saved"];
    match (from, to) {
        (_, "k:fpu-saved" | "k:dispatch") => "entry",
        (f, t) if kernel_entry.contains(&t) && f.starts_with("u:") => "entry",
        ("k:leave", t) if kernel_entry.contains(&t) => "user code (the other side)",
        (_, t) if kernel_entry.contains(&t) => "entry",
        (_, "k:decoded" | "k:checked") => "check",
        (_, "k:done" | "k:switched") => "work",
        (_, "k:exit" | "k:leave") => "exit",
        ("k:leave", _) => "exit",
        (f, t) if f.starts_with("u:handler") || t.starts_with("u:handler") => "library (ExOS handler)",
        _ => "user code",
    }
}

/// Boots the instrumented pair once in `mode`; returns the traces, in the mode's ticks.
pub(super) fn run_stages(accel: Accel, kernel: &Path, initrd: &Path, mode: Mode) -> Result<BTreeMap<String, Traced>, String> {
    let media = Media::Kernel { kernel, initrd, cmdline: STAGES_CMDLINE };
    let captured = qemu::run_captured(bench_qemu_command(accel, &media, mode), EXO_TIMEOUT)?;
    let serial = String::from_utf8_lossy(&captured.serial);
    let log = build::exo_dir().join("bench-logs").join(format!("stages-{}.log", mode.name()));
    let _ = std::fs::write(&log, &captured.serial); // A convenience; the run goes on without it.
    if !serial.contains(STAGES_DONE) {
        return Err(format!("the stages boot did not print `{STAGES_DONE}`; serial log in {}", display(&log)));
    }
    Ok(parse_stages(&serial))
}

/// The breakdown section of docs/BENCHMARKS.md: per line, each interval with its stage, in
/// instructions and (when a time boot ran) TSC cycles, then the prose.
pub(super) fn stages_markdown(instructions: &BTreeMap<String, Traced>, time: &BTreeMap<String, Traced>) -> String {
    let mut doc = String::new();
    let _ = writeln!(doc, "## Where the ticks go\n");
    let _ = writeln!(
        doc,
        "Measured by `user/benches/src/stages.rs` on a kernel and ExOS built with the `stages` feature \
         (`{STAGES_CMDLINE}`; `abi::stages`): each hot path stamps the point it reached and `rdtsc` into a ring, \
         and the program lists the intervals between consecutive stamps of one operation (medians over the \
         operations that took the most common path). *instr* is guest instructions (`-icount`), *cycles* TSC \
         cycles of a plain TCG boot. Every interval includes one stamp (the line `stamp`: 14 instructions), \
         so a path's total here exceeds the table's figure by that much per interval.\n"
    );
    for (name, traced) in instructions {
        let cycles = time.get(name);
        let _ = writeln!(doc, "### `{name}`: {} instructions{}\n", format_count(traced.total),
                         cycles.map_or(String::new(), |c| format!(", {} cycles", format_count(c.total))));
        let mut sums: Vec<(&'static str, f64, f64)> = Vec::new();
        let mut rows = Vec::new();
        for (i, (from, to, ticks)) in traced.intervals.iter().enumerate() {
            let stage = stage_of(from, to);
            let cycle = cycles.and_then(|c| c.intervals.get(i)).filter(|(f, t, _)| f == from && t == to).map(|x| x.2);
            match sums.iter_mut().find(|(s, _, _)| *s == stage) {
                Some(sum) => {
                    sum.1 += ticks;
                    sum.2 += cycle.unwrap_or(f64::NAN);
                }
                None => sums.push((stage, *ticks, cycle.unwrap_or(f64::NAN))),
            }
            rows.push(vec![format!("{from} → {to}"), stage.to_string(), format_count(*ticks),
                           cycle.map_or("-".into(), format_count)]);
        }
        let _ = writeln!(doc, "{}", markdown_table(&["interval", "stage", "instr", "cycles"], &rows));
        let summary: Vec<String> = sums
            .iter()
            .map(|(stage, instr, cycles)| {
                let cycles = if cycles.is_finite() { format!(" / {} cycles", format_count(*cycles)) } else { String::new() };
                format!("{stage} {}{cycles}", format_count(*instr))
            })
            .collect();
        let _ = writeln!(doc, "By stage (instructions / cycles): {}.\n", summary.join("; "));
    }
    doc.push_str(ANALYSIS);
    doc
}
