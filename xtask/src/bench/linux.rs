//! The Linux side of the benchmarks: building the static Rust program `bench/linux`
//! (`linuxbench`), fetching Debian's kernel once into target/linux, and writing the initramfs
//! that runs the program as /init.

use super::*;

// ---------------------------------------------------------------------------------------------
// The Linux side: program, kernel, initramfs

/// The host target the Linux program is built for (named so that RUSTFLAGS reach only it, not
/// the build script of its `libc` dependency).
const LINUX_TARGET: &str = "x86_64-unknown-linux-gnu";
/// The codegen flags of the Linux program: glibc linked statically (gcc links it, from
/// libc6-dev's libc.a) into a non-PIE executable (as `gcc -static`: no self-relocation at
/// start, which `spawn` pays for), and no unwinding.
const LINUX_RUSTFLAGS: &str = "-C target-feature=+crt-static -C relocation-model=static -C panic=abort";

/// Builds `bench/linux` (package `linuxbench`) with `cargo build --release` into `dir/cargo`
/// (its own target dir: its RUSTFLAGS differ from the host crates') and checks that the result
/// is statically linked (no `PT_INTERP`): it must run as /init of an initramfs with no loader.
pub(super) fn build_linux_program(dir: &Path) -> Result<PathBuf, String> {
    let target_dir = dir.join("cargo");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(&cargo);
    command
        .args(["build", "--release", "--quiet", "-p", "linuxbench", "--target", LINUX_TARGET, "--target-dir"])
        .arg(&target_dir)
        .env("RUSTFLAGS", LINUX_RUSTFLAGS)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .current_dir(workspace_root());
    run_tool(command, "cargo build -p linuxbench")?;
    let program = target_dir.join(LINUX_TARGET).join("release/linuxbench");
    let elf = std::fs::read(&program).map_err(|e| format!("cannot read {}: {e}", display(&program)))?;
    match elf_interpreter(&elf)? {
        None => Ok(program),
        Some(interpreter) => Err(format!(
            "{} is not statically linked: it needs the loader {interpreter} (is `+crt-static` ignored?)",
            display(&program)
        )),
    }
}

