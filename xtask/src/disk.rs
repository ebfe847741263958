//! The disk image `cargo xtask run` attaches as a virtio-blk device: made and formatted on the
//! host on first use (no guest driver needed), reused afterwards.
//!
//! Layout (docs/FS.md): the kernel's block map (`fscore::kmap`) at the start of the disk; one
//! persistent root named `home` owning three quarters of the rest, its library file system's
//! superblock recorded as the root's extent, formatted by `fscore::mkfs` inside that extent; the
//! last quarter free for applications that lay out their own blocks. The image file is sparse
//! (only written blocks take host space).

use crate::build;
use fscore::kmap::{self, KMap, Place, RootFlags};
use fscore::{Block, BlockDevice, IoError, MkfsOptions, Region};
use std::ffi::OsString;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// The image's size when xtask makes it: 1 GiB.
pub const DEFAULT_DISK_BYTES: u64 = 1 << 30;
/// The root the library file system mounted at /home lives in.
pub const HOME_ROOT: &str = "home";

/// `--disk PATH` and `--fresh-disk`.
#[derive(Debug, Default, PartialEq, clap::Args)]
pub struct DiskArgs {
    /// The disk image to attach (made and formatted if missing); default target/exo/disk.img.
    #[arg(long = "disk", value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Make and format the image anew, discarding what it held.
    #[arg(long = "fresh-disk")]
    pub fresh: bool,
}

/// The default image.
pub fn default_path() -> PathBuf {
    build::exo_dir().join("disk.img")
}

/// The image `args` names, made and formatted when it is missing or `--fresh-disk` asks; an
/// existing image is checked (its block map opens) and reused.
pub fn prepare(args: &DiskArgs) -> Result<PathBuf, String> {
    let path = args.path.clone().unwrap_or_else(default_path);
    let shown = build::display(&path);
    if args.fresh || !path.exists() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        }
        let home = format_image(&path, DEFAULT_DISK_BYTES)?;
        println!(
            "xtask: disk {shown}: made and formatted ({} MiB; root `{HOME_ROOT}`: {} MiB, blocks {}..{})",
            DEFAULT_DISK_BYTES >> 20,
            (home.1 * 4096) >> 20,
            home.0,
            home.0 + home.1
        );
    } else {
        let home = check_image(&path)?;
        println!("xtask: disk {shown}: reused (root `{HOME_ROOT}`: blocks {}..{})", home.0, home.0 + home.1);
    }
    Ok(path)
}

/// QEMU's arguments attaching `image` as a virtio-blk PCI device.
pub fn qemu_args(image: &Path) -> Vec<OsString> {
    let mut drive = OsString::from("file=");
    drive.push(image);
    drive.push(",if=none,id=d0,format=raw");
    ["-drive".into(), drive, "-device".into(), "virtio-blk-pci,drive=d0".into()].into()
}

/// A disk image file as a block device; `flush` is `fdatasync`.
pub struct FileDevice {
    file: File,
    blocks: u64,
}

impl FileDevice {
    /// Opens `path` read-write; its size must be a whole number of blocks.
    pub fn open(path: &Path) -> Result<FileDevice, String> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| format!("opening {}: {e}", path.display()))?;
        let len = file.metadata().map_err(|e| format!("{}: {e}", path.display()))?.len();
        if len == 0 || !len.is_multiple_of(fscore::BLOCK_SIZE as u64) {
            return Err(format!("{}: {len} bytes is not a whole number of 4 KiB blocks", path.display()));
        }
        Ok(FileDevice { file, blocks: len / fscore::BLOCK_SIZE as u64 })
    }
}

impl BlockDevice for FileDevice {
    fn block_count(&self) -> u64 {
        self.blocks
    }
    fn read(&mut self, block: u64, buf: &mut Block) -> Result<(), IoError> {
        if block >= self.blocks {
            return Err(IoError::OutOfRange);
        }
        self.file.read_exact_at(buf, block * fscore::BLOCK_SIZE as u64).map_err(|_| IoError::Device)
    }
    fn write(&mut self, block: u64, buf: &Block) -> Result<(), IoError> {
        if block >= self.blocks {
            return Err(IoError::OutOfRange);
        }
        self.file.write_all_at(buf, block * fscore::BLOCK_SIZE as u64).map_err(|_| IoError::Device)
    }
    fn flush(&mut self) -> Result<(), IoError> {
        self.file.sync_data().map_err(|_| IoError::Device)
    }
}

