//! The GRUB boot image `target/exo/exo.iso` (multiboot2).
//!
//! The ISO is made by `grub-mkrescue` (BIOS only on this machine) from a tree with
//! `boot/kernel`, `boot/initrd.cpio` and `boot/grub/grub.cfg`. The kernel command line lives in
//! grub.cfg, so each distinct command line needs its own ISO: the test runner builds one per test
//! with [`build_iso`] in a directory of its own.

use crate::build::{self, Artifacts};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The `iso` subcommand: build, then write `target/exo/exo.iso`.
pub fn iso_command(cmdline: Option<&str>) -> Result<u8, String> {
    crate::install::ensure_installed(&crate::install::GRUB_TOOLS)?;
    let artifacts = build::build_all()?;
    let iso = build_iso(&artifacts, cmdline.unwrap_or(crate::qemu::DEFAULT_CMDLINE), &build::exo_dir())?;
    println!("xtask: iso {}", build::display(&iso));
    Ok(0)
}

/// Builds `<dir>/exo.iso` from the tree `<dir>/iso/` for the given kernel command line and returns
/// its path. The GRUB tools must already be installed (see [`crate::install::GRUB_TOOLS`]).
pub fn build_iso(artifacts: &Artifacts, cmdline: &str, dir: &Path) -> Result<PathBuf, String> {
    let tree = dir.join("iso");
    let grub_dir = tree.join("boot/grub");
    std::fs::create_dir_all(&grub_dir)
        .map_err(|e| format!("cannot create {}: {e}", grub_dir.display()))?;
    copy(&artifacts.kernel, &tree.join("boot/kernel"))?;
    copy(&artifacts.initrd, &tree.join("boot/initrd.cpio"))?;
    let config = grub_dir.join("grub.cfg");
    std::fs::write(&config, grub_config(cmdline))
        .map_err(|e| format!("cannot write {}: {e}", config.display()))?;
    let iso = dir.join("exo.iso");
    grub_mkrescue(&iso, &tree)?;
    Ok(iso)
}

/// grub.cfg: boot the only entry at once, passing `cmdline` and the initrd as a module.
fn grub_config(cmdline: &str) -> String {
    format!(
        "set timeout=0\nset default=0\nmenuentry \"Exo\" {{\n    multiboot2 /boot/kernel {cmdline}\n    \
         module2 /boot/initrd.cpio initrd\n    boot\n}}\n"
    )
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to)
        .map(drop)
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

/// Runs `grub-mkrescue -o <iso> <tree>`, showing its (noisy) output only when it fails.
fn grub_mkrescue(iso: &Path, tree: &Path) -> Result<(), String> {
    let output = Command::new("grub-mkrescue")
        .arg("-o")
        .arg(iso)
        .arg(tree)
        .output()
        .map_err(|e| format!("cannot start grub-mkrescue: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let log = String::from_utf8_lossy(&output.stderr);
    Err(format!(
        "grub-mkrescue -o {} failed ({}):\n{log}",
        iso.display(),
        output.status
    ))
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn grub_config_passes_the_cmdline_and_the_initrd_module() {
        let expected = "set timeout=0\nset default=0\nmenuentry \"Exo\" {\n    multiboot2 /boot/kernel mode=test run=hello\n    \
                        module2 /boot/initrd.cpio initrd\n    boot\n}\n";
        assert_eq!(grub_config("mode=test run=hello"), expected);
    }
}
