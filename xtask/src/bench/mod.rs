//! `cargo xtask bench`: the paper's primitives on Exo against Linux, side by side (issue 7).
//!
//! This file owns the benchmark harness: it boots Exo with the programs of `user/benches/`
//! (`mode=test run=ipcbench,bench,vmbench,procbench`) and a Linux guest (Debian's kernel,
//! fetched with `apt-get download` and cached under `target/linux/`) whose initramfs `/init` is
//! the static Rust program `bench/linux` (`linuxbench`), both under the same QEMU command line ([`qemu::qemu_command`]), each in
//! two modes: **time** (plain; rdtsc is the host TSC, converted to ns with the TSC rate each side
//! reports) and **instructions** (`-icount shift=0,sleep=off -seed 1`; rdtsc counts retired guest
//! instructions; `--icount` runs only this mode). It also runs the Linux program natively for reference. Both programs print
//! `BENCH name=<id> median=<ticks per op> min=<ticks per op> iters=<n>`; the table shows, per line,
//! the median over the boots of each boot's median. It writes `docs/BENCHMARKS.md` and
//! `target/exo/bench.json`. A line a side did not print is "n/a" with the reason, never a number.
//!
//! Parts: `lines.rs` (the table's rows), `linux.rs` (the Linux guest: kernel, program, initramfs),
//! `report.rs` (BENCHMARKS.md and bench.json), `unit_tests.rs`, `program_test.rs` (the Linux program
//! built and run natively by `cargo test`).

use crate::build::{self, display, workspace_root};
use crate::install::{self, Tools};
use crate::qemu::{self, Accel, AccelRequest, Media, Serial};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

mod format;
pub mod idle;
mod lines;
mod linux;
pub(super) mod net;
mod wire;
mod outputs;
mod report;
mod stages;
pub use format::*;
use lines::*;
use outputs::*;
use linux::*;
use report::*;
#[cfg(test)]
use stages::{parse_stages, stage_of};

/// The linker and static C library (libc.a) of the Linux benchmark program (`+crt-static`).
const GCC_TOOLS: Tools = Tools {
    binaries: &["gcc"],
    paths: &[],
    packages: &["gcc", "libc6-dev"],
};

/// The Debian meta-package whose dependency names the current kernel image package.
const KERNEL_META_PACKAGE: &str = "linux-image-amd64";
/// The Linux guest's kernel command line.
const LINUX_CMDLINE: &str = "console=ttyS0 quiet panic=-1";
/// Exo's kernel command line: the IPC round trips (`ipcbench`), then the rest (`bench`, which
/// prints `BENCH done`), then the virtual-memory primitives (`vmbench`), then the process and
/// scheduling lines (`procbench`: yield, pct_async, getppid, fork, spawn).
const EXO_CMDLINE: &str = "mode=test run=ipcbench,bench,vmbench,procbench";
/// The same programs in quick mode: `--quick` after `--` is their argument (one repeat per line).
pub const EXO_QUICK_CMDLINE: &str = "mode=test run=ipcbench,bench,vmbench,procbench -- --quick";
/// The Linux guest's command line in quick mode: `quick` after `--` is the /init program's argument.
const LINUX_QUICK_CMDLINE: &str = "console=ttyS0 quiet panic=-1 -- quick";
/// Both programs print this after their last benchmark.
const DONE: &str = "BENCH done";
/// What an Exo boot must print: each of its programs finished (vmbench.rs ends with the second,
/// procbench.rs with the third).
const EXO_DONE: &[&str] = &[DONE, "BENCH vmbench done", "BENCH procbench done"];
/// Repeats inside one run of either program (REPEATS in bench.rs and bench/linux/src/measure.rs).
const INNER_REPEATS: u32 = 7;

const EXO_TIMEOUT: Duration = Duration::from_secs(120);
const LINUX_TIMEOUT: Duration = Duration::from_secs(600);
const NATIVE_TIMEOUT: Duration = Duration::from_secs(300);


// ---------------------------------------------------------------------------------------------
// Parsing the programs' output

/// One `BENCH` line: ticks per operation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub median: f64,
    pub min: f64,
    pub iters: u64,
}

