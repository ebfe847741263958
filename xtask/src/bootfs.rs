//! The boot file system's layout: which directories, programs and data files the boot archive
//! holds, with their modes, and the deliberately broken copies integration tests boot with.
//!
//! ```text
//! bin/           0755   the tools (user/tools: the utilities and `sh`), mode 0755
//! test/          0755   the test programs (user/tests) and the bad_* malformed ELFs, mode 0755
//! bench/         0755   the benchmark programs (user/benches), mode 0755
//! etc/           0755   motd (welcome text), passwd (colon-separated records),
//!                       features.sh (0755: the shell feature script, user/scripts/features.sh)
//! usr/           0755
//! usr/share/     0755   words (50 lines, duplicates, unsorted), numbers (1..=20, scrambled)
//! ```
//!
//! Directories come first, each before what it holds, then the programs folder by folder, each
//! folder's sorted by name; data files are mode 0644. A program's folder is where its source lives
//! ([`PROGRAM_FOLDERS`]); a bare program name finds it in any of them (`kcore::initrd`). Everything is
//! deterministic (the shell tests check exact bytes).

use std::path::PathBuf;

/// A directory: `drwxr-xr-x`.
pub const DIR_MODE: u32 = 0o040755;
/// A program: `-rwxr-xr-x`.
pub const PROGRAM_MODE: u32 = 0o100755;
/// A data file: `-rw-r--r--`.
pub const DATA_MODE: u32 = 0o100644;

/// The directories, parents first.
const DIRS: [&str; 6] = ["bin", "test", "bench", "etc", "usr", "usr/share"];

/// Where programs come from and go: (the cargo package folder whose `src/bin` holds them, the
/// archive folder they are installed in). Adding a program is adding its file to one of these.
pub const PROGRAM_FOLDERS: [(&str, &str); 3] =
    [("user/tools", "bin"), ("user/tests", "test"), ("user/benches", "bench")];

/// A user program: its bin name, the boot archive folder it is installed in (from where its
/// source lives, [`PROGRAM_FOLDERS`]) and the built binary.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub name: String,
    pub folder: &'static str,
    pub path: PathBuf,
}

/// Where the malformed ELF files (`image::bad_elves`) go.
pub const MALFORMED_FOLDER: &str = "test";

/// `/etc/motd`.
pub const MOTD: &str = "Welcome to Exo, an exokernel.\n\
The kernel only multiplexes the hardware; everything you see is a library.\n\
Try: help, ls /bin, cat /etc/motd, sort /usr/share/words | uniq -c\n";

/// `/etc/passwd`.
pub const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n\
daemon:x:1:1:daemon:/usr/sbin:/bin/false\n\
exo:x:1000:1000:Exo User:/home/exo:/bin/sh\n\
guest:x:1001:1001:Guest:/tmp:/bin/sh\n\
nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";

/// The 50 lines of `/usr/share/words`: 35 distinct words, some repeated up to four times.
const WORDS: [&str; 50] = [
    "kernel", "page", "library", "apple", "zebra", "capability", "page", "mango", "exokernel",
    "pipe", "apple", "secure", "binding", "kernel", "yield", "apple", "quantum", "slice",
    "upcall", "mango", "banana", "page", "trap", "fork", "pipe", "cherry", "lemon", "kernel",
    "apple", "environment", "vector", "grape", "mango", "shell", "file", "banana", "orange",
    "page", "zebra", "cherry", "trap", "kiwi", "peach", "pear", "plum", "fig", "date", "lime",
    "melon", "berry",
];

/// The contents of `/usr/share/words`.
pub fn words() -> String {
    WORDS.iter().map(|word| format!("{word}\n")).collect()
}

/// The contents of `/usr/share/numbers`: 1 to 20, one per line, scrambled (`7 * i mod 20 + 1`).
pub fn numbers() -> String {
    (0..20).map(|i| format!("{}\n", 7 * i % 20 + 1)).collect()
}

/// `/etc/features.sh`: a shell script using every feature of `sh`, run by the
/// `shell_script` test (source: user/scripts/features.sh).
pub const FEATURES_SCRIPT: &str = include_str!("../../user/scripts/features.sh");

/// An archive entry: path, whole mode, contents.
pub type Entry = (String, u32, Vec<u8>);

