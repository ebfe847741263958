//! Unit tests for the boot-archive reader and writer: round trips, every refusal, every
//! truncation, and random corruption (no panic on any input).
use super::*;
extern crate std;
use std::format;
use std::vec::Vec;

/// Offset of header field `index` in the entry at 0.
fn field_at(index: usize) -> usize {
    MAGIC.len() + 8 * index
}

/// An archive whose first entry has `mode` and `name` (stored as given, NUL added).
fn with_entry(mode: u32, name: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let fields = [1, mode, 0, 0, 1, 0, data.len() as u32, 0, 0, 0, 0, name.len() as u32 + 1, 0];
    out.extend_from_slice(MAGIC);
    for field in fields {
        out.extend_from_slice(format!("{field:08x}").as_bytes());
    }
    out.extend_from_slice(name);
    out.push(0);
    out.resize(out.len().next_multiple_of(4), 0);
    out.extend_from_slice(data);
    out.resize(out.len().next_multiple_of(4), 0);
    out.extend(write_newc(&[]));
    out
}

#[test]
fn round_trip() {
    let bytes = write_newc(&[("hello", b"abc"), ("init", b"12345678"), ("empty", b"")]);
    assert_eq!(bytes.len() % 4, 0);
    let archive = Archive::new(&bytes).unwrap();
    let entries: Vec<_> = archive.entries().map(|e| (e.name, e.data)).collect();
    assert_eq!(entries, [("hello", &b"abc"[..]), ("init", b"12345678"), ("empty", b"")]);
    assert_eq!(archive.find("init"), Some(&b"12345678"[..]));
    assert_eq!(archive.find("nope"), None);
}

#[test]
fn entries_outlive_the_archive_value() {
    let bytes = write_newc(&[("a", b"1")]);
    let entries = Archive::new(&bytes).unwrap().entries();
    assert_eq!(entries.count(), 1);
}

#[test]
fn empty_archive_is_valid() {
    let bytes = write_newc(&[]);
    assert_eq!(bytes.len(), 124);
    assert_eq!(Archive::new(&bytes).unwrap().entries().count(), 0);
}

#[test]
fn only_regular_files_are_listed_and_dot_slash_is_stripped() {
    let directory = with_entry(0o040755, b"bin", b"");
    assert_eq!(Archive::new(&directory).unwrap().entries().count(), 0);
    let file = with_entry(0o100755, b"./bin/init", b"elf");
    let archive = Archive::new(&file).unwrap();
    assert_eq!(archive.entries().next(), Some(Entry { name: "bin/init", data: b"elf" }));
    assert_eq!(archive.find("bin/init"), Some(&b"elf"[..]));
}

#[test]
fn missing_trailer_is_refused() {
    let bytes = write_newc(&[("a", b"xyz")]);
    let without = &bytes[..bytes.len() - 124];
    assert_eq!(Archive::new(without).err(), Some(ArchiveError::NoTrailer { len: without.len() }));
    assert_eq!(Archive::new(&[]).err(), Some(ArchiveError::NoTrailer { len: 0 }));
}

#[test]
fn bad_magic_is_refused() {
    let mut bytes = write_newc(&[("a", b"xyz")]);
    bytes[5] = b'2';
    let error = Archive::new(&bytes).unwrap_err();
    assert_eq!(error, ArchiveError::BadMagic { entry: 0, found: *b"070702" });
    assert_eq!(format!("{error}"), "cpio entry at 0x0: magic \"070702\" is not \"070701\" (newc)");
}

#[test]
fn bad_hex_is_refused() {
    let mut bytes = write_newc(&[("a", b"xyz")]);
    bytes[field_at(6)] = b'G';
    let error = ArchiveError::BadHex { entry: 0, field: "filesize", found: *b"G0000003" };
    assert_eq!(Archive::new(&bytes).err(), Some(error));
    bytes[field_at(6)..field_at(7)].copy_from_slice(b"+0000003");
    assert!(matches!(Archive::new(&bytes), Err(ArchiveError::BadHex { .. })), "a sign is not a digit");
}

#[test]
fn bad_names_are_refused() {
    assert_eq!(Archive::new(&with_entry(0o100644, b"\xff", b"")).err(), Some(ArchiveError::NameNotUtf8 { entry: 0 }));
    let mut unterminated = write_newc(&[("ab", b"")]);
    unterminated[HEADER_SIZE + 2] = b'c';
    assert_eq!(Archive::new(&unterminated).err(), Some(ArchiveError::NameNotTerminated { entry: 0 }));
    let mut empty = write_newc(&[]);
    empty[field_at(11)..field_at(12)].copy_from_slice(b"00000000");
    assert_eq!(Archive::new(&empty).err(), Some(ArchiveError::NameNotTerminated { entry: 0 }));
}