/// Parses `BENCH name=<id> median=<x> min=<x> iters=<n>` (fields in any order, extra ignored).
/// Returns `None` for any other line, including `BENCH done`.
pub fn parse_bench_line(line: &str) -> Option<(String, Sample)> {
    let rest = line.trim().strip_prefix("BENCH ")?;
    let mut fields = BTreeMap::new();
    for word in rest.split_whitespace() {
        let (key, value) = word.split_once('=')?;
        fields.insert(key, value);
    }
    let number = |key: &str| fields.get(key)?.parse::<f64>().ok().filter(|x| x.is_finite());
    let name = fields.get("name")?.to_string();
    let sample = Sample {
        median: number("median")?,
        min: number("min")?,
        iters: fields.get("iters")?.parse().ok()?,
    };
    Some((name, sample))
}

/// Every `BENCH` line in `output`, by name (a later line with the same name wins). Lines may
/// be preceded by other output on the same line (kernel log prefixes): the `BENCH ` is searched.
pub fn parse_bench_output(output: &str) -> BTreeMap<String, Sample> {
    output
        .lines()
        .filter_map(|line| line.find("BENCH ").and_then(|at| parse_bench_line(&line[at..])))
        .collect()
}

/// The value of `BENCHINFO <key>=<value>` in `output`.
pub fn parse_info<'a>(output: &'a str, key: &str) -> Option<&'a str> {
    let prefix = format!("BENCHINFO {key}=");
    output
        .lines()
        .find_map(|line| line.trim().strip_prefix(prefix.as_str()))
        .map(str::trim)
}

/// The TSC rate Exo's kernel logs at boot (`... TSC 2603 MHz`), in Hz.
pub fn parse_exo_tsc_hz(output: &str) -> Option<f64> {
    output.lines().find_map(|line| {
        let (_, after) = line.split_once("TSC ")?;
        let mhz: f64 = after.trim_end().strip_suffix(" MHz")?.trim().parse().ok()?;
        Some(mhz * 1e6)
    })
}

/// The median of `values` (the mean of the middle two for an even count); `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

// ---------------------------------------------------------------------------------------------
// Results

/// The two measuring modes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// rdtsc = TSC cycles, converted to ns.
    Time,
    /// `-icount shift=0,sleep=off`: rdtsc = retired guest instructions.
    Instructions,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Time => "time",
            Mode::Instructions => "instructions",
        }
    }
}

/// Where a column's numbers come from.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Side {
    Exo,
    LinuxGuest,
    LinuxNative,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Exo => "Exo",
            Side::LinuxGuest => "Linux guest",
            Side::LinuxNative => "Linux native",
        }
    }
}

/// Everything collected for one (side, mode): per-run samples, converted to the mode's unit
/// (ns or instructions), or why there are none.
#[derive(Debug, Default)]
struct Column {
    /// name -> one value per successful run (the run's median), in the column's unit.
    medians: BTreeMap<String, Vec<f64>>,
    /// name -> the smallest per-op value seen in any run (the run's min), in the column's unit.
    mins: BTreeMap<String, f64>,
    /// Why the column is empty or incomplete (the last failure), if it is.
    failure: Option<String>,
    runs: u32,
}

impl Column {
    /// Adds one run's samples, each multiplied by `scale` (ns per tick, or 1).
    fn add_run(&mut self, samples: &BTreeMap<String, Sample>, scale: f64) {
        self.runs += 1;
        for (name, sample) in samples {
            self.medians.entry(name.clone()).or_default().push(sample.median * scale);
            let min = self.mins.entry(name.clone()).or_insert(f64::INFINITY);
            *min = min.min(sample.min * scale);
        }
    }

    fn median_of(&self, name: &str) -> Option<f64> {
        median(self.medians.get(name)?)
    }
}

/// What a table cell shows: a number, or why there is none.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Value(f64),
    Missing(String),
}

/// All columns: (side, mode) -> Column.
#[derive(Default)]
pub(super) struct Results {
    exo: [Column; 2],
    guest: [Column; 2],
    native: Column,
    /// The Linux guest's `uname -r`, from its output.
    guest_kernel: Option<String>,
    /// The table's rows: every line, or those FILTER selects.
    lines: Vec<&'static Line>,
    /// The modes this run boots in (empty: both, as under TCG).
    modes: Vec<Mode>,
}

impl Results {
    fn column(&self, side: Side, mode: Mode) -> &Column {
        let m = (mode == Mode::Instructions) as usize;
        match side {
            Side::Exo => &self.exo[m],
            Side::LinuxGuest => &self.guest[m],
            Side::LinuxNative => &self.native,
        }
    }