/// The program interpreter (`PT_INTERP`, the dynamic loader) an x86_64 ELF executable names, or
/// `None` for a static one (static-pie included).
pub fn elf_interpreter(elf: &[u8]) -> Result<Option<String>, String> {
    let bytes = |at: usize, n: usize| elf.get(at..at + n).ok_or("truncated ELF file");
    let u16_at = |at| bytes(at, 2).map(|b| u16::from_le_bytes([b[0], b[1]]) as usize);
    let u32_at = |at| bytes(at, 4).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")));
    let u64_at = |at| {
        bytes(at, 8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")) as usize)
    };
    if bytes(0, 6)? != b"\x7fELF\x02\x01" {
        return Err("not a 64-bit little-endian ELF file".into());
    }
    const PT_INTERP: u32 = 3;
    let (phoff, phentsize, phnum) = (u64_at(0x20)?, u16_at(0x36)?, u16_at(0x38)?);
    for header in (0..phnum).map(|i| phoff + i * phentsize) {
        if u32_at(header)? == PT_INTERP {
            let (offset, size) = (u64_at(header + 8)?, u64_at(header + 32)?);
            let path = bytes(offset, size)?;
            let path = path.split(|&b| b == 0).next().unwrap_or_default();
            return Ok(Some(String::from_utf8_lossy(path).into_owned()));
        }
    }
    Ok(None)
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


/// The virtio network modules of `bench net`'s Linux guest, dependencies first (the order
/// bench/linux/src/net.rs loads them in), and where each lies in the kernel package.
pub(super) const NET_MODULES: &[(&str, &str)] = &[
    ("virtio_ring", "drivers/virtio/virtio_ring.ko"),
    ("virtio", "drivers/virtio/virtio.ko"),
    ("virtio_pci_legacy_dev", "drivers/virtio/virtio_pci_legacy_dev.ko"),
    ("virtio_pci_modern_dev", "drivers/virtio/virtio_pci_modern_dev.ko"),
    ("virtio_pci", "drivers/virtio/virtio_pci.ko"),
    ("failover", "net/core/failover.ko"),
    ("net_failover", "drivers/net/net_failover.ko"),
    ("virtio_net", "drivers/net/virtio_net.ko"),
];

/// The network modules of the cached kernel `kernel` (`.../vmlinuz-<release>`), as (name, bytes),
/// from `dir/modules/<release>/`; fetched first if missing: the kernel's own package
/// (`linux-image-<release>`) is downloaded again with `apt-get download`, only those modules
/// unpacked, and the .deb deleted.
pub(super) fn fetch_net_modules(dir: &Path, kernel: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let release = kernel
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("vmlinuz-"))
        .ok_or(format!("{} is not named vmlinuz-<release>", display(kernel)))?
        .to_string();
    let cache = dir.join("modules").join(&release);
    let read_all = || -> Option<Vec<(String, Vec<u8>)>> {
        NET_MODULES.iter().map(|(name, _)| Some((name.to_string(), std::fs::read(cache.join(format!("{name}.ko"))).ok()?))).collect()
    };
    if let Some(modules) = read_all() {
        return Ok(modules);
    }
    let package = format!("linux-image-{release}");
    let downloads = dir.join("download-modules");
    std::fs::create_dir_all(&downloads).map_err(|e| format!("cannot create {}: {e}", display(&downloads)))?;
    println!("xtask: bench: apt-get download {package} (for its virtio network modules)");
    let mut download = Command::new("apt-get");
    download.args(["download", &package]).current_dir(&downloads);
    run_tool(download, &format!("apt-get download {package}"))?;
    let deb = std::fs::read_dir(&downloads)
        .map_err(|e| format!("cannot list {}: {e}", display(&downloads)))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .find(|path| path.extension().is_some_and(|e| e == "deb"))
        .ok_or(format!("apt-get download {package} left no .deb"))?;
    let unpacked = downloads.join("root");
    std::fs::create_dir_all(&unpacked).map_err(|e| format!("cannot create {}: {e}", display(&unpacked)))?;
    let mut unpack = Command::new("sh");
    unpack.arg("-c").arg("dpkg-deb --fsys-tarfile \"$1\" | tar -x -C \"$2\" --wildcards './lib/modules/*'").arg("sh").arg(&deb).arg(&unpacked);
    run_tool(unpack, "dpkg-deb --fsys-tarfile | tar -x")?;
    std::fs::create_dir_all(&cache).map_err(|e| format!("cannot create {}: {e}", display(&cache)))?;
    for (name, path) in NET_MODULES {
        let from = unpacked.join("lib/modules").join(&release).join("kernel").join(path);
        std::fs::copy(&from, cache.join(format!("{name}.ko"))).map_err(|e| format!("cannot copy {}: {e}", display(&from)))?;
    }
    let _ = std::fs::remove_dir_all(&downloads); // Only the modules are kept.
    read_all().ok_or(format!("{} lacks a module after unpacking", display(&cache)))
}

/// [`initramfs_newc`] plus `/modules/<name>.ko` for each of `modules`.
pub fn initramfs_with_modules(init: &[u8], modules: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut archive = Vec::new();
    cpio_entry(&mut archive, 1, 0o040755, "dev", &[], (0, 0));
    cpio_entry(&mut archive, 2, 0o020600, "dev/console", &[], (5, 1));
    cpio_entry(&mut archive, 3, 0o100755, "init", init, (0, 0));
    cpio_entry(&mut archive, 4, 0o040755, "modules", &[], (0, 0));
    for (i, (name, bytes)) in modules.iter().enumerate() {
        let inode = 5 + u32::try_from(i).expect("few modules");
        cpio_entry(&mut archive, inode, 0o100644, &format!("modules/{name}.ko"), bytes, (0, 0));
    }
    cpio_entry(&mut archive, 0, 0, "TRAILER!!!", &[], (0, 0));
    archive
}