#[test]
fn data_past_the_end_is_refused() {
    let mut bytes = write_newc(&[("a", b"xyz")]);
    bytes[field_at(6)..field_at(7)].copy_from_slice(b"00100000");
    let error = ArchiveError::Truncated { entry: 0, part: "data", start: 0x70, end: 0x10_0070, len: bytes.len() };
    assert_eq!(Archive::new(&bytes).err(), Some(error));
    assert!(format!("{error}").contains("[0x70, 0x100070)"), "{error}");
    bytes[field_at(6)..field_at(7)].copy_from_slice(b"FFFFFFFF");
    assert!(matches!(Archive::new(&bytes), Err(ArchiveError::Truncated { part: "data", .. })));
}

#[test]
fn every_truncation_is_refused_without_panic() {
    let bytes = write_newc(&[("a", b"xyz"), ("bb", &[7; 100])]);
    for len in 0..bytes.len() {
        assert!(Archive::new(&bytes[..len]).is_err(), "length {len}");
    }
}

#[test]
fn random_corruption_never_panics() {
    let good = write_newc(&[("a", b"xyz"), ("./b", &[1; 9])]);
    let mut random = crate::test_random::Random(99);
    for _ in 0..5000 {
        let mut bytes = good.clone();
        for _ in 0..2 {
            let seed = random.step();
            let i = (seed >> 33) as usize % bytes.len();
            bytes[i] =
                if seed & 1 == 0 { (seed >> 13) as u8 } else { b"0123456789abcdefF"[(seed >> 40) as usize % 17] };
        }
        match Archive::new(&bytes) {
            Ok(archive) => drop(archive.entries().count()),
            Err(error) => drop(format!("{error}")),
        }
    }
}

/// A small tree: explicit `bin`, `etc`, files under them, and `usr/share/words` whose parents are
/// implicit.
fn tree() -> Vec<u8> {
    write_newc_tree(&[
        (".", MODE_DIR | 0o755, b""),
        ("bin", MODE_DIR | 0o755, b""),
        ("bin/echo", MODE_FILE | 0o755, b"ELF-echo"),
        ("bin/cat", MODE_FILE | 0o755, b"ELF-cat"),
        ("etc", MODE_DIR | 0o750, b""),
        ("etc/motd", MODE_FILE | 0o644, b"hi\n"),
        ("usr/share/words", MODE_FILE | 0o644, b"a\nb\n"),
        ("usr/share/nums", MODE_FILE | 0o600, b"1\n"),
    ])
}

fn listing(archive: &Archive<'_>, dir: &str) -> Vec<(String, Kind, u32, usize)> {
    let mut out = Vec::new();
    let mut cursor = 0;
    while let Some((node, next)) = archive.readdir(dir, cursor) {
        out.push((node.name().into(), node.kind, node.mode, node.size()));
        cursor = next;
    }
    out
}

use std::string::String;

#[test]
fn lookup_normalizes_paths() {
    let bytes = tree();
    let archive = Archive::new(&bytes).unwrap();
    for path in ["/bin/echo", "bin/echo", "./bin/echo", "//bin/./echo", "etc/../bin/echo", "/../bin/echo"] {
        let node = archive.lookup(path).unwrap_or_else(|| panic!("{path}"));
        assert_eq!((node.path, node.kind, node.mode, node.data), ("bin/echo", Kind::File, 0o100755, &b"ELF-echo"[..]), "{path}");
    }
    assert_eq!(archive.lookup("/").unwrap(), Node { path: "", kind: Kind::Dir, mode: IMPLICIT_DIR_MODE, data: b"" });
    assert_eq!(archive.lookup("etc").unwrap().mode, 0o040750);
    assert_eq!(archive.lookup("/usr/share").unwrap(), Node { path: "usr/share", kind: Kind::Dir, mode: IMPLICIT_DIR_MODE, data: b"" });
    assert_eq!(archive.lookup("usr").unwrap().path, "usr");
    assert_eq!(archive.lookup("bin/ech"), None);
    assert_eq!(archive.lookup("bin/echo/x"), None);
    assert_eq!(archive.lookup("us"), None);
    assert_eq!(archive.find("/etc/motd"), Some(&b"hi\n"[..]));
    assert_eq!(archive.find("/etc"), None, "a directory is not a file");
    assert_eq!(archive.program("cat"), Some(&b"ELF-cat"[..]));
    assert_eq!(archive.program("/bin/cat"), Some(&b"ELF-cat"[..]));
    assert_eq!(archive.program("motd"), None);
    assert_eq!(archive.entries().count(), 5);
    assert_eq!(archive.nodes().count(), 7, "the root is not listed");
    let deep = "a/".repeat(MAX_DEPTH + 1);
    assert_eq!(archive.lookup(&deep), None);
}

