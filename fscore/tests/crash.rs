//! Crash tests: the three workloads of issue 20 (many small files with fsync, one large file
//! appended with fsync, rename-heavy) run on a [`SimDisk`] that crashes at a device call chosen
//! by a seeded PRNG and then keeps only the flushed writes plus a random subset, in random order,
//! of the unflushed ones. The reboot first crashes once more inside recovery (at a random call),
//! then recovers; `fsck` must report clean, and the file system must equal one of the states the
//! workload passed through since its last completed fsync (so every fsync'd byte is there and
//! every operation is all-or-nothing).
//!
//! Each run prints its seed and crash point. `FSCORE_CRASH_SEED=N` replays one seed,
//! `FSCORE_CRASH_SEEDS=N` sets how many seeds each workload runs (default 48).

mod common;

use common::*;
use fscore::{BlockDevice, Fs, FsError, Kind, MkfsOptions, ROOT_INO, STEP_BLOCKS, fsck, mkfs};
use std::rc::Rc;

/// Blocks of the simulated disk (16 MiB; the churn workload's is 8 MiB).
const DISK_BLOCKS: u64 = 4096;
const SMALL_DISK_BLOCKS: u64 = 2048;

/// The model of what the file system holds, and every state it may be found in after a crash.
struct Log {
    model: Snapshot,
    /// States since (and including) the one the last completed fsync made durable.
    candidates: Vec<Snapshot>,
}

impl Log {
    fn new() -> Log {
        Log { model: Snapshot::new(), candidates: vec![Snapshot::new()] }
    }
    /// The model changed: one more state the disk may be found in.
    fn changed(&mut self) {
        self.candidates.push(self.model.clone());
    }
    /// An fsync returned: the model's current state is durable.
    fn synced(&mut self) {
        self.candidates = vec![self.model.clone()];
    }
    fn set_file(&mut self, path: &str, data: Vec<u8>) {
        self.model.insert(path.to_string(), Node::File(Rc::new(data)));
        self.changed();
    }
    fn file(&self, path: &str) -> Vec<u8> {
        match &self.model[path] {
            Node::File(d) => d.as_ref().clone(),
            Node::Dir => panic!("{path} is a directory"),
        }
    }
    fn files(&self) -> Vec<String> {
        self.model.iter().filter(|(_, n)| matches!(n, Node::File(_))).map(|(p, _)| p.clone()).collect()
    }
}

type TestFs<'a> = Fs<&'a mut SimDisk>;

fn split(path: &str) -> (&str, &str) {
    path.rsplit_once('/').expect("absolute path")
}

fn dir_of(fs: &mut TestFs, path: &str) -> Result<u32, FsError> {
    fs.resolve(split(path).0)
}

fn mkdir(fs: &mut TestFs, log: &mut Log, path: &str) -> Result<u32, FsError> {
    log.model.insert(path.to_string(), Node::Dir);
    log.changed();
    let dir = dir_of(fs, path)?;
    fs.create(dir, split(path).1, Kind::Dir, 0o755)
}

fn create(fs: &mut TestFs, log: &mut Log, path: &str) -> Result<u32, FsError> {
    log.set_file(path, Vec::new());
    let dir = dir_of(fs, path)?;
    fs.create(dir, split(path).1, Kind::File, 0o644)
}

/// Writes `data` at `offset`, recording in the model each state a crash between the write's
/// steps can leave (the file system commits only at step boundaries).
fn write(fs: &mut TestFs, log: &mut Log, path: &str, ino: u32, offset: u64, data: &[u8]) -> Result<(), FsError> {
    let bs = BS as u64;
    let mut content = log.file(path);
    let mut done = 0usize;
    while done < data.len() {
        let pos = offset + done as u64;
        let step_end = ((pos / bs + STEP_BLOCKS) * bs).min(offset + data.len() as u64);
        let n = (step_end - pos) as usize;
        if content.len() < pos as usize {
            content.resize(pos as usize, 0);
        }
        let end = pos as usize + n;
        if content.len() < end {
            content.resize(end, 0);
        }
        content[pos as usize..end].copy_from_slice(&data[done..done + n]);
        done += n;
        log.set_file(path, content.clone());
    }
    assert_eq!(fs.write(ino, offset, data)?, data.len());
    Ok(())
}

