//! QEMU: command line, accelerator choice, `run`.
//!
//! Every boot uses the same machine (`-machine pc`, [`DEFAULT_MEM`] (1 GiB) of RAM unless `--mem`
//! says otherwise, one CPU, no display, no reboot, and
//! the isa-debug-exit device at port 0xf4). The kernel's exit protocol: writing v to port 0xf4
//! makes QEMU exit with status (v << 1) | 1, so 1 is a clean finish, 3 a kernel panic, and 0 means
//! QEMU stopped on its own (a triple fault or reset under `-no-reboot`, or Ctrl-A X).

use crate::build::{self, Artifacts};
use crate::install::Tools;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The QEMU binary.
pub const QEMU: &str = "qemu-system-x86_64";

/// What every command that boots QEMU needs installed.
pub const QEMU_TOOLS: Tools = Tools {
    binaries: &[QEMU],
    paths: &[],
    packages: &["qemu-system-x86"],
};

/// The kernel command line of `run`, `gdb` and `iso` unless `--cmdline` says otherwise: boot into
/// the shell, which prints the motd and a prompt.
pub const DEFAULT_CMDLINE: &str = "mode=run run=sh";

/// The serial line the kernel prints just before it first enters ring 3.
pub const FIRST_USER_INSTRUCTION: &str = "exo: boot: first user instruction";

/// The `run` subcommand: build, boot with the serial console on this terminal, and report the
/// wall time from QEMU start to the first user instruction. `extra` is added to QEMU's
/// arguments (the disk, `disk.rs`).
pub fn run_command(
    request: AccelRequest,
    mem: MemSize,
    cmdline: Option<&str>,
    nic: Option<&Nic>,
    extra: &[std::ffi::OsString],
) -> Result<u8, String> {
    crate::install::ensure_installed(&crate::qemu::QEMU_TOOLS)?;
    let artifacts = build::build_all()?;
    let accel = choose_accel(request);
    println!("xtask: {}", accel.describe());
    let cmdline = cmdline.unwrap_or(DEFAULT_CMDLINE);
    let mut command = qemu_command(
        accel.accel,
        mem,
        &Media::kernel(&artifacts, cmdline),
        Serial::MonitorOnStdio,
    );
    attach_nic(&mut command, nic);
    command.args(extra);
    println!("xtask: {} (Ctrl-A X quits)", shell_words(&command));
    command.stdout(Stdio::piped());
    let start = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start {QEMU}: {e}"))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let saw_output =
        relay_serial(stdout, start).map_err(|e| format!("copying QEMU's output: {e}"))?;
    let status = child
        .wait()
        .map_err(|e| format!("waiting for {QEMU}: {e}"))?;
    Ok(report_run_exit(status, saw_output))
}

/// Says how a `run` ended and maps QEMU's status to ours: 0 for a clean finish or Ctrl-A X.
fn report_run_exit(status: ExitStatus, saw_output: bool) -> u8 {
    let code = status.code();
    let text = match code {
        Some(0) => {
            "QEMU exited without the kernel's exit code (Ctrl-A X, or a triple fault or reset)"
                .into()
        }
        _ => describe_status(code, saw_output, signal_of(status)),
    };
    println!("xtask: {text}");
    match code {
        Some(1) if saw_output => 0,
        Some(0) => 0, // Ctrl-A X is the normal way out of `mode=run`.
        _ => 1,
    }
}

