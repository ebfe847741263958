//! Host tools the subcommands need (QEMU, GRUB, gdb): finding them, and installing them with
//! apt-get when running as root, or printing the exact install command otherwise.

use std::path::Path;
use std::process::Command;

/// Host tools a subcommand needs, and the Debian packages that provide them.
pub struct Tools {
    /// Programs that must be on PATH.
    pub binaries: &'static [&'static str],
    /// Files or directories that must exist (e.g. GRUB's BIOS modules).
    pub paths: &'static [&'static str],
    pub packages: &'static [&'static str],
}

/// grub-mkrescue makes a BIOS-bootable image only when GRUB's i386-pc modules are installed.
pub const GRUB_TOOLS: Tools = Tools {
    binaries: &["grub-mkrescue", "xorriso", "mformat"],
    paths: &["/usr/lib/grub/i386-pc"],
    packages: &["grub-pc-bin", "grub-common", "xorriso", "mtools"],
};

pub const GDB_TOOLS: Tools = Tools {
    binaries: &["gdb"],
    paths: &[],
    packages: &["gdb"],
};

/// Makes sure `tools` are installed: as root, installs the packages with apt-get; otherwise
/// fails with the exact install command.
pub fn ensure_installed(tools: &Tools) -> Result<(), String> {
    let missing = missing_tools(tools);
    if missing.is_empty() {
        return Ok(());
    }
    let install = install_command(tools);
    if !is_root() {
        return Err(format!(
            "{} not installed; install with: sudo apt-get update && sudo {install}",
            missing.join(", ")
        ));
    }
    println!(
        "xtask: {} not installed; running apt-get update && {install}",
        missing.join(", ")
    );
    run_apt(&["update"])?;
    let mut args = vec!["install", "-y"];
    args.extend_from_slice(tools.packages);
    run_apt(&args)?;
    let still_missing = missing_tools(tools);
    if !still_missing.is_empty() {
        return Err(format!(
            "{} still missing after `{install}`",
            still_missing.join(", ")
        ));
    }
    Ok(())
}

/// `apt-get install -y <packages>`.
pub fn install_command(tools: &Tools) -> String {
    format!("apt-get install -y {}", tools.packages.join(" "))
}

/// The binaries and paths of `tools` that are not there.
pub fn missing_tools(tools: &Tools) -> Vec<String> {
    let binaries = tools.binaries.iter().filter(|binary| !on_path(binary));
    let paths = tools.paths.iter().filter(|path| !Path::new(path).exists());
    binaries
        .chain(paths)
        .map(|missing| missing.to_string())
        .collect()
}

fn on_path(binary: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).any(|dir| dir.join(binary).is_file())
}

fn is_root() -> bool {
    let output = Command::new("id").arg("-u").output();
    output.is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

fn run_apt(args: &[&str]) -> Result<(), String> {
    let status = Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .map_err(|e| format!("cannot start apt-get: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "apt-get {} failed ({status}); see the output above",
            args.join(" ")
        ))
    }
}