    fn column_mut(&mut self, side: Side, mode: Mode) -> &mut Column {
        let m = (mode == Mode::Instructions) as usize;
        match side {
            Side::Exo => &mut self.exo[m],
            Side::LinuxGuest => &mut self.guest[m],
            Side::LinuxNative => &mut self.native,
        }
    }

    /// The cell for `line` on `side` in `mode`.
    fn cell(&self, line: &Line, side: Side, mode: Mode) -> Cell {
        let column = self.column(side, mode);
        let name = match side {
            Side::Exo => Some(line.exo),
            _ => line.linux,
        };
        let Some(name) = name else {
            return Cell::Missing("no such call".into());
        };
        if let Some(value) = column.median_of(name) {
            return Cell::Value(value);
        }
        if side == Side::Exo && column.runs > 0 {
            return Cell::Missing(format!("needs {}", line.exo_needs));
        }
        match &column.failure {
            Some(why) => Cell::Missing(short_reason(why)),
            None if column.runs == 0 => Cell::Missing("not run".into()),
            None => Cell::Missing("not printed".into()),
        }
    }

    /// The modes the table shows, instructions first: those this run boots in.
    fn table_modes(&self) -> Vec<Mode> {
        [Mode::Instructions, Mode::Time]
            .into_iter()
            .filter(|mode| self.modes.is_empty() || self.modes.contains(mode))
            .collect()
    }

    /// The mode of the "Exo / limit" column: instructions when this run has Exo instruction
    /// counts, else time (a KVM host, or the instruction boots failed), else none.
    fn limit_mode(&self) -> Option<Mode> {
        let modes = self.table_modes();
        let has_figures = |mode: &Mode| self.column(Side::Exo, *mode).runs > 0;
        modes.iter().copied().find(has_figures).or_else(|| modes.first().copied())
    }

    /// The table's header, matching [`Results::rows`]: per mode shown, Exo, Linux guest and their
    /// ratio; "Exo / limit" after the group of its mode, labelled with it; Linux native last.
    fn header(&self) -> Vec<String> {
        let mut header = vec!["primitive".to_string()];
        for mode in self.table_modes() {
            let unit = if mode == Mode::Instructions { "instr" } else { "time" };
            header.extend([format!("Exo {unit}"), format!("Linux guest {unit}"), "ratio".into()]);
            if self.limit_mode() == Some(mode) {
                header.push(format!("Exo / limit ({unit})"));
            }
        }
        header.push("Linux native time".into());
        header
    }

    /// The table rows, in the columns of [`Results::header`].
    fn rows(&self) -> Vec<Vec<String>> {
        let limit_mode = self.limit_mode();
        self.lines
            .iter()
            .map(|line| {
                let mut row = vec![line.label.to_string()];
                for mode in self.table_modes() {
                    let exo = self.cell(line, Side::Exo, mode);
                    let guest = self.cell(line, Side::LinuxGuest, mode);
                    row.extend([format_cell(&exo, mode), format_cell(&guest, mode), format_ratio(&guest, &exo)]);
                    if limit_mode == Some(mode) {
                        let limit = self.column(Side::Exo, mode).median_of(limit_name(line));
                        row.push(format_ratio(&exo, &limit.map_or(Cell::Missing(String::new()), Cell::Value)));
                    }
                }
                row.push(format_cell(&self.cell(line, Side::LinuxNative, Mode::Time), Mode::Time));
                row
            })
            .collect()
    }
}

/// The first clause of a failure message, short enough for a table cell.
fn short_reason(why: &str) -> String {
    let first = why.split([';', ':', '\n']).next().unwrap_or(why).trim();
    let mut short: String = first.chars().take(40).collect();
    if first.chars().count() > 40 {
        short.push_str("...");
    }
    short
}

// ---------------------------------------------------------------------------------------------
// The command