/// Copies QEMU's stdout to ours as bytes arrive, and after the line with
/// [`FIRST_USER_INSTRUCTION`] prints the wall time since `start`. Returns whether any output came.
fn relay_serial(mut serial: impl Read, start: Instant) -> std::io::Result<bool> {
    let mut out = std::io::stdout().lock();
    let mut chunk = [0u8; 4096];
    let mut timer = BootTimer {
        start,
        line: Vec::new(),
        seen_at: None,
        reported: false,
    };
    let mut saw_output = false;
    loop {
        let count = match serial.read(&mut chunk) {
            Ok(0) => return Ok(saw_output),
            Ok(count) => count,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        saw_output = true;
        for piece in chunk[..count].split_inclusive(|&byte| byte == b'\n') {
            out.write_all(piece)?;
            if let Some(note) = timer.feed(piece) {
                writeln!(out, "{note}")?;
            }
        }
        out.flush()?;
    }
}

/// Watches relayed serial output for [`FIRST_USER_INSTRUCTION`]; once the line holding it ends,
/// yields the note with the wall time from `start` to when the marker arrived.
struct BootTimer {
    start: Instant,
    /// The current (unfinished) line, or its tail if it grows long.
    line: Vec<u8>,
    seen_at: Option<Duration>,
    reported: bool,
}

impl BootTimer {
    /// Takes the next piece of output, which ends at a newline or where a read ended.
    fn feed(&mut self, piece: &[u8]) -> Option<String> {
        if self.reported {
            return None;
        }
        let marker = FIRST_USER_INSTRUCTION.as_bytes();
        self.line.extend_from_slice(piece);
        if self.seen_at.is_none() && self.line.windows(marker.len()).any(|w| w == marker) {
            self.seen_at = Some(self.start.elapsed());
        }
        if !piece.ends_with(b"\n") {
            if self.line.len() > 1024 {
                self.line.drain(..self.line.len() - marker.len());
            }
            return None;
        }
        self.line.clear();
        let elapsed = self.seen_at?;
        self.reported = true;
        Some(format!(
            "xtask: QEMU start -> first user instruction: {} ms wall",
            elapsed.as_millis()
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Command line

/// What QEMU boots.
pub enum Media<'a> {
    /// PVH direct boot: `-kernel`, `-initrd`, `-append`.
    Kernel {
        kernel: &'a Path,
        initrd: &'a Path,
        cmdline: &'a str,
    },
    /// A GRUB ISO as a CD-ROM (multiboot2); the command line is inside its grub.cfg.
    Cdrom(&'a Path),
}

impl<'a> Media<'a> {
    /// Direct boot of the built kernel and initrd with `cmdline`.
    pub fn kernel(artifacts: &'a Artifacts, cmdline: &'a str) -> Media<'a> {
        Media::Kernel {
            kernel: &artifacts.kernel,
            initrd: &artifacts.initrd,
            cmdline,
        }
    }
}

/// Where the serial port goes.
#[derive(Clone, Copy)]
pub enum Serial {
    /// The terminal, multiplexed with the QEMU monitor (Ctrl-A C) and Ctrl-A X to quit; Ctrl-C
    /// goes to the guest.
    MonitorOnStdio,
    /// `-serial stdio -monitor none`: plain bytes, for capturing.
    Stdio,
    /// `-chardev stdio,signal=off` as the serial port, no monitor: stdin/stdout are a terminal
    /// (`pty.rs`) whose every key, Ctrl-C included, goes to the guest.
    Terminal,
}

/// The guest's RAM, in MiB (`--mem SIZE`: a whole number with the suffix `M` or `G`, e.g. `512M`,
/// `4G`; a bare number is MiB).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemSize(pub u64);

/// The RAM every boot gets unless `--mem` (or a test) says otherwise: 1 GiB.
pub const DEFAULT_MEM: MemSize = MemSize(1024);

impl MemSize {
    /// The smallest RAM Exo boots in (the kernel, its tables and the boot programs), and the most
    /// this QEMU machine takes here (`-machine pc` with 1 TiB of guest RAM is QEMU's to refuse).
    const MIN_MIB: u64 = 64;
    const MAX_MIB: u64 = 1 << 20;

    /// Parses `--mem`'s value: `512M`, `4G`, `2048` (MiB); case-insensitive suffix, optional `iB`/`B`.
    pub fn parse(text: &str) -> Result<MemSize, String> {
        let lower = text.trim().to_ascii_lowercase();
        let body = lower.strip_suffix("ib").or_else(|| lower.strip_suffix('b')).unwrap_or(&lower);
        let (digits, scale) = match body.strip_suffix('g') {
            Some(digits) => (digits, 1024),
            None => (body.strip_suffix('m').unwrap_or(body), 1),
        };
        let mib = digits
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(scale))
            .ok_or_else(|| format!("`{text}` is not a memory size (a whole number with M or G, e.g. 512M or 4G)"))?;
        if !(Self::MIN_MIB..=Self::MAX_MIB).contains(&mib) {
            return Err(format!("{mib} MiB is outside {}M..{}G", Self::MIN_MIB, Self::MAX_MIB >> 10));
        }
        Ok(MemSize(mib))
    }

    /// QEMU's `-m` value.
    pub fn qemu_arg(self) -> String {
        format!("{}M", self.0)
    }
}

impl std::fmt::Display for MemSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_multiple_of(1024) { write!(f, "{}G", self.0 / 1024) } else { write!(f, "{}M", self.0) }
    }
}

/// A host port forwarded into the guest over QEMU's user-mode network (`--forward
/// tcp:HOSTPORT:GUESTPORT`, `--forward udp:...`): bound on the host's 127.0.0.1 only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forward {
    /// `tcp` or `udp`.
    pub proto: &'static str,
    pub host: u16,
    pub guest: u16,
}

