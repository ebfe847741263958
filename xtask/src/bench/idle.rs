//! The idle machine (issue 15): the host CPU QEMU burns while Exo's shell sits at its prompt, and
//! the wall time of `sleep 2` typed at it.
//!
//! Boots the shell (`mode=run run=sh`, the `cargo xtask run` default) on a pseudo-terminal
//! (`pty.rs`), waits for the prompt and a settling second, then reads QEMU's `utime + stime`
//! from `/proc/<pid>/stat` before and after [`IDLE_SECONDS`] of doing nothing: the share of one
//! host core the idle guest used. Then it types `sleep 2` (the whole line at once) and times,
//! on the host, from the Enter to the next prompt; `sleep 0` the same way gives the cost of
//! running any command, so the difference is what the sleep itself took.
use crate::pty::Pty;
use crate::qemu::{self, Accel, Media, Serial};
use std::time::{Duration, Instant};

/// How long the shell sits idle while QEMU's CPU time is measured.
pub const IDLE_SECONDS: u64 = 20;
/// The shell's prompt at `/`.
const PROMPT: &str = "exo:/$ ";

/// What one measurement found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IdleFigures {
    /// Host CPU QEMU used while the shell was idle, in percent of one core.
    pub cpu_percent: f64,
    /// The window it was measured over, in seconds.
    pub window: f64,
    /// Enter to prompt for `sleep 2`, in seconds.
    pub sleep2: f64,
    /// Enter to prompt for `sleep 0`, in seconds.
    pub sleep0: f64,
}

/// `utime + stime` of process `pid`, in clock ticks (fields 14 and 15 of `/proc/<pid>/stat`,
/// counted after the command name, which is in parentheses and may hold blanks).
pub fn cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: field 3 (state) is fields[0], so field n is fields[n - 3].
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn read_ticks(pid: u32) -> Result<u64, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|e| format!("reading /proc/{pid}/stat: {e}"))?;
    cpu_ticks(&stat).ok_or_else(|| format!("cannot parse /proc/{pid}/stat: {stat}"))
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 if it cannot say).
fn ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse::<f64>().ok())
        .filter(|hz| *hz > 0.0)
        .unwrap_or(100.0)
}

/// Sends `line` and Enter at once (at the prompt) and returns the seconds until the next prompt.
fn time_command(pty: &mut Pty, line: &str) -> Result<f64, String> {
    let start = Instant::now();
    pty.send(format!("{line}\r").as_bytes())?;
    // The echo of the line first, then the prompt after the command's end.
    pty.expect(line, Duration::from_secs(30))?;
    pty.expect(PROMPT, Duration::from_secs(60))?;
    Ok(start.elapsed().as_secs_f64())
}

/// Boots the shell and measures (see the module's documentation).
pub fn measure(accel: Accel, kernel: &std::path::Path, initrd: &std::path::Path) -> Result<IdleFigures, String> {
    let media = Media::Kernel { kernel, initrd, cmdline: qemu::DEFAULT_CMDLINE };
    let mut pty = Pty::start(qemu::qemu_command(accel, qemu::DEFAULT_MEM, &media, Serial::Terminal))?;
    pty.expect("Welcome to Exo", Duration::from_secs(60))?;
    pty.expect(PROMPT, Duration::from_secs(30))?;
    // The prompt is printed after the banner; let the boot settle before measuring.
    std::thread::sleep(Duration::from_secs(2));
    let pid = pty.pid();
    let (before, start) = (read_ticks(pid)?, Instant::now());
    std::thread::sleep(Duration::from_secs(IDLE_SECONDS));
    let (after, window) = (read_ticks(pid)?, start.elapsed().as_secs_f64());
    let cpu_percent = (after - before) as f64 / ticks_per_second() / window * 100.0;
    let sleep0 = time_command(&mut pty, "sleep 0")?;
    let sleep2 = time_command(&mut pty, "sleep 2")?;
    pty.send(b"exit\r")?;
    let _ = pty.finish(Duration::from_secs(10));
    Ok(IdleFigures { cpu_percent, window, sleep2, sleep0 })
}

#[cfg(test)]
mod tests {
    use super::cpu_ticks;

    #[test]
    fn cpu_ticks_are_utime_plus_stime_after_a_name_with_blanks() {
        let stat = "4242 (qemu system) S 1 4242 4242 0 -1 4194560 500 0 0 0 37 5 0 0 20 0 3 0 100 0 0";
        assert_eq!(cpu_ticks(stat), Some(42));
        assert_eq!(cpu_ticks("garbage"), None);
    }
}
