//! The file system's operations on a healthy disk: files of every shape, directories, rename,
//! links, truncate, timestamps, errors, space accounting, remount, fsck repairs.

mod common;

use common::*;
use fscore::{BlockDevice, Fs, FsError, Kind, MemDevice, MkfsOptions, ROOT_INO, fsck, mkfs};

fn fresh(blocks: usize) -> MemDevice {
    let mut dev = MemDevice::new(blocks);
    mkfs(&mut dev, MkfsOptions::default(), 1).unwrap();
    dev
}

fn read_all<D: BlockDevice>(fs: &mut Fs<D>, ino: u32) -> Vec<u8> {
    let mut buf = vec![0u8; fs.stat(ino).unwrap().size as usize];
    assert_eq!(fs.read(ino, 0, &mut buf).unwrap(), buf.len());
    buf
}

#[test]
fn files_of_every_shape_survive_a_remount() {
    let mut dev = fresh(8192);
    let mut rng = Rng::new(7);
    let mut expected = Vec::new();
    {
        let mut fs = Fs::mount(&mut dev, test_clock()).unwrap();
        for (i, size) in [0usize, 1, 4095, 4096, 4097, 65_536, 65_537, 300_000, 5_000_000].into_iter().enumerate() {
            let ino = fs.create(ROOT_INO, &format!("f{i}"), Kind::File, 0o644).unwrap();
            let data = rng.bytes(size);
            // Written in odd pieces.
            let mut at = 0;
            while at < size {
                let n = (1 + rng.below(70_000) as usize).min(size - at);
                assert_eq!(fs.write(ino, at as u64, &data[at..at + n]).unwrap(), n);
                at += n;
            }
            expected.push((format!("f{i}"), data));
        }
        // A sparse file: a hole of 1 GiB, then 10 bytes (tree height 2).
        let sparse = fs.create(ROOT_INO, "sparse", Kind::File, 0o644).unwrap();
        fs.write(sparse, 1 << 30, b"0123456789").unwrap();
        assert_eq!(fs.stat(sparse).unwrap().size, (1 << 30) + 10);
        assert!(fs.allocated_blocks(sparse).unwrap() <= 4);
        let mut buf = [1u8; 16];
        assert_eq!(fs.read(sparse, (1 << 30) - 6, &mut buf).unwrap(), 16);
        assert_eq!(&buf, b"\0\0\0\0\0\x000123456789");
        fs.unmount().unwrap();
    }
    let (mut fs, report) = fsck(&mut dev, test_clock()).unwrap();
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.replayed, 0);
    for (name, data) in expected {
        let ino = fs.lookup(ROOT_INO, &name).unwrap();
        assert!(read_all(&mut fs, ino) == data, "{name}");
    }
}

#[test]
fn append_truncate_and_the_zeroed_tail() {
    let mut dev = fresh(4096);
    let mut fs = Fs::mount(&mut dev, test_clock()).unwrap();
    let ino = fs.create(ROOT_INO, "log", Kind::File, 0o644).unwrap();
    assert_eq!(fs.append(ino, b"hello ").unwrap(), 0);
    assert_eq!(fs.append(ino, b"world").unwrap(), 6);
    assert_eq!(read_all(&mut fs, ino), b"hello world");
    fs.truncate(ino, 5).unwrap();
    assert_eq!(read_all(&mut fs, ino), b"hello");
    // Growing again shows zeros, not the old bytes.
    fs.truncate(ino, 11).unwrap();
    assert_eq!(read_all(&mut fs, ino), b"hello\0\0\0\0\0\0");
    fs.truncate(ino, 3).unwrap();
    fs.write(ino, 8, b"!").unwrap();
    assert_eq!(read_all(&mut fs, ino), b"hel\0\0\0\0\0!");
    // A large file shrinks in steps and gives its blocks back.
    let before = fs.statfs().free_blocks;
    let big = fs.create(ROOT_INO, "big", Kind::File, 0o644).unwrap();
    fs.write(big, 0, &vec![7u8; 6 << 20]).unwrap();
    assert!(fs.statfs().free_blocks < before - 1536);
    fs.truncate(big, 4096 * 3 + 1).unwrap();
    assert_eq!(fs.allocated_blocks(big).unwrap(), 5, "4 data blocks and the indirect one");
    fs.truncate(big, 0).unwrap();
    assert_eq!(fs.allocated_blocks(big).unwrap(), 0);
    assert_eq!(fs.statfs().free_blocks, before);
    fs.sync().unwrap();
    let report = fs.check_and_repair().unwrap();
    assert!(report.is_clean(), "{report}");
}