impl Forward {
    /// Parses `tcp:HOSTPORT:GUESTPORT` or `udp:HOSTPORT:GUESTPORT`.
    pub fn parse(text: &str) -> Result<Forward, String> {
        let bad = || format!("`{text}` is not a forward (tcp:HOSTPORT:GUESTPORT or udp:HOSTPORT:GUESTPORT)");
        let mut parts = text.trim().split(':');
        let proto = match parts.next().map(str::to_ascii_lowercase).as_deref() {
            Some("tcp") => "tcp",
            Some("udp") => "udp",
            _ => return Err(bad()),
        };
        let mut port = || parts.next().and_then(|p| p.parse::<u16>().ok()).filter(|&p| p != 0).ok_or_else(bad);
        let (host, guest) = (port()?, port()?);
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(Forward { proto, host, guest })
    }

    /// QEMU's `hostfwd` value, on the host's loopback only.
    pub fn hostfwd(&self) -> String {
        format!("hostfwd={}:127.0.0.1:{}-:{}", self.proto, self.host, self.guest)
    }
}

/// The guest's network: a virtio-net NIC on QEMU's user-mode network (slirp: the guest is
/// 10.0.2.15 by DHCP, the gateway 10.0.2.2), with host ports forwarded into it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Nic {
    pub forwards: Vec<Forward>,
}

impl Nic {
    /// The QEMU arguments that attach it.
    pub fn args(&self) -> Vec<String> {
        let mut netdev = String::from("user,id=n0");
        for f in &self.forwards {
            netdev.push(',');
            netdev.push_str(&f.hostfwd());
        }
        vec!["-netdev".into(), netdev, "-device".into(), "virtio-net-pci,netdev=n0".into()]
    }
}

/// Adds `nic` (if any) to a QEMU command.
pub fn attach_nic(command: &mut Command, nic: Option<&Nic>) {
    if let Some(nic) = nic {
        command.args(nic.args());
    }
}

/// The QEMU command for one boot with `mem` of RAM.
pub fn qemu_command(accel: Accel, mem: MemSize, media: &Media, serial: Serial) -> Command {
    let mut command = Command::new(QEMU);
    command.args(["-machine", "pc", "-m"]);
    command.arg(mem.qemu_arg());
    command.args([
        "-smp",
        "1",
        "-display",
        "none",
        "-no-reboot",
    ]);
    command.args(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]);
    command.args(accel.args());
    match serial {
        // The monitor shares the terminal (Ctrl-A C, Ctrl-A X), and Ctrl-C reaches the guest as a
        // byte instead of stopping QEMU: the shell's Ctrl-C interrupts the foreground job.
        Serial::MonitorOnStdio => command.args(["-chardev", "stdio,id=s0,mux=on,signal=off", "-serial", "chardev:s0", "-mon", "chardev=s0,mode=readline"]),
        Serial::Stdio => command.args(["-serial", "stdio", "-monitor", "none"]),
        Serial::Terminal => command.args(["-chardev", "stdio,id=s0,signal=off", "-serial", "chardev:s0", "-monitor", "none"]),
    };
    match media {
        Media::Kernel {
            kernel,
            initrd,
            cmdline,
        } => command
            .arg("-kernel")
            .arg(kernel)
            .arg("-initrd")
            .arg(initrd)
            .arg("-append")
            .arg(cmdline),
        Media::Cdrom(iso) => command.arg("-cdrom").arg(iso).args(["-boot", "d"]),
    };
    command
}

