//! fsck on damaged disks: random bytes of the metadata (inode table, bitmap, directory and
//! indirect blocks) overwritten, for many seeds. fsck must never panic: it either refuses with a
//! precise error (`Corrupt(what)`) or repairs, after which a second fsck reports `clean` and the
//! file system works (create, write, fsync, read back).

mod common;

use common::*;
use fscore::{BlockDevice, Fs, FsError, Kind, MemDevice, MkfsOptions, ROOT_INO, fsck, mkfs};

/// A file system with directories, small and large files (indirect blocks), unmounted cleanly.
fn populated(seed: u64) -> MemDevice {
    let mut dev = MemDevice::new(4096);
    mkfs(&mut dev, MkfsOptions::default(), 1).unwrap();
    let mut rng = Rng::new(seed);
    let mut fs = Fs::mount(&mut dev, test_clock()).unwrap();
    let mut dirs = vec![ROOT_INO];
    for i in 0..60 {
        let dir = dirs[rng.below(dirs.len() as u64) as usize];
        if rng.below(5) == 0 {
            dirs.push(fs.create(dir, &format!("d{i}"), Kind::Dir, 0o755).unwrap());
        } else {
            let ino = fs.create(dir, &format!("f{i}"), Kind::File, 0o644).unwrap();
            let len = if rng.below(6) == 0 { 200_000 } else { 1 + rng.below(9000) as usize };
            fs.write(ino, 0, &rng.bytes(len)).unwrap();
        }
    }
    fs.unmount().unwrap();
    dev
}

#[test]
fn fsck_repairs_or_refuses_damaged_metadata_without_panicking() {
    let (mut refused, mut repaired) = (0, 0);
    for seed in 1..=150u64 {
        let mut dev = populated(seed % 5);
        let sb = Fs::mount(&mut dev, test_clock()).unwrap().superblock();
        let mut rng = Rng::new(seed);
        // Damage 1..8 blocks of the inode table, bitmap or the first data blocks (directories and
        // indirect blocks live there among file data), a few bytes each.
        for _ in 0..1 + rng.below(8) {
            let b = match rng.below(3) {
                0 => sb.itable_start + rng.below(4) as u32,
                1 => sb.bitmap_start,
                _ => sb.data_start + rng.below(300) as u32,
            };
            let mut block = *dev.block(b as usize);
            for _ in 0..1 + rng.below(6) {
                let at = rng.below(4096) as usize;
                block[at] = rng.next() as u8;
            }
            dev.write(b as u64, &block).unwrap();
        }
        match fsck(&mut dev, test_clock()) {
            Err(FsError::Corrupt(what)) => {
                println!("seed {seed}: refused: {what}");
                refused += 1;
            }
            Err(e) => panic!("seed {seed}: fsck failed with {e:?}"),
            Ok((fs, report)) => {
                drop(fs);
                repaired += 1;
                let (mut fs, again) = fsck(&mut dev, test_clock())
                    .unwrap_or_else(|e| panic!("seed {seed}: second fsck after {report}: {e:?}"));
                assert!(again.is_clean(), "seed {seed}: after the repairs\n{report}\nthe second fsck found\n{again}");
                let ino = fs.create(ROOT_INO, "after-repair", Kind::File, 0o644).unwrap();
                fs.write(ino, 0, &[42u8; 10_000]).unwrap();
                fs.fsync(ino).unwrap();
                let mut buf = vec![0u8; 10_000];
                assert_eq!(fs.read(ino, 0, &mut buf).unwrap(), 10_000);
                assert!(buf.iter().all(|&x| x == 42));
            }
        }
    }
    println!("{repaired} repaired, {refused} refused");
    assert!(repaired >= 140, "almost all damage is repairable: {repaired} repaired, {refused} refused");
}