/// The archive's entries (path, mode, contents) for `programs` (folder, name, ELF bytes).
pub fn tree(mut programs: Vec<(&str, String, Vec<u8>)>) -> Vec<Entry> {
    let mut entries: Vec<Entry> = DIRS.iter().map(|dir| (dir.to_string(), DIR_MODE, Vec::new())).collect();
    let folder_index = |folder: &str| DIRS.iter().position(|dir| *dir == folder);
    programs.sort_by(|a, b| (folder_index(a.0), &a.1).cmp(&(folder_index(b.0), &b.1)));
    for (folder, name, bytes) in programs {
        entries.push((format!("{folder}/{name}"), PROGRAM_MODE, bytes));
    }
    for (path, text) in [
        ("etc/motd", MOTD.to_string()),
        ("etc/passwd", PASSWD.to_string()),
        ("usr/share/words", words()),
        ("usr/share/numbers", numbers()),
    ] {
        entries.push((path.to_string(), DATA_MODE, text.into_bytes()));
    }
    entries.push(("etc/features.sh".to_string(), PROGRAM_MODE, FEATURES_SCRIPT.as_bytes().to_vec()));
    entries
}

/// Broken copies of the archive (file name under `target/exo/`, entries) the kernel must refuse
/// at boot with a precise message: a `..` path stored first (so the error is at offset 0), and
/// `bin` stored a second time at the end (first stored at offset 0).
pub fn broken_copies(entries: &[Entry]) -> Vec<(&'static str, Vec<Entry>)> {
    let mut dotdot = vec![("etc/../bin/evil".to_string(), DATA_MODE, b"x".to_vec())];
    dotdot.extend(entries.iter().cloned());
    let mut duplicate = entries.to_vec();
    duplicate.push(("./bin".to_string(), DIR_MODE, Vec::new()));
    vec![(DOTDOT_INITRD, dotdot), (DUPLICATE_INITRD, duplicate)]
}

/// The broken copy with a `..` path.
pub const DOTDOT_INITRD: &str = "initrd-dotdot.cpio";
/// The broken copy that stores `bin` twice.
pub const DUPLICATE_INITRD: &str = "initrd-duplicate.cpio";

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn tree_layout() {
        let entries = tree(vec![
            ("test", "hello".into(), b"H".to_vec()),
            ("bench", "vmbench".into(), b"V".to_vec()),
            ("bin", "sh".into(), b"S".to_vec()),
            ("bin", "echo".into(), b"E".to_vec()),
            ("test", "bad_entry".into(), b"B".to_vec()),
        ]);
        let paths: Vec<_> = entries.iter().map(|(p, m, _)| (p.as_str(), *m)).collect();
        assert_eq!(
            paths,
            [
                ("bin", DIR_MODE),
                ("test", DIR_MODE),
                ("bench", DIR_MODE),
                ("etc", DIR_MODE),
                ("usr", DIR_MODE),
                ("usr/share", DIR_MODE),
                ("bin/echo", PROGRAM_MODE),
                ("bin/sh", PROGRAM_MODE),
                ("test/bad_entry", PROGRAM_MODE),
                ("test/hello", PROGRAM_MODE),
                ("bench/vmbench", PROGRAM_MODE),
                ("etc/motd", DATA_MODE),
                ("etc/passwd", DATA_MODE),
                ("usr/share/words", DATA_MODE),
                ("usr/share/numbers", DATA_MODE),
                ("etc/features.sh", PROGRAM_MODE),
            ]
        );
        assert_eq!(words().lines().count(), 50);
        let mut distinct: Vec<_> = words().lines().map(String::from).collect();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 35);
        let mut numbers: Vec<u32> = numbers().lines().map(|l| l.parse().unwrap()).collect();
        assert_eq!(numbers[..4], [1, 8, 15, 2]);
        numbers.sort();
        assert_eq!(numbers, (1..=20).collect::<Vec<_>>());
        let broken = broken_copies(&entries);
        assert_eq!(broken[0].1[0].0, "etc/../bin/evil");
        assert_eq!(broken[1].1.last().unwrap().0, "./bin");
        for (package, folder) in PROGRAM_FOLDERS {
            assert!(DIRS.contains(&folder), "{package} installs into a folder the tree has");
        }
        assert!(DIRS.contains(&MALFORMED_FOLDER));
    }
}
