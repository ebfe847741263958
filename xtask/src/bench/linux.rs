//! The Linux side of the benchmarks: building the static C program, fetching Debian's kernel once
//! into target/linux, and writing the initramfs that runs the program as /init.

use super::*;

// ---------------------------------------------------------------------------------------------
// The Linux side: program, kernel, initramfs

/// Compiles bench/linux/bench.c with `gcc -O2 -static` into target/linux/bench.
pub(super) fn build_linux_program(dir: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", display(dir)))?;
    let source = workspace_root().join("bench/linux/bench.c");
    let out = dir.join("bench");
    let mut command = Command::new("gcc");
    command.args(["-O2", "-static", "-Wall", "-Wextra", "-o"]).arg(&out).arg(&source);
    run_tool(command, "gcc")?;
    Ok(out)
}

/// The cached Debian kernel under `dir/boot/`, fetching it first if there is none: the package
/// `linux-image-amd64` depends on is downloaded with `apt-get download` and only its
/// `/boot/vmlinuz-*` unpacked (`dpkg-deb --fsys-tarfile | tar`); the .deb is then deleted.
pub(super) fn fetch_linux_kernel(dir: &Path) -> Result<PathBuf, String> {
    let boot = dir.join("boot");
    if let Some(kernel) = cached_kernel(&boot) {
        return Ok(kernel);
    }
    println!("xtask: bench: no Linux kernel cached in {}; fetching Debian's", display(&boot));
    let depends = tool_output(Command::new("apt-cache").args(["depends", KERNEL_META_PACKAGE]), "apt-cache depends")?;
    let package = kernel_package_from_depends(&depends).ok_or(format!(
        "`apt-cache depends {KERNEL_META_PACKAGE}` names no linux-image package (run `apt-get update`?)"
    ))?;
    let downloads = dir.join("download");
    std::fs::create_dir_all(&downloads).map_err(|e| format!("cannot create {}: {e}", display(&downloads)))?;
    println!("xtask: bench: apt-get download {package}");
    let mut download = Command::new("apt-get");
    download.args(["download", &package]).current_dir(&downloads);
    run_tool(download, &format!("apt-get download {package}"))?;
    let deb = std::fs::read_dir(&downloads)
        .map_err(|e| format!("cannot list {}: {e}", display(&downloads)))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .find(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with(&format!("{package}_")) && name.ends_with(".deb"))
        })
        .ok_or(format!("apt-get download {package} left no .deb in {}", display(&downloads)))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", display(dir)))?;
    let mut unpack = Command::new("sh");
    unpack
        .arg("-c")
        .arg("dpkg-deb --fsys-tarfile \"$1\" | tar -x -C \"$2\" --wildcards './boot/vmlinuz-*'")
        .arg("sh")
        .arg(&deb)
        .arg(dir);
    run_tool(unpack, "dpkg-deb --fsys-tarfile | tar -x")?;
    let _ = std::fs::remove_dir_all(&downloads); // Only the kernel image is kept.
    cached_kernel(&boot).ok_or(format!("{} holds no vmlinuz-* after unpacking {}", display(&boot), display(&deb)))
}

/// The newest `vmlinuz-*` in `boot`, if any.
pub(super) fn cached_kernel(boot: &Path) -> Option<PathBuf> {
    let mut kernels: Vec<PathBuf> = std::fs::read_dir(boot)
        .ok()?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("vmlinuz-")))
        .collect();
    kernels.sort();
    kernels.pop()
}

/// The kernel image package named by `apt-cache depends linux-image-amd64` (`Depends:
/// linux-image-6.1.0-56-amd64`).
pub fn kernel_package_from_depends(output: &str) -> Option<String> {
    output.lines().find_map(|line| {
        let name = line.trim().strip_prefix("Depends:")?.trim();
        let plain = name.starts_with("linux-image-") && !name.contains(['<', ' ']);
        plain.then(|| name.to_string())
    })
}

/// A cpio "newc" initramfs: `/dev`, the console device node `/dev/console` (5, 1), and `init`,
/// the benchmark program. The kernel opens /dev/console for init's output.
pub fn initramfs_newc(init: &[u8]) -> Vec<u8> {
    let mut archive = Vec::new();
    cpio_entry(&mut archive, 1, 0o040755, "dev", &[], (0, 0));
    cpio_entry(&mut archive, 2, 0o020600, "dev/console", &[], (5, 1));
    cpio_entry(&mut archive, 3, 0o100755, "init", init, (0, 0));
    cpio_entry(&mut archive, 0, 0, "TRAILER!!!", &[], (0, 0));
    archive
}

pub(super) fn cpio_entry(archive: &mut Vec<u8>, inode: u32, mode: u32, name: &str, data: &[u8], rdev: (u32, u32)) {
    let size = u32::try_from(data.len()).expect("initramfs files are smaller than 4 GiB");
    let name_size = u32::try_from(name.len() + 1).expect("short file name");
    // ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor,
    // namesize (with the NUL), check.
    let nlink = if mode & 0o040000 != 0 { 2 } else { 1 };
    let fields = [inode, mode, 0, 0, nlink, 0, size, 0, 0, rdev.0, rdev.1, name_size, 0];
    archive.extend_from_slice(b"070701");
    for field in fields {
        archive.extend_from_slice(format!("{field:08X}").as_bytes());
    }
    archive.extend_from_slice(name.as_bytes());
    archive.push(0);
    archive.resize(archive.len().next_multiple_of(4), 0);
    archive.extend_from_slice(data);
    archive.resize(archive.len().next_multiple_of(4), 0);
}

/// Runs a host tool, failing with its name, status and stderr.
pub(super) fn run_tool(mut command: Command, name: &str) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot start {name}: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "{name} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    ))
}

/// A host tool's stdout.
pub(super) fn tool_output(command: &mut Command, name: &str) -> Result<String, String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot start {name}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{name} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

