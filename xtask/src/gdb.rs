//! The `gdb` subcommand: QEMU halted with a gdb stub, gdb stopped at kmain.
//!
//! QEMU runs in the background in its own process group (so Ctrl-C in gdb interrupts the guest
//! rather than killing QEMU), with its serial port on this terminal and stdin closed (gdb owns the
//! terminal). xtask then replaces itself with gdb. A small `sh` watcher, also in its own process
//! group, kills QEMU once gdb (which keeps xtask's pid) has exited.

use crate::build;
use crate::qemu::{self, Media, Serial};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The gdb stub address that QEMU's `-s` opens.
const GDB_STUB: &str = "localhost:1234";

/// Builds, starts QEMU halted (`-s -S`), writes `target/exo/gdbinit` and execs gdb on it.
pub fn gdb_command(request: qemu::AccelRequest, mem: qemu::MemSize, cmdline: Option<&str>) -> Result<u8, String> {
    crate::install::ensure_installed(&crate::qemu::QEMU_TOOLS)?;
    let artifacts = build::build_all()?;
    let gdbinit = write_gdbinit(&artifacts.kernel)?;
    let accel = qemu::choose_accel(request);
    println!("xtask: {}", accel.describe());
    let media = Media::kernel(&artifacts, cmdline.unwrap_or(crate::qemu::DEFAULT_CMDLINE));
    let mut qemu = qemu::qemu_command(accel.accel, mem, &media, Serial::Stdio);
    qemu.args(["-s", "-S"]);
    if !crate::install::missing_tools(&crate::install::GDB_TOOLS).is_empty() {
        print_manual_steps(&qemu, &gdbinit);
        return Ok(1);
    }
    qemu.stdin(Stdio::null()).process_group(0);
    let mut child = qemu
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", qemu::QEMU))?;
    if let Err(e) = kill_when_gdb_exits(child.id()) {
        let _ = child.kill(); // Best effort: we are failing anyway.
        return Err(e);
    }
    println!(
        "xtask: QEMU (pid {}) waits for gdb on {GDB_STUB}; the serial output appears here",
        child.id()
    );
    let error = Command::new("gdb")
        .arg("-x")
        .arg(&gdbinit)
        .current_dir(build::workspace_root())
        .exec();
    let _ = child.kill(); // exec returned, so gdb did not start; do not leave QEMU behind.
    Err(format!("cannot exec gdb: {error}"))
}

/// Writes the gdb script: load the kernel's symbols, attach to QEMU, stop at kmain.
fn write_gdbinit(kernel: &Path) -> Result<PathBuf, String> {
    let path = build::exo_dir().join("gdbinit");
    let script = format!(
        "file {}\nset architecture i386:x86-64\ntarget remote {GDB_STUB}\nhbreak kmain\ncontinue\n",
        kernel.display()
    );
    std::fs::create_dir_all(build::exo_dir())
        .map_err(|e| format!("cannot create target/exo: {e}"))?;
    std::fs::write(&path, script).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// Starts a watcher that kills QEMU (`qemu_pid`) once this process (later gdb, after exec) is gone.
fn kill_when_gdb_exits(qemu_pid: u32) -> Result<(), String> {
    let script = r#"while kill -0 "$1" 2>/dev/null; do sleep 1; done; kill "$2" 2>/dev/null"#;
    Command::new("sh")
        .args(["-c", script, "xtask-gdb-watcher"])
        .arg(std::process::id().to_string())
        .arg(qemu_pid.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map(drop)
        .map_err(|e| format!("cannot start the sh watcher that stops QEMU after gdb: {e}"))
}

fn print_manual_steps(qemu: &Command, gdbinit: &Path) {
    println!(
        "xtask: gdb is not installed; install it with: {}",
        crate::install::install_command(&crate::install::GDB_TOOLS)
    );
    println!("xtask: then rerun `cargo xtask gdb`, or by hand:");
    println!("  1. in one terminal:  {}", qemu::shell_words(qemu));
    println!("  2. in another one:   gdb -x {}", build::display(gdbinit));
}