fn fsync(fs: &mut TestFs, log: &mut Log, ino: u32) -> Result<(), FsError> {
    fs.fsync(ino)?;
    log.synced();
    Ok(())
}

/// Many small files, each fsync'd after it is written; now and then one is unlinked.
fn small_files(fs: &mut TestFs, rng: &mut Rng, log: &mut Log) -> Result<(), FsError> {
    for d in 0..4 {
        mkdir(fs, log, &format!("/d{d}"))?;
    }
    fsync(fs, log, ROOT_INO)?;
    for i in 0..120 {
        let path = format!("/d{}/f{i}", rng.below(4));
        let ino = create(fs, log, &path)?;
        let data = { let n = 1 + rng.below(6000) as usize; rng.bytes(n) };
        write(fs, log, &path, ino, 0, &data)?;
        fsync(fs, log, ino)?;
        if i % 7 == 6 {
            let files = log.files();
            let victim = files[rng.below(files.len() as u64) as usize].clone();
            log.model.remove(&victim);
            log.changed();
            let dir = dir_of(fs, &victim)?;
            fs.unlink(dir, split(&victim).1)?;
            fsync(fs, log, dir)?;
        }
    }
    Ok(())
}

/// One large file, appended in pieces of up to 40 KB, fsync'd after every one to three.
fn large_append(fs: &mut TestFs, rng: &mut Rng, log: &mut Log) -> Result<(), FsError> {
    let path = "/big";
    let ino = create(fs, log, path)?;
    fsync(fs, log, ino)?;
    let mut size = 0u64;
    for _ in 0..100 {
        let data = { let n = 1 + rng.below(40_000) as usize; rng.bytes(n) };
        write(fs, log, path, ino, size, &data)?;
        size += data.len() as u64;
        if rng.below(3) == 0 {
            continue;
        }
        fsync(fs, log, ino)?;
    }
    fsync(fs, log, ino)
}

/// Files renamed over and over between three directories (often replacing another), new files
/// now and then, directories renamed; an fsync after about every third operation.
fn rename_heavy(fs: &mut TestFs, rng: &mut Rng, log: &mut Log) -> Result<(), FsError> {
    let mut dirs = vec!["a".to_string(), "b".to_string(), "c".to_string()];
    for d in &dirs {
        mkdir(fs, log, &format!("/{d}"))?;
    }
    let mut next = 0;
    let mut new_file = |fs: &mut TestFs, rng: &mut Rng, log: &mut Log, dirs: &[String]| -> Result<(), FsError> {
        let path = format!("/{}/n{}", dirs[rng.below(3) as usize], rng.below(40));
        if log.model.contains_key(&path) {
            return Ok(());
        }
        next += 1;
        let ino = create(fs, log, &path)?;
        let data = { let n = 1 + rng.below(5000) as usize; rng.bytes(n) };
        write(fs, log, &path, ino, 0, &data)
    };
    for _ in 0..30 {
        new_file(fs, rng, log, &dirs)?;
    }
    fsync(fs, log, ROOT_INO)?;
    for _ in 0..250 {
        match rng.below(20) {
            0 => new_file(fs, rng, log, &dirs)?,
            1 => {
                // Rename a whole directory to a name not in use.
                let i = rng.below(3) as usize;
                let new = ["a", "b", "c", "d", "e"].iter().find(|n| !dirs.iter().any(|d| d == *n)).unwrap().to_string();
                let old = std::mem::replace(&mut dirs[i], new.clone());
                let moved: Vec<(String, Node)> = log
                    .model
                    .iter()
                    .filter(|(p, _)| *p == &format!("/{old}") || p.starts_with(&format!("/{old}/")))
                    .map(|(p, n)| (p.clone(), n.clone()))
                    .collect();
                for (p, n) in moved {
                    log.model.remove(&p);
                    log.model.insert(format!("/{new}{}", &p[old.len() + 1..]), n);
                }
                log.changed();
                fs.rename(ROOT_INO, &old, ROOT_INO, &new)?;
            }
            _ => {
                let files = log.files();
                if files.is_empty() {
                    continue;
                }
                let src = files[rng.below(files.len() as u64) as usize].clone();
                let dst = format!("/{}/n{}", dirs[rng.below(3) as usize], rng.below(40));
                if src == dst {
                    continue;
                }
                let node = log.model.remove(&src).unwrap();
                log.model.insert(dst.clone(), node);
                log.changed();
                let (sd, dd) = (dir_of(fs, &src)?, dir_of(fs, &dst)?);
                fs.rename(sd, split(&src).1, dd, split(&dst).1)?;
            }
        }
        if rng.below(3) == 0 {
            fsync(fs, log, ROOT_INO)?;
        }
    }
    Ok(())
}