#[test]
fn directories_rename_and_links() {
    let mut dev = fresh(4096);
    let mut fs = Fs::mount(&mut dev, test_clock()).unwrap();
    let a = fs.create(ROOT_INO, "a", Kind::Dir, 0o755).unwrap();
    let b = fs.create(a, "b", Kind::Dir, 0o755).unwrap();
    let f = fs.create(b, "f", Kind::File, 0o644).unwrap();
    fs.write(f, 0, b"data").unwrap();
    assert_eq!(fs.resolve("/a/b/f").unwrap(), f);
    assert_eq!(fs.resolve("/a/b/../b/./f").unwrap(), f);
    assert_eq!(fs.create(b, "f", Kind::File, 0o644), Err(FsError::Exists));
    assert_eq!(fs.create(f, "x", Kind::File, 0o644), Err(FsError::NotDir));
    assert_eq!(fs.rmdir(ROOT_INO, "a"), Err(FsError::NotEmpty));
    assert_eq!(fs.unlink(ROOT_INO, "a"), Err(FsError::IsDir));
    assert_eq!(fs.rmdir(b, "f"), Err(FsError::NotDir));
    // A directory cannot move under itself.
    assert_eq!(fs.rename(ROOT_INO, "a", b, "a2"), Err(FsError::Invalid));
    // Move the directory up; its parent follows.
    fs.rename(a, "b", ROOT_INO, "b").unwrap();
    assert_eq!(fs.lookup(b, "..").unwrap(), ROOT_INO);
    // Hard link, rename over it, unlink: the data lives while one name does.
    fs.link(f, ROOT_INO, "g").unwrap();
    assert_eq!(fs.stat(f).unwrap().nlink, 2);
    let other = fs.create(ROOT_INO, "h", Kind::File, 0o644).unwrap();
    fs.rename(ROOT_INO, "h", ROOT_INO, "g").unwrap();
    assert_eq!(fs.lookup(ROOT_INO, "g").unwrap(), other);
    assert_eq!(fs.stat(f).unwrap().nlink, 1);
    assert_eq!(fs.rename(ROOT_INO, "g", ROOT_INO, "b"), Err(FsError::IsDir));
    assert_eq!(fs.rename(ROOT_INO, "a", b, "f"), Err(FsError::NotDir));
    fs.unlink(ROOT_INO, "g").unwrap();
    assert_eq!(fs.stat(other), Err(FsError::NotFound));
    fs.unlink(b, "f").unwrap();
    assert_eq!(fs.stat(f), Err(FsError::NotFound));
    fs.rmdir(ROOT_INO, "b").unwrap();
    fs.rmdir(ROOT_INO, "a").unwrap();
    assert!(fs.readdir(ROOT_INO).unwrap().is_empty());
    // Names.
    assert_eq!(fs.create(ROOT_INO, "..", Kind::File, 0), Err(FsError::BadName));
    assert_eq!(fs.create(ROOT_INO, "x/y", Kind::File, 0), Err(FsError::BadName));
    assert_eq!(fs.create(ROOT_INO, &"n".repeat(256), Kind::File, 0), Err(FsError::NameTooLong));
    fs.create(ROOT_INO, &"n".repeat(255), Kind::File, 0).unwrap();
    // Many entries: the directory grows past one block and shrinks back.
    for i in 0..600 {
        fs.create(ROOT_INO, &format!("entry-number-{i:04}"), Kind::File, 0o644).unwrap();
    }
    assert!(fs.stat(ROOT_INO).unwrap().size > 4096);
    for i in 0..600 {
        fs.unlink(ROOT_INO, &format!("entry-number-{i:04}")).unwrap();
    }
    assert_eq!(fs.stat(ROOT_INO).unwrap().size, 4096);
    fs.sync().unwrap();
    assert!(fs.check_and_repair().unwrap().is_clean());
}

