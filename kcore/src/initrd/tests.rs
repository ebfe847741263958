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