/// The `bench` subcommand.
/// `quick`: the programs' quick mode, one boot each (`repeats` is then 1); `icount`: only the
/// instruction-count boots (under TCG whatever `request` says: main.rs refuses `--accel kvm`);
/// `filter`: only the lines whose name or label contains it (the report then goes to
/// target/bench only).
pub fn bench_command(request: AccelRequest, repeats: usize, quick: bool, icount: bool, filter: Option<&str>) -> Result<u8, String> {
    let started = Instant::now();
    if filter == Some("stages") {
        return stages_only(request);
    }
    if filter == Some("idle") {
        return idle_only(request);
    }
    if filter == Some("net") {
        return net::net_only(request, repeats);
    }
    let selected = select_lines(filter);
    if selected.is_empty() {
        return Err(format!("no benchmark line matches `{}`", filter.unwrap_or_default()));
    }
    install::ensure_installed(&crate::qemu::QEMU_TOOLS)?;
    let artifacts = build::build_all()?;
    let accel = if icount {
        println!("xtask: bench: TCG (--icount: only the instruction-count boots, which need TCG)");
        Accel::Tcg
    } else {
        let choice = qemu::choose_accel(request);
        println!("xtask: bench: {}", choice.describe());
        choice.accel
    };
    let modes: &[Mode] = if icount {
        &[Mode::Instructions]
    } else if accel == Accel::Tcg {
        &[Mode::Time, Mode::Instructions]
    } else {
        println!("xtask: bench: -icount needs TCG, so there is no instruction count under KVM");
        &[Mode::Time]
    };

    let mut results = Results { lines: selected, modes: modes.to_vec(), ..Results::default() };
    let (exo_cmdline, linux_cmdline) =
        if quick { (EXO_QUICK_CMDLINE, LINUX_QUICK_CMDLINE) } else { (EXO_CMDLINE, LINUX_CMDLINE) };
    let linux_dir = workspace_root().join("target/linux");
    let program = install::ensure_installed(&GCC_TOOLS).and_then(|()| build_linux_program(&linux_dir));
    let guest = program.as_ref().map_err(Clone::clone).and_then(|program| {
        let kernel = fetch_linux_kernel(&linux_dir)?;
        let initramfs = linux_dir.join("initramfs.cpio");
        let bytes = std::fs::read(program).map_err(|e| format!("cannot read {}: {e}", display(program)))?;
        std::fs::write(&initramfs, initramfs_newc(&bytes))
            .map_err(|e| format!("cannot write {}: {e}", display(&initramfs)))?;
        Ok((kernel, initramfs))
    });
    if let Err(why) = &program {
        println!("xtask: bench: no Linux program, so no Linux columns: {why}");
        results.native.failure = Some(why.clone());
    }
    if let Err(why) = &guest {
        println!("xtask: bench: no Linux guest: {why}");
        for column in &mut results.guest {
            column.failure = Some(why.clone());
        }
    }

    let mut commands = Vec::new();
    let total = repeats * modes.len() * if guest.is_ok() { 2 } else { 1 };
    let mut step = 0;
    for repeat in 0..repeats {
        for &mode in modes {
            step += 1;
            let media = Media::kernel(&artifacts, exo_cmdline);
            let command = bench_qemu_command(accel, &media, mode);
            if repeat == 0 {
                commands.push(relative_command(&command));
            }
            run_boot(&mut results, Side::Exo, mode, command, EXO_TIMEOUT, (step, total));
            if let Ok((kernel, initramfs)) = &guest {
                step += 1;
                let media = Media::Kernel { kernel, initrd: initramfs, cmdline: linux_cmdline };
                let command = bench_qemu_command(accel, &media, mode);
                if repeat == 0 {
                    commands.push(relative_command(&command));
                }
                run_boot(&mut results, Side::LinuxGuest, mode, command, LINUX_TIMEOUT, (step, total));
            }
        }
    }
    let mut native_kernel = None;
    if let Ok(program) = &program {
        for repeat in 0..repeats {
            eprintln!("xtask: bench: [native {}/{repeats}] {}", repeat + 1, display(program));
            match run_native(program, quick) {
                Ok((output, samples, tsc_hz)) => {
                    native_kernel = parse_info(&output, "kernel").map(String::from);
                    results.native.add_run(&samples, 1e9 / tsc_hz);
                }
                Err(why) => {
                    println!("xtask: bench: native run failed: {why}");
                    results.native.failure = Some(why);
                }
            }
        }
    }

    let header = results.header();
    let table = markdown_table(&header.iter().map(String::as_str).collect::<Vec<_>>(), &results.rows());
    println!("\n{table}");
    // The breakdown runs with the full bench only (its two builds would double --quick's time).
    let stages = if quick || filter.is_some() { None } else { stage_breakdown(accel, modes) };
    // The idle machine, in the plain boots' accelerator (a full or time run only: it measures time).
    let idle = (!icount && filter.is_none()).then(|| {
        eprintln!("xtask: bench: the idle machine ({} s at the shell's prompt, then sleep 2)", idle::IDLE_SECONDS);
        idle::measure(accel, &artifacts.kernel, &artifacts.initrd)
    });
    if let Some(idle) = &idle {
        println!("{}", idle_markdown(idle));
    }
    let context = Context {
        idle,
        accel,
        repeats,
        commands,
        guest_kernel: results.guest_kernel.clone(),
        native_kernel,
        duration: started.elapsed(),
        quick,
        stages,
    };
    write_outputs(&table, &results, &context, quick || filter.is_some())?;
    let exo_ok = modes.iter().map(|&mode| results.column(Side::Exo, mode)).all(|c| c.failure.is_none() && c.runs > 0);
    Ok(if exo_ok { 0 } else { 1 })
}