#[test]
fn a_bare_program_name_searches_bin_then_test_then_bench() {
    let bytes = write_newc_tree(&[
        ("bin", MODE_DIR | 0o755, b""),
        ("bin/cat", MODE_FILE | 0o755, b"tool-cat"),
        ("test/cat", MODE_FILE | 0o755, b"test-cat"),
        ("test/hello", MODE_FILE | 0o755, b"test-hello"),
        ("bench/hello", MODE_FILE | 0o755, b"bench-hello"),
        ("bench/vmbench", MODE_FILE | 0o755, b"bench-vmbench"),
        ("test/sub", MODE_DIR | 0o755, b""),
        ("bench/sub", MODE_FILE | 0o755, b"bench-sub"),
        ("etc/motd", MODE_FILE | 0o644, b"hi\n"),
    ]);
    let archive = Archive::new(&bytes).unwrap();
    assert_eq!(archive.program("cat"), Some(&b"tool-cat"[..]), "/bin comes first");
    assert_eq!(archive.program("hello"), Some(&b"test-hello"[..]), "then /test");
    assert_eq!(archive.program("vmbench"), Some(&b"bench-vmbench"[..]), "then /bench");
    assert_eq!(archive.program("sub"), Some(&b"bench-sub"[..]), "a directory is skipped");
    assert_eq!(archive.program("/bench/hello"), Some(&b"bench-hello"[..]), "a path names one file");
    assert_eq!(archive.program("test/cat"), Some(&b"test-cat"[..]));
    assert_eq!(archive.program("motd"), None, "only the program folders are searched");
    assert_eq!(archive.program("nope"), None);
    assert_eq!(archive.program(""), None);
    assert_eq!(archive.program(".."), None);
    assert_eq!(PROGRAM_DIRS, ["bin", "test", "bench"]);
}

#[test]
fn readdir_lists_explicit_and_implicit_children_once() {
    let bytes = tree();
    let archive = Archive::new(&bytes).unwrap();
    let dir = |mode| (Kind::Dir, mode, 0);
    let root: Vec<_> = listing(&archive, "").into_iter().map(|(n, k, m, s)| (n, (k, m, s))).collect();
    assert_eq!(
        root,
        [("bin".into(), dir(0o040755)), ("etc".into(), dir(0o040750)), ("usr".into(), dir(IMPLICIT_DIR_MODE))]
    );
    assert_eq!(
        listing(&archive, "bin"),
        [("echo".into(), Kind::File, 0o100755, 8), ("cat".into(), Kind::File, 0o100755, 7)]
    );
    assert_eq!(listing(&archive, "usr"), [("share".into(), Kind::Dir, IMPLICIT_DIR_MODE, 0)]);
    assert_eq!(
        listing(&archive, "usr/share"),
        [("words".into(), Kind::File, 0o100644, 4), ("nums".into(), Kind::File, 0o100600, 2)]
    );
    assert_eq!(listing(&archive, "bin/echo"), []);
    // An explicit directory stored after a path under it is listed once, with its own mode.
    let late = write_newc_tree(&[("d/f", MODE_FILE | 0o644, b"x"), ("d", MODE_DIR | 0o700, b"")]);
    let archive = Archive::new(&late).unwrap();
    assert_eq!(listing(&archive, ""), [("d".into(), Kind::Dir, 0o040700, 0)]);
}

#[test]
fn bad_paths_are_refused() {
    let second_entry = 0x78; // 110 + "ok\0" padded to 116, data "x" padded to 120.
    for (name, problem) in [("a//b", "an empty"), ("a/", "an empty"), ("./", "an empty"), ("bin/../etc", "a `..`"), ("..", "a `..`"), ("a/./b", "a `.`")] {
        let bytes = write_newc(&[("ok", b"x"), (name, b"")]);
        let error = Archive::new(&bytes).unwrap_err();
        assert_eq!(error, ArchiveError::BadPath { entry: second_entry, problem }, "{name}");
        assert_eq!(format!("{error}"), format!("cpio entry at 0x78: its path has {problem} component"));
    }
}

#[test]
fn duplicate_paths_are_refused() {
    let bytes = write_newc(&[("ok", b"x"), ("bin/a", b""), ("./bin/a", b"")]);
    let error = Archive::new(&bytes).unwrap_err();
    assert_eq!(error, ArchiveError::Duplicate { entry: 0xec, first: 0x78 });
    assert_eq!(format!("{error}"), "cpio entry at 0xec: its path is already stored by the entry at 0x78");
    let dir_and_file = write_newc_tree(&[("d", MODE_DIR | 0o755, b""), ("d", MODE_FILE | 0o644, b"")]);
    assert_eq!(Archive::new(&dir_and_file).unwrap_err(), ArchiveError::Duplicate { entry: 0x70, first: 0 });
}

#[test]
fn paths_under_a_file_are_refused() {
    let bytes = write_newc(&[("f", b"x"), ("f/g", b"")]);
    let error = Archive::new(&bytes).unwrap_err();
    assert_eq!(error, ArchiveError::UnderFile { entry: 0x74, file: 0 });
    assert_eq!(format!("{error}"), "cpio entry at 0x74: its path runs through the regular file at 0x0");
    let before = write_newc(&[("f/g", b""), ("f", b"x")]);
    assert_eq!(Archive::new(&before).unwrap_err(), ArchiveError::UnderFile { entry: 0, file: 0x74 });
    let prefix_only = write_newc(&[("f", b"x"), ("fg", b"")]);
    assert!(Archive::new(&prefix_only).is_ok(), "a name that merely starts with a file's name");
}