/// Space reuse: files of up to 120 KB written, overwritten by new files and unlinked on a disk
/// whose data area is a few MiB, so the allocator wraps around and hands out blocks freed a
/// moment ago (which a crash must never show inside another file); fsync about every other step.
fn churn(fs: &mut TestFs, rng: &mut Rng, log: &mut Log) -> Result<(), FsError> {
    for i in 0..100 {
        let path = format!("/c{}", rng.below(12));
        if log.model.contains_key(&path) && rng.below(2) == 0 {
            log.model.remove(&path);
            log.changed();
            fs.unlink(ROOT_INO, &path[1..])?;
        } else {
            let tmp = format!("/t{i}");
            let ino = create(fs, log, &tmp)?;
            let data = { let n = 1 + rng.below(120_000) as usize; rng.bytes(n) };
            write(fs, log, &tmp, ino, 0, &data)?;
            // Replace the old file atomically (the rename-over pattern of editors).
            let node = log.model.remove(&tmp).unwrap();
            log.model.insert(path.clone(), node);
            log.changed();
            fs.rename(ROOT_INO, &tmp[1..], ROOT_INO, &path[1..])?;
        }
        if rng.below(2) == 0 {
            fsync(fs, log, ROOT_INO)?;
        }
    }
    Ok(())
}

type Workload = fn(&mut TestFs, &mut Rng, &mut Log) -> Result<(), FsError>;

/// Formats a fresh simulated disk of `blocks` blocks.
fn fresh_disk(blocks: u64) -> SimDisk {
    let mut disk = SimDisk::new(blocks);
    mkfs(&mut disk, MkfsOptions::default(), 1).expect("mkfs");
    disk.flush().unwrap();
    disk.ops = 0;
    disk.flush_calls.clear();
    disk
}

/// Runs `workload` with seed `seed` on `disk` (mount included, a final sync); returns the log.
fn run(disk: &mut SimDisk, workload: Workload, seed: u64) -> (Log, Result<(), FsError>) {
    let mut log = Log::new();
    let mut rng = Rng::new(seed);
    let result = match Fs::mount(disk, test_clock()) {
        Ok(mut fs) => workload(&mut fs, &mut rng, &mut log).and_then(|()| {
            fs.sync()?;
            log.synced();
            Ok(())
        }),
        Err(e) => Err(e),
    };
    (log, result)
}