/// `command` as a line one could paste into a shell.
pub fn shell_words(command: &Command) -> String {
    let quote = |word: &str| {
        let plain = !word.is_empty()
            && word
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_=,./:+@".contains(c));
        if plain {
            word.to_string()
        } else {
            format!("'{}'", word.replace('\'', r"'\''"))
        }
    };
    let program = command.get_program().to_string_lossy();
    let args = command.get_args().map(|arg| quote(&arg.to_string_lossy()));
    std::iter::once(quote(&program))
        .chain(args)
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a QEMU exit status means under the kernel's exit protocol. `saw_output` tells whether the
/// serial port printed anything (QEMU also exits with 1 when it cannot start).
pub fn describe_status(code: Option<i32>, saw_output: bool, signal: Option<i32>) -> String {
    match code {
        Some(0) => "QEMU exited without the kernel's exit code (triple fault or reset?)".into(),
        Some(1) if !saw_output => {
            "QEMU exited with status 1 before the kernel printed anything (QEMU could not start? see its messages)".into()
        }
        Some(1) => "the kernel finished cleanly (QEMU status 1)".into(),
        Some(3) => "the kernel panicked (QEMU status 3)".into(),
        Some(code) if code % 2 == 1 => format!("the kernel exited with code {} (QEMU status {code})", code >> 1),
        Some(code) => format!("QEMU exited with status {code}"),
        None => format!("QEMU was killed by signal {}", signal.unwrap_or(0)),
    }
}

/// The signal that ended a process, if one did.
pub fn signal_of(status: ExitStatus) -> Option<i32> {
    std::os::unix::process::ExitStatusExt::signal(&status)
}

// ---------------------------------------------------------------------------------------------
// Captured runs (tests)

/// The result of a captured QEMU run.
pub struct Captured {
    /// `None` when the run timed out and QEMU was killed.
    pub status: Option<ExitStatus>,
    /// Everything QEMU wrote to stdout (the serial port).
    pub serial: Vec<u8>,
    /// Everything QEMU wrote to stderr.
    pub stderr: Vec<u8>,
}

/// Runs `command` with stdin closed and stdout/stderr captured; kills it after `timeout`.
pub fn run_captured(mut command: Command, timeout: Duration) -> Result<Captured, String> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start {QEMU}: {e}"))?;
    let serial = read_in_background(child.stdout.take().expect("stdout is piped"));
    let stderr = read_in_background(child.stderr.take().expect("stderr is piped"));
    let status = wait_with_timeout(&mut child, timeout)?;
    let serial = serial.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    Ok(Captured {
        status,
        serial,
        stderr,
    })
}

fn read_in_background(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes); // A read error just ends the capture early.
        bytes
    })
}

/// Waits for `child`; on timeout kills it and returns `None`.
fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Result<Option<ExitStatus>, String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child
            .try_wait()
            .map_err(|e| format!("waiting for {QEMU}: {e}"))?
        {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            let _ = child.kill(); // It may have exited just now; wait() below settles it either way.
            child
                .wait()
                .map_err(|e| format!("waiting for the killed {QEMU}: {e}"))?;
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

// ---------------------------------------------------------------------------------------------
// Accelerator

/// The accelerator asked for on the command line (`--accel tcg|kvm|auto`).
#[derive(Debug, Clone, Copy, PartialEq, clap::ValueEnum)]
pub enum AccelRequest {
    /// QEMU's software emulation.
    Tcg,
    /// Hardware virtualization.
    Kvm,
    /// KVM when it can run a normal guest, else TCG.
    Auto,
}

/// The accelerator QEMU will use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Accel {
    Tcg,
    Kvm,
}

impl Accel {
    /// QEMU's arguments for this accelerator. KVM drops `arch-capabilities`, whose MSR write
    /// (0x10a) this host's KVM rejects.
    pub fn args(self) -> [&'static str; 4] {
        match self {
            Accel::Tcg => ["-accel", "tcg", "-cpu", "max"],
            Accel::Kvm => ["-accel", "kvm", "-cpu", "host,-arch-capabilities"],
        }
    }
}

