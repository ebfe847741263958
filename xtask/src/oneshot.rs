//! `cargo xtask run -- 'COMMAND LINE'`: boot Exo, let the shell run one command line
//! non-interactively, print what it printed and exit with its status.
//!
//! The kernel boots with `mode=test log=warn run=sh -- LINE`: it publishes the text after `--`
//! (`BOOT_ARGS_BASE`), the shell runs it as `sh -c` would, and QEMU exits when the shell does.
//! The kernel's own lines (`exo: ...`) are left out of the output; the shell's status comes from
//! the kernel's report of its exit (`exo: env N 'sh' exited with code C`).

use crate::build;
use crate::qemu::{self, AccelRequest, Media, MemSize, Serial};
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

/// The program that runs the line.
const SHELL: &str = "sh";

/// Boots, runs `line` in the shell, and returns the shell's exit status (1 if it did not exit
/// normally). `extra` is added to the kernel command line, `qemu_extra` to QEMU's arguments.
pub fn run_line(
    request: AccelRequest,
    mem: MemSize,
    extra: Option<&str>,
    line: &str,
    nic: Option<&qemu::Nic>,
    qemu_extra: &[std::ffi::OsString],
) -> Result<u8, String> {
    crate::install::ensure_installed(&crate::qemu::QEMU_TOOLS)?;
    if line.contains('\n') {
        return Err("the command line after `--` must be one line (use `;` between commands)".into());
    }
    let artifacts = build::build_all()?;
    let accel = qemu::choose_accel(request);
    let cmdline = kernel_cmdline(extra, line);
    let mut command = qemu::qemu_command(accel.accel, mem, &Media::kernel(&artifacts, &cmdline), Serial::Stdio);
    qemu::attach_nic(&mut command, nic);
    command.args(qemu_extra);
    command.stdin(Stdio::null()).stdout(Stdio::piped());
    let mut child = command.spawn().map_err(|e| format!("cannot start {}: {e}", qemu::QEMU))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut status = None;
    let mut out = std::io::stdout().lock();
    let mut kernel_lines = Vec::new();
    for text in BufReader::new(stdout).split(b'\n') {
        let text = text.map_err(|e| format!("reading QEMU's output: {e}"))?;
        let text = String::from_utf8_lossy(&text).trim_end_matches('\r').to_string();
        if let Some(kernel) = text.strip_prefix("exo: ") {
            status = status.or(shell_status(kernel));
            kernel_lines.push(text.clone());
            continue;
        }
        writeln!(out, "{text}").map_err(|e| format!("writing the output: {e}"))?;
    }
    let qemu_status = child.wait().map_err(|e| format!("waiting for {}: {e}", qemu::QEMU))?;
    match status {
        Some(Ok(code)) => Ok(code),
        Some(Err(why)) => {
            eprintln!("xtask: the shell was killed: {why}");
            Ok(1)
        }
        None => {
            eprintln!("xtask: the shell never finished ({}); the kernel said:", qemu::describe_status(qemu_status.code(), true, None));
            for l in &kernel_lines {
                eprintln!("  {l}");
            }
            Ok(1)
        }
    }
}

/// The kernel command line that runs `line` in the shell.
pub fn kernel_cmdline(extra: Option<&str>, line: &str) -> String {
    let extra = extra.map(|e| format!(" {e}")).unwrap_or_default();
    format!("mode=test log=warn run={SHELL}{extra} -- {line}")
}

/// From a kernel line (without `exo: `): the shell's exit code (as a process status: its low 8
/// bits), or why it was killed.
fn shell_status(kernel: &str) -> Option<Result<u8, String>> {
    let rest = kernel.strip_prefix("env ")?;
    let (_, rest) = rest.split_once(' ')?;
    let rest = rest.strip_prefix(&format!("'{SHELL}' "))?;
    if let Some(code) = rest.strip_prefix("exited with code ") {
        return code.trim().parse::<i64>().ok().map(|c| Ok(c as u8));
    }
    rest.strip_prefix("killed: ").map(|why| Err(why.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shells_status_comes_from_the_kernels_report() {
        assert_eq!(shell_status("env 1024 'sh' exited with code 0"), Some(Ok(0)));
        assert_eq!(shell_status("env 1024 'sh' exited with code 127"), Some(Ok(127)));
        assert_eq!(shell_status("env 1024 'sh' exited with code -1"), Some(Ok(255)));
        assert_eq!(shell_status("env 3 'sh' killed: page fault"), Some(Err("page fault".into())));
        assert_eq!(shell_status("env 3 'ls' exited with code 1"), None);
        assert_eq!(shell_status("boot: first user instruction"), None);
    }

    #[test]
    fn the_line_goes_after_double_dash() {
        assert_eq!(kernel_cmdline(None, "echo hi | wc -c"), "mode=test log=warn run=sh -- echo hi | wc -c");
        assert_eq!(kernel_cmdline(Some("user_pages=64"), "ls"), "mode=test log=warn run=sh user_pages=64 -- ls");
    }
}