/// One seed of one workload: a crash, a crash during recovery, recovery, the checks.
fn crash_once(name: &str, workload: Workload, seed: u64) {
    let blocks = if name.contains("churn") { SMALL_DISK_BLOCKS } else { DISK_BLOCKS };
    // A clean run counts the device calls, so the crash point can be any of them.
    let mut disk = fresh_disk(blocks);
    let (_, result) = run(&mut disk, workload, seed);
    result.unwrap_or_else(|e| panic!("{name} seed {seed}: the run without a crash failed: {e:?}"));
    let total = disk.ops;

    let mut rng = Rng::new(seed.wrapping_mul(0x2545_F491_4F6C_DD1D));
    let crash_at = disk.pick_crash(&mut rng);
    let mut disk = fresh_disk(blocks);
    disk.crash_at = Some(crash_at);
    let (log, result) = run(&mut disk, workload, seed);
    assert!(disk.crashed && result.is_err(), "{name} seed {seed}: no crash at call {crash_at} of {total}");
    let unflushed = disk.unflushed();
    let mut image = disk.after_crash(&mut rng);

    // Crash again while recovering.
    let mut second = image.clone();
    let recovery_crash = 1 + rng.below(12);
    second.crash_at = Some(recovery_crash);
    let recovered_first_time = Fs::mount(&mut second, test_clock()).is_ok();
    if !recovered_first_time {
        image = second.after_crash(&mut rng);
    }

    let context = format!(
        "{name} seed {seed}: crash at device call {crash_at} of {total} ({unflushed} writes unflushed), \
         then at call {recovery_crash} of recovery{}",
        if recovered_first_time { " (recovery finished first)" } else { "" }
    );
    // Recovery itself (replay, orphans) must succeed with no help from fsck's repairs.
    let stats = Fs::mount(&mut image, test_clock()).map(|fs| fs.stats());
    let stats = stats.unwrap_or_else(|e| panic!("{context}: recovery failed: {e:?}"));
    println!("{context}: {} transactions replayed, {} orphans freed", stats.replayed, stats.orphans);
    let (mut fs, report) = fsck(&mut image, test_clock()).unwrap_or_else(|e| panic!("{context}: fsck failed: {e:?}"));
    assert!(report.is_clean(), "{context}: fsck repaired:\n{report}");
    let found = snapshot(&mut fs);
    if !log.candidates.contains(&found) {
        let last = log.candidates.last().unwrap();
        let first = &log.candidates[0];
        panic!(
            "{context}: the recovered file system is none of the {} states since the last fsync\n\
             against the fsync'd state: {}\nagainst the last state: {}",
            log.candidates.len(),
            diff(first, &found),
            diff(last, &found)
        );
    }
    // The recovered file system keeps working.
    let ino = fs.create(ROOT_INO, "after-crash", Kind::File, 0o644).unwrap_or_else(|e| panic!("{context}: {e:?}"));
    fs.write(ino, 0, b"still alive").unwrap();
    fs.fsync(ino).unwrap();
    fs.unmount().unwrap();
    let (mut fs, report) = fsck(&mut image, test_clock()).unwrap();
    assert!(report.is_clean() && report.replayed == 0, "{context}: after the clean unmount: {report}");
    let mut buf = [0u8; 11];
    let ino = fs.lookup(ROOT_INO, "after-crash").unwrap();
    assert_eq!(fs.read(ino, 0, &mut buf).unwrap(), 11);
    assert_eq!(&buf, b"still alive");
}

fn seeds() -> Vec<u64> {
    if let Ok(seed) = std::env::var("FSCORE_CRASH_SEED") {
        return vec![seed.parse().expect("FSCORE_CRASH_SEED is a number")];
    }
    let count = std::env::var("FSCORE_CRASH_SEEDS").ok().and_then(|n| n.parse().ok()).unwrap_or(48);
    (1..=count).collect()
}

#[test]
fn crash_small_files_fsync() {
    for seed in seeds() {
        crash_once("crash_small_files_fsync", small_files, seed);
    }
}

#[test]
fn crash_large_append_fsync() {
    for seed in seeds() {
        crash_once("crash_large_append_fsync", large_append, seed);
    }
}

#[test]
fn crash_churn_reuse() {
    for seed in seeds() {
        crash_once("crash_churn_reuse", churn, seed);
    }
}

#[test]
fn crash_rename_heavy() {
    for seed in seeds() {
        crash_once("crash_rename_heavy", rename_heavy, seed);
    }
}

/// The workloads themselves, without crashes, end in the model's state with fsck clean.
#[test]
fn workloads_without_a_crash_match_their_model() {
    for (name, workload) in [("small", small_files as Workload), ("append", large_append), ("rename", rename_heavy), ("churn", churn)] {
        for seed in 1..=3 {
            let mut disk = fresh_disk(if name == "churn" { SMALL_DISK_BLOCKS } else { DISK_BLOCKS });
            let (log, result) = run(&mut disk, workload, seed);
            result.unwrap();
            let (mut fs, report) = fsck(&mut disk, test_clock()).unwrap();
            assert!(report.is_clean(), "{name} {seed}: {report}");
            let found = snapshot(&mut fs);
            assert!(found == log.model, "{name} {seed}: {}", diff(&log.model, &found));
        }
    }
}
