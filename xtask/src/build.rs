//! Building: runs `cargo ubuild` and `cargo kbuild`, writes the boot archive.
//!
//! This file owns the artifact paths (kernel, user programs, `target/exo/`) and the `build`
//! subcommand. Everything is built in release mode, from the workspace root, because the
//! `--config kernel/cargo-kernel.toml` path in the `kbuild` alias is relative to it.

use crate::bootfs::{self, Program};
use crate::image;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What a build produces: the two files QEMU boots.
#[derive(Debug, Clone)]
pub struct Artifacts {
    /// The kernel ELF (PVH note + multiboot2 header).
    pub kernel: PathBuf,
    /// The cpio "newc" boot archive with every user program and the malformed ELF files.
    pub initrd: PathBuf,
}

/// The `build` subcommand: build everything and print the artifact paths.
pub fn build_command() -> Result<u8, String> {
    let artifacts = build_all()?;
    println!("xtask: kernel {}", display(&artifacts.kernel));
    println!("xtask: initrd {}", display(&artifacts.initrd));
    Ok(0)
}

/// Builds the user programs, writes the boot archive, then builds the kernel.
pub fn build_all() -> Result<Artifacts, String> {
    cargo(&["ubuild", "--release"])?;
    let programs = user_programs()?;
    for program in &programs {
        require_file(&program.path, "cargo ubuild --release")?;
    }
    let initrd = exo_dir().join("initrd.cpio");
    let names = image::write_initrd(&programs, &initrd)?;
    println!("xtask: wrote {} ({} files)", display(&initrd), names.len());
    cargo(&["kbuild", "--release"])?;
    let kernel = kernel_path();
    require_file(&kernel, "cargo kbuild --release")?;
    Ok(Artifacts { kernel, initrd })
}

/// The workspace root (the parent of `xtask/`).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .expect("xtask/ has a parent directory")
        .to_path_buf()
}

/// `target/exo/`: where xtask writes its own outputs (initrd, ISO, gdbinit, test logs).
pub fn exo_dir() -> PathBuf {
    workspace_root().join("target").join("exo")
}

/// `path` relative to the workspace root when it is inside it, for shorter messages.
pub fn display(path: &Path) -> String {
    let root = workspace_root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn kernel_path() -> PathBuf {
    workspace_root().join("target/kernel/x86_64-unknown-linux-gnu/release/kernel")
}

fn user_binary_path(name: &str) -> PathBuf {
    workspace_root()
        .join("target/user/x86_64-unknown-linux-gnu/release")
        .join(name)
}

/// Every user program, by folder in the order of [`bootfs::PROGRAM_FOLDERS`], then by name. The
/// names come from the files `<package>/src/bin/<name>.rs` and the directories
/// `<package>/src/bin/<name>/main.rs` (as cargo finds them); a name must be unique over all
/// packages, since a bare name finds a program in any folder.
pub fn user_programs() -> Result<Vec<Program>, String> {
    let mut programs: Vec<Program> = Vec::new();
    for (package, folder) in bootfs::PROGRAM_FOLDERS {
        for name in bin_names(&workspace_root().join(package).join("src/bin"))? {
            if let Some(other) = programs.iter().find(|p| p.name == name) {
                return Err(format!(
                    "user program `{name}` is in both /{} and /{folder}; a bare name must find one program",
                    other.folder
                ));
            }
            let path = user_binary_path(&name);
            programs.push(Program { name, folder, path });
        }
    }
    Ok(programs)
}

/// The bin names cargo finds in `dir` (a package's `src/bin`), sorted.
fn bin_names(dir: &Path) -> Result<Vec<String>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", display(dir)))?;
    let mut names = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot list {}: {e}", display(dir)))?
            .path();
        if path.extension().is_some_and(|ext| ext == "rs")
            && let Some(stem) = path.file_stem().and_then(|stem| stem.to_str())
        {
            names.push(stem.to_string());
        } else if path.join("main.rs").is_file()
            && let Some(name) = path.file_name().and_then(|name| name.to_str())
        {
            // A program with modules: `bin/<name>/main.rs` (cargo builds it as bin `<name>`).
            names.push(name.to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// Runs `cargo <args>` in the workspace root; fails with a message naming the command.
pub fn cargo(args: &[&str]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let status = Command::new(&cargo)
        .args(args)
        .current_dir(workspace_root())
        .status()
        .map_err(|e| format!("cannot start `{cargo}`: {e}"))?;
    if status.success() {
        return Ok(());
    }
    let code = status
        .code()
        .map_or("killed by a signal".to_string(), |code| {
            format!("exit {code}")
        });
    Err(format!(
        "cargo {} failed ({code}); see the output above",
        args.join(" ")
    ))
}

fn require_file(path: &Path, made_by: &str) -> Result<(), String> {
    if path.is_file() {
        Ok(())
    } else {
        Err(format!(
            "{} is missing after `{made_by}` succeeded",
            display(path)
        ))
    }
}