/// The chosen accelerator and why.
pub struct AccelChoice {
    pub accel: Accel,
    pub reason: String,
}

impl AccelChoice {
    /// E.g. `accel tcg (there is no /dev/kvm)`.
    pub fn describe(&self) -> String {
        let name = if self.accel == Accel::Kvm {
            "kvm"
        } else {
            "tcg"
        };
        format!("accel {name} ({})", self.reason)
    }
}

/// Chooses the accelerator: auto picks KVM only if /dev/kvm opens read-write and the CPU
/// flags include vmx or svm.
pub fn choose_accel(request: AccelRequest) -> AccelChoice {
    let kvm = kvm_usable();
    match (request, kvm) {
        (AccelRequest::Tcg, _) => AccelChoice {
            accel: Accel::Tcg,
            reason: "asked for with --accel tcg".into(),
        },
        (AccelRequest::Kvm, Ok(())) => AccelChoice {
            accel: Accel::Kvm,
            reason: "asked for with --accel kvm".into(),
        },
        (AccelRequest::Kvm, Err(why)) => {
            let reason = format!("asked for with --accel kvm; warning: {why}");
            AccelChoice {
                accel: Accel::Kvm,
                reason,
            }
        }
        (AccelRequest::Auto, Ok(())) => {
            let reason = "/dev/kvm opens read-write and the CPU has vmx/svm".into();
            AccelChoice {
                accel: Accel::Kvm,
                reason,
            }
        }
        (AccelRequest::Auto, Err(why)) => AccelChoice {
            accel: Accel::Tcg,
            reason: why,
        },
    }
}

/// `Ok` when KVM can run a normal guest; otherwise why not.
fn kvm_usable() -> Result<(), String> {
    let kvm = Path::new("/dev/kvm");
    if !kvm.exists() {
        return Err("there is no /dev/kvm".into());
    }
    if let Err(e) = std::fs::OpenOptions::new().read(true).write(true).open(kvm) {
        return Err(format!("/dev/kvm cannot be opened read-write: {e}"));
    }
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    if !cpu_has_virtualization(&cpuinfo) {
        return Err("/dev/kvm is present but this CPU has no vmx/svm, so it cannot run a normal guest's ring-0 code".into());
    }
    Ok(())
}