fn now_ns() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
}

/// Makes `path` a sparse image of `bytes` and formats it (see the module doc). Returns the home
/// root's extent (start, blocks).
pub fn format_image(path: &Path, bytes: u64) -> Result<(u64, u64), String> {
    let fail = |what: &str, e: &dyn std::fmt::Debug| format!("formatting {}: {what}: {e:?}", path.display());
    let file = File::create(path).map_err(|e| format!("creating {}: {e}", path.display()))?;
    file.set_len(bytes).map_err(|e| format!("sizing {}: {e}", path.display()))?;
    drop(file);
    let mut dev = FileDevice::open(path)?;
    // A new sparse file reads as zeros: every block starts free, with nothing to scrub.
    kmap::format(&mut dev, true).map_err(|e| fail("block map", &e))?;
    let mut map = KMap::open(&mut dev).map_err(|e| fail("block map", &e))?;
    let home = map.root_create(HOME_ROOT, RootFlags::PERSISTENT).map_err(|e| fail("root", &e))?;
    let first = map.kernel_blocks();
    let len = (map.disk_blocks() - first) / 4 * 3;
    let start = map.alloc(home, len, Place::Exact(first)).map_err(|e| fail("home extent", &e))?;
    map.root_set_super(home, start, len).map_err(|e| fail("home superblock", &e))?;
    map.commit(&mut dev).map_err(|e| fail("block map", &e))?;
    let mut region = Region::new(&mut dev, start, len).map_err(|e| fail("home extent", &e))?;
    fscore::mkfs(&mut region, MkfsOptions::default(), now_ns()).map_err(|e| fail("file system", &e))?;
    Ok((start, len))
}

/// Checks that `path` holds a block map with the home root; returns the root's extent.
pub fn check_image(path: &Path) -> Result<(u64, u64), String> {
    let mut dev = FileDevice::open(path)?;
    let map = KMap::open(&mut dev)
        .map_err(|e| format!("{}: not an Exo disk ({e:?}); start over with --fresh-disk", path.display()))?;
    let root = map
        .root_open(HOME_ROOT)
        .map_err(|_| format!("{}: has no `{HOME_ROOT}` root; start over with --fresh-disk", path.display()))?;
    Ok(root.super_extent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_made_image_holds_the_map_the_root_and_a_clean_file_system() {
        let dir = std::env::temp_dir().join(format!("exo-disk-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("disk.img");
        let (start, len) = format_image(&path, 64 << 20).unwrap();
        assert_eq!(check_image(&path).unwrap(), (start, len));
        assert!(len >= (64 << 20) / 4096 / 2);
        let mut dev = FileDevice::open(&path).unwrap();
        let region = Region::new(&mut dev, start, len).unwrap();
        let (mut fs, report) = fscore::fsck(region, Box::new(now_ns)).unwrap();
        assert!(report.is_clean(), "{report}");
        let ino = fs.create(fscore::ROOT_INO, "probe", fscore::Kind::File, 0o644).unwrap();
        fs.write(ino, 0, b"hi\n").unwrap();
        fs.unmount().unwrap();
        // Reuse keeps the file; a garbage file is refused with the way out.
        let mut dev = FileDevice::open(&path).unwrap();
        let region = Region::new(&mut dev, start, len).unwrap();
        let mut fs = fscore::Fs::mount(region, Box::new(now_ns)).unwrap();
        assert!(fs.lookup(fscore::ROOT_INO, "probe").is_ok());
        let garbage = dir.join("garbage.img");
        std::fs::write(&garbage, vec![7u8; 1 << 20]).unwrap();
        assert!(check_image(&garbage).unwrap_err().contains("--fresh-disk"));
        std::fs::write(&garbage, b"odd").unwrap();
        assert!(check_image(&garbage).unwrap_err().contains("not a whole number"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_drive_is_a_virtio_blk_pci_device() {
        let args: Vec<String> = qemu_args(Path::new("target/exo/disk.img")).iter().map(|a| a.to_string_lossy().into()).collect();
        assert_eq!(args, ["-drive", "file=target/exo/disk.img,if=none,id=d0,format=raw", "-device", "virtio-blk-pci,drive=d0"]);
    }
}
