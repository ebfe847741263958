//! The benchmark report: docs/BENCHMARKS.md (table, machine, date, command) and bench.json.

use super::*;

// ---------------------------------------------------------------------------------------------
// Reports

/// What the report says about the run besides the numbers.
pub(super) struct Context {
    pub(super) accel: Accel,
    pub(super) repeats: usize,
    pub(super) commands: Vec<String>,
    pub(super) guest_kernel: Option<String>,
    pub(super) native_kernel: Option<String>,
    pub(super) duration: Duration,
    /// The programs ran in quick mode (one repeat per line).
    pub(super) quick: bool,
    /// The stage breakdown's section (Markdown), when it ran.
    pub(super) stages: Option<String>,
    /// The idle machine's figures (`idle.rs`), when they were measured (or why not).
    pub(super) idle: Option<Result<idle::IdleFigures, String>>,
}

/// The idle machine's section of docs/BENCHMARKS.md.
pub(super) fn idle_markdown(idle: &Result<idle::IdleFigures, String>) -> String {
    let mut doc = String::from("## The idle machine

");
    match idle {
        Ok(f) => {
            let _ = writeln!(doc, "Measured by `xtask/src/bench/idle.rs` (`cargo xtask bench idle` alone): the shell booted as by `cargo xtask run`, on a pseudo-terminal.
");
            let _ = writeln!(doc, "| measure | figure | goal |
|---|---|---|");
            let _ = writeln!(doc, "| host CPU of QEMU, shell idle at its prompt ({:.0} s, `/proc/<pid>/stat` utime+stime) | {:.2}% of one core | < 2% |", f.window, f.cpu_percent);
            let _ = writeln!(doc, "| `sleep 2` typed at the shell, Enter to next prompt | {:.3} s | |", f.sleep2);
            let _ = writeln!(doc, "| `sleep 0` the same way (the cost of any command) | {:.3} s | |", f.sleep0);
            let _ = writeln!(doc, "| so the sleep itself (difference) | {:.3} s ({:+.1}%) | within 2% of 2 s |", f.sleep2 - f.sleep0, ((f.sleep2 - f.sleep0) / 2.0 - 1.0) * 100.0);
        }
        Err(why) => {
            let _ = writeln!(doc, "Not measured: {why}");
        }
    }
    doc
}

/// The host: CPU model and count, from /proc/cpuinfo.
pub(super) fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name")?.split_once(':').map(|(_, m)| m.trim().to_string()))
        .unwrap_or_else(|| "unknown CPU".into());
    let cpus = cpuinfo.lines().filter(|line| line.starts_with("processor")).count();
    format!("{model}, {cpus} CPUs")
}

/// The first line of `qemu-system-x86_64 --version`.
pub(super) fn qemu_version() -> String {
    tool_output(Command::new(qemu::QEMU).arg("--version"), "qemu --version")
        .ok()
        .and_then(|text| text.lines().next().map(String::from))
        .unwrap_or_else(|| "unknown".into())
}

/// Today's date (UTC) as YYYY-MM-DD.
pub(super) fn today() -> String {
    let seconds = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((seconds / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The proleptic Gregorian date of day `days` after 1970-01-01 (Howard Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The scale section of docs/BENCHMARKS.md: rates derived from the time columns (one over a line's
/// time per operation), or `None` in a run without time figures.
pub(super) fn scale_markdown(results: &Results) -> Option<String> {
    let exo = results.column(Side::Exo, Mode::Time);
    let guest = results.column(Side::LinuxGuest, Mode::Time);
    if exo.runs == 0 {
        return None;
    }
    let per_second = |ns: Option<f64>| ns.filter(|&ns| ns > 0.0).map_or("not measured".to_string(), |ns| format!("{:.0} per second", 1e9 / ns));
    let seconds = |ns: Option<f64>| ns.map_or("not measured".to_string(), |ns| format!("{:.2} s", ns / 1e9));
    let mut doc = String::from("## Scale\n\nRates from the *time* columns above (plain boots; one over the median time per operation):\n\n");
    let _ = writeln!(doc, "| figure | Exo | Linux guest |\n|---|---|---|");
    let _ = writeln!(doc, "| environments created per second (`env_create`: a bare environment, created and destroyed) | {} | no such object |", per_second(exo.median_of("env_create")));
    let _ = writeln!(doc, "| programs started per second (`spawn` + exit + wait) | {} | {} |", per_second(exo.median_of("spawn")), per_second(guest.median_of("spawn")));
    let _ = writeln!(doc, "| processes forked per second (`fork` + exit + wait) | {} | {} |", per_second(exo.median_of("fork")), per_second(guest.median_of("fork")));
    let _ = writeln!(doc, "| time to map and touch 1 GiB (`touch_1g`) | {} | {} |", seconds(exo.median_of("touch_1g")), seconds(guest.median_of("touch_1g")));
    Some(doc)
}

/// docs/BENCHMARKS.md.
pub(super) fn benchmarks_markdown(table: &str, results: &Results, context: &Context) -> String {
    let mut doc = String::new();
    let accel = if context.accel == Accel::Tcg { "tcg" } else { "kvm" };
    let _ = writeln!(doc, "# Benchmarks\n");
    let _ = writeln!(
        doc,
        "Generated by `cargo xtask bench --accel {accel} --repeats {}{}{}` (issue 7); do not edit by hand, run it again.\n",
        context.repeats,
        if results.modes == [Mode::Instructions] { " --icount" } else { "" },
        if context.quick { " --quick" } else { "" }
    );
    let _ = writeln!(doc, "- date: {} (UTC), whole run {:.0} s", today(), context.duration.as_secs_f64());
    let _ = writeln!(doc, "- machine: {}", machine());
    let _ = writeln!(doc, "- QEMU: {}, `-machine pc -m {} -smp 1 -accel {accel} -cpu {}`", qemu_version(), super::BENCH_MEM.qemu_arg(),
                     if context.accel == Accel::Tcg { "max" } else { "host" });
    let _ = writeln!(doc, "- Linux guest kernel: {} (Debian `{KERNEL_META_PACKAGE}`), command line `{LINUX_CMDLINE}`",
                     context.guest_kernel.as_deref().unwrap_or("not run"));
    let _ = writeln!(doc, "- Linux native kernel: {}", context.native_kernel.as_deref().unwrap_or("not run"));
    let exo_cmdline = if context.quick { EXO_QUICK_CMDLINE } else { EXO_CMDLINE };
    let _ = writeln!(doc, "- Exo: `{exo_cmdline}`, programs `user/benches/src/bin/ipcbench.rs`, `bench.rs`, `vmbench.rs` and `procbench.rs`; Linux program `bench/linux` (`linuxbench`, Rust, static non-PIE: `+crt-static`, `relocation-model=static`)\n");
    let _ = writeln!(doc, "{table}");
    let _ = writeln!(
        doc,
        "**How to read it.** Each figure is per operation: the median over {} boots (or native runs) of each \
         run's median of {INNER_REPEATS} repeats, each repeat timing many operations with `rdtsc` (the loop \
         around the operation is included, on both sides alike). *instr* columns come from boots with \
         `-icount shift=0,sleep=off -seed 1`, where `rdtsc` counts retired guest instructions, so they are \
         deterministic up to timer interrupts; *time* columns from plain boots, where under TCG `rdtsc` is the \
         host's TSC, converted to time with the TSC rate each side reports (Exo's kernel calibrates it against \
         the PIT; the Linux program against `CLOCK_MONOTONIC`). Ratios are Linux guest / Exo: above 1, Exo is \
         faster. *Exo / limit* is Exo's instruction count (its time, in a run without instruction counts: \
         the column's label says which) over the bare crossing's in the same boots (`syscall` \
         to an empty stub and `sysretq` back, or, for the lines that take a fault, `int` into an empty handler \
         and `iretq` back: docs/ABI.md), i.e. what the path costs beyond the hardware's own. \
         The chart: [bench-ratios.svg](bench-ratios.svg). Linux native ran on different (real) hardware: it is for reference only, never divide Exo by it. \
         \"n/a (needs X)\" marks a line whose Exo mechanism has not landed; it will appear when it does.\n",
        context.repeats
    );
    let _ = writeln!(doc, "## What each line measures\n");
    for line in &results.lines {
        let _ = writeln!(doc, "- **{}** (`{}`): {}", line.label, line.exo, line.note);
    }
    let _ = writeln!(doc, "\n{}", super::net::NET_SECTION.trim_end());
    if let Some(stages) = &context.stages {
        let _ = writeln!(doc, "\n{stages}");
    }
    if let Some(idle) = &context.idle {
        let _ = writeln!(doc, "\n{}", idle_markdown(idle));
    }
    if let Some(scale) = scale_markdown(results) {
        let _ = writeln!(doc, "\n{scale}");
    }
    let _ = writeln!(doc, "\n## Runs\n");
    for (side, mode) in [
        (Side::Exo, Mode::Instructions),
        (Side::LinuxGuest, Mode::Instructions),
        (Side::Exo, Mode::Time),
        (Side::LinuxGuest, Mode::Time),
        (Side::LinuxNative, Mode::Time),
    ] {
        let column = results.column(side, mode);
        let status = match &column.failure {
            Some(why) => format!("{} successful runs; last failure: {why}", column.runs),
            None => format!("{} runs", column.runs),
        };
        let _ = writeln!(doc, "- {} ({}): {status}", side.name(), mode.name());
    }
    let _ = writeln!(doc, "\nQEMU command lines (first repeat):\n\n```");
    for command in &context.commands {
        let _ = writeln!(doc, "{command}");
    }
    let _ = writeln!(doc, "```");
    doc
}

/// A JSON string literal.
pub(super) fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A cell as JSON: a number, or `null`.
pub(super) fn json_cell(cell: &Cell) -> String {
    match cell {
        Cell::Value(v) => format!("{v:.3}"),
        Cell::Missing(_) => "null".into(),
    }
}

/// target/exo/bench.json: one object per line, with every column's median and min.
pub(super) fn bench_json(results: &Results, context: &Context) -> String {
    let accel = if context.accel == Accel::Tcg { "tcg" } else { "kvm" };
    let mut out = String::from("{\n");
    let _ = writeln!(out, "  \"date\": {},", json_string(&today()));
    let _ = writeln!(out, "  \"machine\": {},", json_string(&machine()));
    let _ = writeln!(out, "  \"qemu\": {},", json_string(&qemu_version()));
    let _ = writeln!(out, "  \"accel\": {},", json_string(accel));
    let _ = writeln!(out, "  \"linux_guest_kernel\": {},", context.guest_kernel.as_deref().map_or("null".into(), json_string));
    let _ = writeln!(out, "  \"linux_native_kernel\": {},", context.native_kernel.as_deref().map_or("null".into(), json_string));
    let _ = writeln!(out, "  \"repeats\": {},", context.repeats);
    let _ = writeln!(out, "  \"inner_repeats\": {INNER_REPEATS},");
    let _ = writeln!(out, "  \"units\": {{\"instructions\": \"guest instructions per operation\", \"time\": \"ns per operation\"}},");
    out.push_str("  \"lines\": [\n");
    for (i, line) in results.lines.iter().enumerate() {
        let mut fields = vec![
            format!("\"name\": {}", json_string(line.exo)),
            format!("\"label\": {}", json_string(line.label)),
            format!("\"linux_counterpart\": {}", line.linux.map_or("null".into(), json_string)),
        ];
        for (side, key) in [(Side::Exo, "exo"), (Side::LinuxGuest, "linux_guest"), (Side::LinuxNative, "linux_native")] {
            for mode in [Mode::Instructions, Mode::Time] {
                if side == Side::LinuxNative && mode == Mode::Instructions {
                    continue;
                }
                let cell = results.cell(line, side, mode);
                let column = results.column(side, mode);
                let name = if side == Side::Exo { Some(line.exo) } else { line.linux };
                let min = name.and_then(|n| column.mins.get(n)).map_or("null".into(), |v| format!("{v:.3}"));
                let why = match &cell {
                    Cell::Missing(why) => json_string(why),
                    Cell::Value(_) => "null".into(),
                };
                let unit = mode.name();
                fields.push(format!("\"{key}_{unit}\": {}", json_cell(&cell)));
                fields.push(format!("\"{key}_{unit}_min\": {min}"));
                fields.push(format!("\"{key}_{unit}_missing\": {why}"));
            }
        }
        let _ = write!(out, "    {{{}}}", fields.join(", "));
        out.push_str(if i + 1 < results.lines.len() { ",\n" } else { "\n" });
    }
    out.push_str("  ]\n}\n");
    out
}