/// `cargo xtask bench idle`: only the idle machine's figures, printed (nothing is written).
fn idle_only(request: AccelRequest) -> Result<u8, String> {
    install::ensure_installed(&crate::qemu::QEMU_TOOLS)?;
    let artifacts = build::build_all()?;
    let choice = qemu::choose_accel(request);
    println!("xtask: bench: {}", choice.describe());
    let figures = idle::measure(choice.accel, &artifacts.kernel, &artifacts.initrd);
    println!("{}", idle_markdown(&figures));
    Ok(u8::from(figures.is_err()))
}

/// Builds and boots the instrumented pair in each mode; the breakdown's Markdown section, or
/// `None` (with the reason printed) if it could not run.
fn stage_breakdown(accel: Accel, modes: &[Mode]) -> Option<String> {
    eprintln!("xtask: bench: stage breakdown: building the kernel and ExOS with `stages`");
    let (kernel, initrd) = stages::build_stages().map_err(|why| println!("xtask: bench: no stage breakdown: {why}")).ok()?;
    let mut by_mode = [BTreeMap::new(), BTreeMap::new()];
    for &mode in modes {
        eprintln!("xtask: bench: stage breakdown, {} boot", mode.name());
        match stages::run_stages(accel, &kernel, &initrd, mode) {
            Ok(traced) => by_mode[(mode == Mode::Instructions) as usize] = traced,
            Err(why) => println!("xtask: bench: stage breakdown ({}): {why}", mode.name()),
        }
    }
    let [time, instructions] = by_mode;
    let (main, other) = if instructions.is_empty() { (&time, &BTreeMap::new()) } else { (&instructions, &time) };
    (!main.is_empty()).then(|| stages::stages_markdown(main, other))
}

/// `cargo xtask bench stages`: only the breakdown, printed and written to target/bench/STAGES.md.
fn stages_only(request: AccelRequest) -> Result<u8, String> {
    install::ensure_installed(&crate::qemu::QEMU_TOOLS)?;
    build::build_all()?;
    let accel = qemu::choose_accel(request).accel;
    let modes: &[Mode] = if accel == Accel::Tcg { &[Mode::Time, Mode::Instructions] } else { &[Mode::Time] };
    let section = stage_breakdown(accel, modes).ok_or("the stage breakdown did not run")?;
    println!("{section}");
    let path = workspace_root().join("target/bench/STAGES.md");
    std::fs::create_dir_all(workspace_root().join("target/bench")).map_err(|e| format!("cannot create target/bench: {e}"))?;
    std::fs::write(&path, &section).map_err(|e| format!("cannot write {}: {e}", display(&path)))?;
    println!("xtask: bench: wrote {}", display(&path));
    Ok(0)
}

/// `command` as a shell line, with paths inside the workspace relative to its root.
fn relative_command(command: &Command) -> String {
    qemu::shell_words(command).replace(&format!("{}/", workspace_root().display()), "")
}

/// The RAM of every benchmark boot, both sides: 2 GiB, so that the Linux guest can map and touch
/// 1 GiB (`touch_1g`) beside its own kernel and page cache.
pub const BENCH_MEM: qemu::MemSize = qemu::MemSize(2048);