/// Whether a `flags` line of /proc/cpuinfo lists vmx (Intel VT-x) or svm (AMD-V).
fn cpu_has_virtualization(cpuinfo: &str) -> bool {
    cpuinfo
        .lines()
        .filter(|line| line.starts_with("flags"))
        .filter_map(|line| line.split_once(':'))
        .any(|(_, flags)| {
            flags
                .split_whitespace()
                .any(|flag| flag == "vmx" || flag == "svm")
        })
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn virtualization_flags_are_whole_words_on_flags_lines() {
        assert!(cpu_has_virtualization(
            "processor : 0\nflags\t\t: fpu vme svm sse\n"
        ));
        assert!(cpu_has_virtualization("flags : fpu vmx\n"));
        assert!(!cpu_has_virtualization(
            "flags : fpu hypervisor svm_lock vmxon\n"
        ));
        assert!(!cpu_has_virtualization(
            "model name : vmx svm\nflags : fpu\n"
        ));
        assert!(!cpu_has_virtualization(""));
    }

    #[test]
    fn exit_statuses_follow_the_kernel_exit_protocol() {
        assert!(describe_status(Some(0), true, None).contains("triple fault or reset?"));
        assert!(describe_status(Some(1), true, None).contains("finished cleanly"));
        assert!(
            describe_status(Some(1), false, None).contains("before the kernel printed anything")
        );
        assert!(describe_status(Some(3), true, None).contains("panicked"));
        assert_eq!(
            describe_status(Some(9), true, None),
            "the kernel exited with code 4 (QEMU status 9)"
        );
        assert_eq!(
            describe_status(None, true, Some(9)),
            "QEMU was killed by signal 9"
        );
    }

    #[test]
    fn command_line_has_the_fixed_machine_and_the_media() {
        let media = Media::Kernel {
            kernel: Path::new("k"),
            initrd: Path::new("i"),
            cmdline: "mode=test run=a,b",
        };
        let line = shell_words(&qemu_command(Accel::Tcg, DEFAULT_MEM, &media, Serial::Stdio));
        let expected = "qemu-system-x86_64 -machine pc -m 1024M -smp 1 -display none -no-reboot \
            -device isa-debug-exit,iobase=0xf4,iosize=0x04 -accel tcg -cpu max -serial stdio -monitor none \
            -kernel k -initrd i -append 'mode=test run=a,b'";
        assert_eq!(line, expected);
        let line = shell_words(&qemu_command(
            Accel::Kvm,
            MemSize(4096),
            &Media::Cdrom(Path::new("x.iso")),
            Serial::MonitorOnStdio,
        ));
        assert!(line.contains(" -m 4096M "), "{line}");
        assert!(line.ends_with(
            "-accel kvm -cpu host,-arch-capabilities -chardev stdio,id=s0,mux=on,signal=off -serial chardev:s0 -mon chardev=s0,mode=readline -cdrom x.iso -boot d"
        ));
    }

    #[test]
    fn forwards_parse_and_bind_loopback_only() {
        let f = Forward::parse("tcp:18080:80").unwrap();
        assert_eq!(f, Forward { proto: "tcp", host: 18080, guest: 80 });
        assert_eq!(f.hostfwd(), "hostfwd=tcp:127.0.0.1:18080-:80");
        assert_eq!(Forward::parse("UDP:18081:7").unwrap().proto, "udp");
        for bad in ["tcp:1", "sctp:1:2", "tcp:0:80", "tcp:70000:80", "tcp:1:2:3", "tcp:a:80"] {
            assert!(Forward::parse(bad).is_err(), "{bad}");
        }
        let nic = Nic { forwards: vec![f, Forward::parse("udp:18081:7").unwrap()] };
        assert_eq!(
            nic.args(),
            ["-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:18080-:80,hostfwd=udp:127.0.0.1:18081-:7", "-device", "virtio-net-pci,netdev=n0"]
        );
    }

    #[test]
    fn memory_sizes_take_m_and_g_suffixes() {
        assert_eq!(MemSize::parse("4G"), Ok(MemSize(4096)));
        assert_eq!(MemSize::parse("512M"), Ok(MemSize(512)));
        assert_eq!(MemSize::parse("512m"), Ok(MemSize(512)));
        assert_eq!(MemSize::parse("2GiB"), Ok(MemSize(2048)));
        assert_eq!(MemSize::parse("1536"), Ok(MemSize(1536)));
        assert_eq!(MemSize(4096).to_string(), "4G");
        assert_eq!(MemSize(1536).to_string(), "1536M");
        assert!(MemSize::parse("4T").unwrap_err().contains("not a memory size"));
        assert!(MemSize::parse("").unwrap_err().contains("not a memory size"));
        assert!(MemSize::parse("-1G").unwrap_err().contains("not a memory size"));
        assert!(MemSize::parse("32M").unwrap_err().contains("outside 64M"));
        assert!(MemSize::parse("99999999999999999999G").unwrap_err().contains("not a memory size"));
    }

    #[test]
    fn boot_timer_reports_once_after_the_marker_line_ends() {
        let mut timer = BootTimer {
            start: Instant::now(),
            line: Vec::new(),
            seen_at: None,
            reported: false,
        };
        assert_eq!(timer.feed(b"exo: log\n"), None);
        assert_eq!(timer.feed(b"exo: boot: first user"), None);
        assert_eq!(timer.feed(b" instruction at +5"), None);
        assert!(timer.seen_at.is_some());
        let note = timer.feed(b" us\n").expect("note after the line");
        assert!(note.starts_with("xtask: QEMU start -> first user instruction: "));
        assert!(note.ends_with(" ms wall"));
        assert_eq!(timer.feed(b"exo: boot: first user instruction\n"), None);
    }

    #[test]
    fn shell_words_quotes_quotes() {
        let mut command = Command::new("echo");
        command.args(["it's", ""]);
        assert_eq!(shell_words(&command), r"echo 'it'\''s' ''");
    }
}