#[test]
fn timestamps_move_with_changes() {
    let mut dev = fresh(4096);
    let mut fs = Fs::mount(&mut dev, test_clock()).unwrap();
    let ino = fs.create(ROOT_INO, "t", Kind::File, 0o644).unwrap();
    let created = fs.stat(ino).unwrap();
    assert_eq!((created.atime, created.mtime), (created.ctime, created.ctime));
    fs.write(ino, 0, b"x").unwrap();
    let written = fs.stat(ino).unwrap();
    assert!(written.mtime > created.mtime && written.ctime > created.ctime);
    assert!(fs.stat(ROOT_INO).unwrap().mtime >= created.ctime);
    fs.set_times(ino, Some(5), Some(6)).unwrap();
    let set = fs.stat(ino).unwrap();
    assert_eq!((set.atime, set.mtime), (5, 6));
    let mut buf = [0u8; 1];
    fs.read(ino, 0, &mut buf).unwrap();
    assert!(fs.stat(ino).unwrap().atime > 6, "relatime: an access after the last change is recorded");
}

#[test]
fn a_full_disk_refuses_cleanly_and_freed_space_returns() {
    let mut dev = fresh(2048);
    let mut fs = Fs::mount(&mut dev, test_clock()).unwrap();
    let ino = fs.create(ROOT_INO, "fill", Kind::File, 0o644).unwrap();
    let chunk = vec![1u8; 1 << 20];
    let mut total = 0u64;
    loop {
        match fs.write(ino, total, &chunk) {
            Ok(n) => total += n as u64, // part of a chunk when the disk fills

            Err(FsError::NoSpace) => break,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert!(total > 3 << 20, "{total}");
    assert_eq!(fs.write(ino, total, b"more"), Err(FsError::NoSpace));
    fs.sync().unwrap();
    assert!(fs.check_and_repair().unwrap().is_clean());
    fs.unlink(ROOT_INO, "fill").unwrap();
    // The freed blocks come back (the allocation forces the checkpoint that releases them).
    let again = fs.create(ROOT_INO, "again", Kind::File, 0o644).unwrap();
    assert_eq!(fs.write(again, 0, &vec![2u8; total as usize - 65536]).unwrap(), total as usize - 65536);
    fs.sync().unwrap();
    assert!(fs.check_and_repair().unwrap().is_clean());
    assert_eq!(fs.write(u32::MAX, 0, b"x"), Err(FsError::NotFound));
    assert_eq!(fs.write(ROOT_INO, 0, b"x"), Err(FsError::IsDir));
    assert_eq!(fs.truncate(again, 1 << 60), Err(FsError::FileTooBig));
}

/// Runs: file `a` at the start of the data area, a filler, free space at the end; remount (the
/// allocator starts over at the data area's start); unlink `a` and, before that is committed,
/// write `b` and fsync. Returns `a`'s data and `b`'s.
fn reuse_scenario(disk: &mut SimDisk) -> (Vec<u8>, Vec<u8>) {
    let mut rng = Rng::new(3);
    let a_data = rng.bytes(300_000);
    let b_data = rng.bytes(100_000);
    mkfs(disk, MkfsOptions::default(), 1).unwrap();
    let mut fs = Fs::mount(&mut *disk, test_clock()).unwrap();
    let a = fs.create(ROOT_INO, "a", Kind::File, 0o644).unwrap();
    fs.write(a, 0, &a_data).unwrap();
    let free = fs.statfs().free_blocks;
    let filler = fs.create(ROOT_INO, "filler", Kind::File, 0o644).unwrap();
    fs.write(filler, 0, &vec![9u8; (free as usize - 200) * 4096]).unwrap();
    fs.unmount().unwrap();
    let mut fs = Fs::mount(&mut *disk, test_clock()).unwrap();
    fs.unlink(ROOT_INO, "a").unwrap();
    let b = fs.create(ROOT_INO, "b", Kind::File, 0o644).unwrap();
    fs.write(b, 0, &b_data).unwrap();
    let _ = fs.fsync(b);
    (a_data, b_data)
}

/// A block freed by an operation not yet committed must not receive another file's data: a
/// crash after the data is flushed but before the commit brings the old owner back.
#[test]
fn freed_blocks_are_not_reused_before_the_freeing_commit_is_checkpointed() {
    // A run without a crash counts the flushes: b's fsync is the last two.
    let mut counter = SimDisk::new(2048);
    reuse_scenario(&mut counter);
    let mut disk = SimDisk::new(2048);
    // Crash at the first call after the fsync's first flush: its commit block.
    disk.crash_after_flushes = Some(counter.flushes - 1);
    let (a_data, _) = reuse_scenario(&mut disk);
    assert!(disk.crashed, "the crash point was reached");
    let mut image = disk.after_crash(&mut Rng::new(1));
    let (mut fs, report) = fsck(&mut image, test_clock()).unwrap();
    assert!(report.is_clean(), "{report}");
    let a = fs.lookup(ROOT_INO, "a").expect("the unlink was never committed");
    assert!(read_all(&mut fs, a) == a_data, "a holds another file's data");
}

#[test]
fn fsck_repairs_what_it_finds() {
    let mut dev = fresh(4096);
    let sb;
    {
        let mut fs = Fs::mount(&mut dev, test_clock()).unwrap();
        sb = fs.superblock();
        let d = fs.create(ROOT_INO, "d", Kind::Dir, 0o755).unwrap();
        let f = fs.create(d, "f", Kind::File, 0o644).unwrap();
        fs.write(f, 0, &[5u8; 10_000]).unwrap();
        fs.unmount().unwrap();
    }
    // Damage: mark every data block free in the bitmap, and leak one.
    let mut block = *dev.block(sb.bitmap_start as usize);
    for b in sb.data_start..sb.data_start + 16 {
        block[(b / 8) as usize] &= !(1 << (b % 8));
    }
    let leak = sb.data_start + 100;
    block[(leak / 8) as usize] |= 1 << (leak % 8);
    dev.write(sb.bitmap_start as u64, &block).unwrap();
    let (_, report) = fsck(&mut dev, test_clock()).unwrap();
    assert!(!report.is_clean());
    let text = report.to_string();
    assert!(text.contains("1 blocks marked used but owned by nothing: freed"), "{text}");
    assert!(text.contains("blocks owned but marked free: marked used"), "{text}");
    let (_, report) = fsck(&mut dev, test_clock()).unwrap();
    assert!(report.is_clean(), "the repairs hold: {report}");
    assert!(report.to_string().starts_with("clean"));
}

#[test]
fn io_errors_poison_the_mount_but_not_the_disk() {
    let mut disk = SimDisk::new(4096);
    mkfs(&mut disk, MkfsOptions::default(), 1).unwrap();
    disk.crash_at = Some(disk.ops + 4);
    let mut fs = Fs::mount(&mut disk, test_clock()).unwrap();
    let ino = fs.create(ROOT_INO, "x", Kind::File, 0o644).unwrap();
    assert!(matches!(fs.write(ino, 0, &[1u8; 20_000]), Err(FsError::Io(_))));
    assert_eq!(fs.create(ROOT_INO, "y", Kind::File, 0o644), Err(FsError::Poisoned));
    assert_eq!(fs.sync(), Err(FsError::Poisoned));
}