/// The shared QEMU command line plus, in instruction mode, deterministic instruction counting.
fn bench_qemu_command(accel: Accel, media: &Media, mode: Mode) -> Command {
    let mut command = qemu::qemu_command(accel, BENCH_MEM, media, Serial::Stdio);
    if mode == Mode::Instructions {
        command.args(["-icount", "shift=0,sleep=off", "-seed", "1"]);
    }
    command
}

/// Boots once, parses the BENCH lines and adds them to the (side, mode) column.
fn run_boot(results: &mut Results, side: Side, mode: Mode, command: Command, timeout: Duration,
            (step, total): (usize, usize)) {
    eprint!("xtask: bench: [{step}/{total}] {} boot, {} ... ", side.name(), mode.name());
    let start = Instant::now();
    let outcome = boot_and_parse(side, mode, command, timeout);
    let seconds = start.elapsed().as_secs_f64();
    match outcome {
        Ok((samples, scale, kernel)) => {
            eprintln!("{} lines in {seconds:.1} s", samples.len());
            if kernel.is_some() {
                results.guest_kernel = kernel;
            }
            results.column_mut(side, mode).add_run(&samples, scale);
        }
        Err(why) => {
            eprintln!("failed after {seconds:.1} s");
            println!("xtask: bench: {} ({}): {why}", side.name(), mode.name());
            results.column_mut(side, mode).failure = Some(why);
        }
    }
}

/// One boot's samples, the scale to the mode's unit, and (Linux) the kernel release.
type BootResult = (BTreeMap<String, Sample>, f64, Option<String>);

fn boot_and_parse(side: Side, mode: Mode, command: Command, timeout: Duration) -> Result<BootResult, String> {
    let captured = qemu::run_captured(command, timeout)?;
    let serial = String::from_utf8_lossy(&captured.serial);
    let log = build::exo_dir().join("bench-logs").join(format!(
        "{}-{}.log",
        if side == Side::Exo { "exo" } else { "linux" },
        mode.name()
    ));
    if let Some(dir) = log.parent() {
        let _ = std::fs::create_dir_all(dir); // The log is a convenience; the run goes on without it.
    }
    let _ = std::fs::write(&log, &captured.serial);
    let needed = if side == Side::Exo { EXO_DONE } else { &[DONE] };
    if let Some(missing) = needed.iter().find(|line| !serial.contains(**line)) {
        let how = match captured.status {
            None => format!("timed out after {} s", timeout.as_secs()),
            Some(status) => format!("QEMU exit status {status}"),
        };
        let stderr = String::from_utf8_lossy(&captured.stderr);
        return Err(format!(
            "no `{missing}` line ({how}); serial log in {}{}",
            display(&log),
            if stderr.trim().is_empty() { String::new() } else { format!("; QEMU said: {}", stderr.trim()) }
        ));
    }
    let samples = parse_bench_output(&serial);
    let scale = match mode {
        Mode::Instructions => 1.0,
        Mode::Time => {
            let hz = match side {
                Side::Exo => parse_exo_tsc_hz(&serial),
                _ => parse_info(&serial, "tsc_hz").and_then(|hz| hz.parse().ok()),
            };
            let hz = hz.filter(|hz| *hz > 0.0).ok_or("the run did not report its TSC rate")?;
            1e9 / hz
        }
    };
    let kernel = parse_info(&serial, "kernel").map(String::from);
    Ok((samples, scale, kernel))
}

/// Runs the Linux program on the host; returns its output, samples and TSC rate.
fn run_native(program: &Path, quick: bool) -> Result<(String, BTreeMap<String, Sample>, f64), String> {
    let mut command = Command::new(program);
    if quick {
        command.arg("quick");
    }
    let captured = qemu::run_captured(command, NATIVE_TIMEOUT)
        .map_err(|e| format!("cannot run {}: {e}", display(program)))?;
    let output = String::from_utf8_lossy(&captured.serial).into_owned();
    if !output.contains(DONE) {
        return Err(format!(
            "{} did not finish (status {:?}): {}",
            display(program),
            captured.status,
            String::from_utf8_lossy(&captured.stderr).trim()
        ));
    }
    let hz: f64 = parse_info(&output, "tsc_hz")
        .and_then(|hz| hz.parse().ok())
        .filter(|hz: &f64| *hz > 0.0)
        .ok_or("the native run did not report its TSC rate")?;
    let samples = parse_bench_output(&output);
    Ok((output, samples, hz))
}

#[cfg(test)]
mod program_test;
#[cfg(test)]
mod unit_tests;
