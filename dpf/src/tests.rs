//! Unit tests: the wire format, ports, hostile filters and insertions, and random filters
//! classified by the trie and by the linear "longest matching filter" reference.

use crate::atom::{Atom, Filter, FilterError, MAX_ATOMS, Size};
use crate::port::{Port, PortKind};
use crate::trie::{FilterId, InsertError, Match, RemoveError, Trie, MAX_FILTERS};
use crate::program;
use crate::wire;
use alloc::vec;
use alloc::vec::Vec;

/// A deterministic generator (a linear congruential generator).
struct Random(u64);

impl Random {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// An Ethernet + IPv4 frame with `options` 4-byte option words, protocol `proto`, destination
/// `dst`, then a transport header whose first four bytes are `sport`, `dport`.
fn ip_frame(proto: u8, options: usize, dst: u32, sport: u16, dport: u16) -> Vec<u8> {
    let mut f = vec![0u8; 14];
    f[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    let mut ip = vec![0u8; 20 + 4 * options];
    ip[0] = 0x40 | (5 + options as u8);
    ip[9] = proto;
    ip[16..20].copy_from_slice(&dst.to_be_bytes());
    f.extend_from_slice(&ip);
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&dport.to_be_bytes());
    f.extend_from_slice(&[0u8; 12]);
    f
}

fn udp(dport: u16) -> Vec<u8> {
    ip_frame(17, 0, 0x0a00_020f, 4000, dport)
}

// ---- atoms and the wire format ----

#[test]
fn builders_are_valid_and_round_trip() {
    for filter in [
        Filter::ethertype(0x0806),
        Filter::ip_proto(17),
        Filter::udp_port(0x0a00_020f, 7),
        Filter::udp_port(0, 7),
        Filter::tcp_port(0, 80),
        Filter::icmp_id(0x1234),
    ] {
        assert_eq!(Filter::new(filter.atoms()).as_ref(), Ok(&filter));
        let bytes = filter.encode();
        assert_eq!(bytes.len(), filter.encoded_len());
        assert_eq!(Filter::decode(&bytes), Ok(filter.clone()));
        let mut short = [0u8; 8];
        assert_eq!(filter.encode_into(&mut short), None);
    }
}

#[test]
fn wire_errors_are_precise() {
    let good = Filter::udp_port(0, 7).encode();
    assert_eq!(Filter::decode(&[]), Err(FilterError::Truncated { needed: 4, got: 0 }));
    assert_eq!(Filter::decode(&good[..good.len() - 1]), Err(FilterError::Truncated { needed: good.len(), got: good.len() - 1 }));
    let mut long = good.clone();
    long.push(0);
    assert_eq!(Filter::decode(&long), Err(FilterError::TrailingBytes { expected: good.len(), got: good.len() + 1 }));
    let mut bad = good.clone();
    bad[0] = 2;
    assert_eq!(Filter::decode(&bad), Err(FilterError::BadVersion { version: 2 }));
    let mut bad = good.clone();
    bad[3] = 1;
    assert_eq!(Filter::decode(&bad), Err(FilterError::Reserved { atom: None }));
    assert_eq!(Filter::decode(&[1, 0, 0, 0]), Err(FilterError::Empty));
    assert_eq!(Filter::decode(&[1, 33, 0, 0]), Err(FilterError::TooManyAtoms { count: 33 }));
    // Atom 1 (the protocol compare) with a bad operation.
    let mut bad = good.clone();
    bad[4 + 12] = 3;
    assert_eq!(Filter::decode(&bad), Err(FilterError::BadOp { atom: 1, op: 3 }));
    // Atom 2 is the shift: a value must be 0, a mask at most 0xff, a shift at most 4.
    let at = 4 + 24;
    let mut bad = good.clone();
    bad[at + 8] = 1;
    assert_eq!(Filter::decode(&bad), Err(FilterError::Reserved { atom: Some(2) }));
    let mut bad = good.clone();
    bad[at + 5] = 1;
    assert_eq!(Filter::decode(&bad), Err(FilterError::MaskTooWide { atom: 2 }));
    let mut bad = good.clone();
    bad[at + 1] = 9;
    assert_eq!(Filter::decode(&bad), Err(FilterError::ShiftTooLarge { atom: 2, shift: 9 }));
    // A compare with a shift byte set.
    let mut bad = good.clone();
    bad[4 + 1] = 1;
    assert_eq!(Filter::decode(&bad), Err(FilterError::Reserved { atom: Some(0) }));
}

#[test]
fn hostile_atoms_are_refused() {
    // Huge offsets: reading at or past 1514 from the base.
    assert_eq!(Filter::new(&[Atom::eq16(1513, 1)]), Err(FilterError::OffsetTooLarge { atom: 0, offset: 1513 }));
    assert_eq!(Filter::new(&[Atom::eq32(0xffff, 1)]), Err(FilterError::OffsetTooLarge { atom: 0, offset: 0xffff }));
    assert_eq!(
        Filter::new(&[Atom::eq8(0, 1), Atom::Shift { offset: 1514, mask: 1, shift: 0 }, Atom::eq8(0, 1)]),
        Err(FilterError::OffsetTooLarge { atom: 1, offset: 1514 })
    );
    assert!(Filter::new(&[Atom::eq16(1512, 1)]).is_ok());
    // Too many atoms.
    let many = vec![Atom::eq8(0, 1); MAX_ATOMS + 1];
    assert_eq!(Filter::new(&many), Err(FilterError::TooManyAtoms { count: 33 }));
    assert!(Filter::new(&many[..MAX_ATOMS]).is_ok());
    assert_eq!(Filter::new(&[]), Err(FilterError::Empty));
    // Masks.
    let cmp = |size, mask, value| Atom::Cmp { offset: 0, size, mask, value };
    assert_eq!(Filter::new(&[cmp(Size::B1, 0, 0)]), Err(FilterError::ZeroMask { atom: 0 }));
    assert_eq!(Filter::new(&[cmp(Size::B1, 0x1ff, 0)]), Err(FilterError::MaskTooWide { atom: 0 }));
    assert_eq!(Filter::new(&[cmp(Size::B2, 0xff, 0x100)]), Err(FilterError::ValueOutsideMask { atom: 0 }));
    assert_eq!(
        Filter::new(&[Atom::eq8(0, 1), Atom::Shift { offset: 0, mask: 0, shift: 1 }, Atom::eq8(0, 1)]),
        Err(FilterError::ZeroMask { atom: 1 })
    );
    // A trailing shift tests nothing.
    assert_eq!(Filter::new(&[Atom::eq8(0, 1), Atom::IP_HEADER_SHIFT]), Err(FilterError::TrailingShift));
    // Contradictions, also across sizes.
    assert_eq!(Filter::new(&[Atom::eq8(23, 17), Atom::eq8(23, 6)]), Err(FilterError::Contradiction { atom: 1 }));
    assert_eq!(Filter::new(&[Atom::eq16(12, 0x0800), Atom::eq8(13, 0x06)]), Err(FilterError::Contradiction { atom: 1 }));
    assert!(Filter::new(&[Atom::eq16(12, 0x0800), Atom::eq8(13, 0x00)]).is_ok());
}

#[test]
fn every_error_has_a_message() {
    use alloc::string::ToString;
    let errors = [
        FilterError::Empty,
        FilterError::TooManyAtoms { count: 40 },
        FilterError::Truncated { needed: 4, got: 1 },
        FilterError::NotWithinPort { atom: 3 },
        FilterError::Contradiction { atom: 2 },
    ];
    for error in errors {
        assert!(!error.to_string().is_empty());
    }
    let overlap = InsertError::Overlap { with: FilterId(5), owner: 2 }.to_string();
    assert!(overlap.contains("owner 2"), "{overlap}");
}

// ---- classification of single filters ----

#[test]
fn builders_match_what_they_say() {
    let frame = udp(7);
    assert!(Filter::udp_port(0, 7).matches(&frame));
    assert!(Filter::udp_port(0x0a00_020f, 7).matches(&frame));
    assert!(!Filter::udp_port(0x0a00_0210, 7).matches(&frame));
    assert!(!Filter::udp_port(0, 8).matches(&frame));
    assert!(!Filter::tcp_port(0, 7).matches(&frame));
    assert!(Filter::ip_proto(17).matches(&frame));
    assert!(Filter::ethertype(0x0800).matches(&frame));
    // IP options move the port: the shift atom follows the header length.
    let with_options = ip_frame(17, 3, 0x0a00_020f, 4000, 7);
    assert!(Filter::udp_port(0, 7).matches(&with_options));
    let mut icmp = ip_frame(1, 0, 0, 0x0800, 0);
    icmp[38..40].copy_from_slice(&0x4242u16.to_be_bytes());
    assert!(Filter::icmp_id(0x4242).matches(&icmp));
    assert!(!Filter::icmp_id(0x4243).matches(&icmp));
}

#[test]
fn short_frames_never_match_and_never_panic() {
    let filter = Filter::udp_port(0, 7);
    let frame = udp(7);
    let mut trie = Trie::new();
    let id = trie.insert(1, filter.clone()).unwrap();
    for len in 0..frame.len() {
        let short = &frame[..len];
        // The destination port's last byte is at 14 + 20 + 3 = 37.
        assert_eq!(filter.matches(short), len >= 38, "len {len}");
        assert_eq!(trie.classify(short).is_some(), len >= 38, "len {len}");
    }
    assert_eq!(trie.classify(&frame), Some(Match { id, owner: 1 }));
    // A header length pointing far beyond the frame.
    let mut far = frame.clone();
    far[14] = 0x4f;
    assert_eq!(trie.classify(&far), None);
    // Filters whose loads land at the maximum offsets from a large shifted base.
    let deep = Filter::new(&[
        Atom::Shift { offset: 0, mask: 0xff, shift: 4 },
        Atom::Shift { offset: 0, mask: 0xff, shift: 4 },
        Atom::eq32(1510, 0),
    ])
    .unwrap();
    trie.insert(1, deep.clone()).unwrap();
    let big = vec![0xffu8; 9000];
    assert!(!deep.matches(&big));
    assert_eq!(trie.classify(&big), None);
    assert_eq!(trie.classify(&[]), None);
}

// ---- ports ----

#[test]
fn within_ports() {
    let udp7 = Port::new(PortKind::UdpPort, 7);
    assert_eq!(Filter::udp_port(0, 7).within(&udp7), Ok(()));
    // An extra address check anywhere only narrows.
    assert_eq!(Filter::udp_port(0x0a00_020f, 7).within(&udp7), Ok(()));
    // Stealing: another port's filter is not within port 7: the port compare (atom 3) is missing.
    assert_eq!(Filter::udp_port(0, 8).within(&udp7), Err(FilterError::NotWithinPort { atom: 3 }));
    assert_eq!(Filter::tcp_port(0, 7).within(&udp7), Err(FilterError::NotWithinPort { atom: 1 }));
    // A filter without the shift reads the port at a fixed place: not within.
    let fixed = Filter::new(&[Atom::eq16(12, 0x0800), Atom::eq8(23, 17), Atom::eq16(36, 7)]).unwrap();
    assert_eq!(fixed.within(&udp7), Err(FilterError::NotWithinPort { atom: 2 }));
    // A broader filter is not within a narrower port.
    assert_eq!(Filter::ip_proto(17).within(&udp7), Err(FilterError::NotWithinPort { atom: 2 }));
    // But a narrower one is within a broader port.
    assert_eq!(Filter::udp_port(0, 7).within(&Port::new(PortKind::IpProto, 17)), Ok(()));
    assert_eq!(Filter::ethertype(0x0806).within(&Port::new(PortKind::Ethertype, 0x0806)), Ok(()));
    assert_eq!(Filter::icmp_id(9).within(&Port::new(PortKind::IcmpId, 9)), Ok(()));
    assert_eq!(Filter::icmp_id(9).within(&Port::new(PortKind::IcmpId, 10)), Err(FilterError::NotWithinPort { atom: 3 }));
    // Partial masks do not imply a full compare.
    let partial = Filter::new(&[
        Atom::eq16(12, 0x0800),
        Atom::eq8(23, 17),
        Atom::IP_HEADER_SHIFT,
        Atom::Cmp { offset: 16, size: Size::B2, mask: 0xff00, value: 0 },
    ])
    .unwrap();
    assert_eq!(partial.within(&udp7), Err(FilterError::NotWithinPort { atom: 3 }));
    // The same compare split into bytes does.
    let split = Filter::new(&[
        Atom::eq16(12, 0x0800),
        Atom::eq8(23, 17),
        Atom::IP_HEADER_SHIFT,
        Atom::eq8(16, 0),
        Atom::eq8(17, 7),
    ])
    .unwrap();
    assert_eq!(split.within(&udp7), Ok(()));
    for n in 1..=5 {
        assert_eq!(PortKind::from_u8(n).map(|k| k as u8), Some(n));
    }
    assert_eq!(PortKind::from_u8(0), None);
    assert_eq!(PortKind::from_u8(6), None);
}

// ---- hostile insertions ----

#[test]
fn overlapping_claims_of_another_owner_are_refused() {
    let mut trie = Trie::new();
    let a = trie.insert(1, Filter::udp_port(0, 7)).unwrap();
    // The same port by another owner.
    assert_eq!(trie.insert(2, Filter::udp_port(0, 7)), Err(InsertError::Overlap { with: a, owner: 1 }));
    // Stealing a subset: a more specific filter inside owner 1's port (longest match would win).
    let subset = Filter::new(&[
        Atom::eq16(12, 0x0800),
        Atom::eq8(23, 17),
        Atom::IP_HEADER_SHIFT,
        Atom::eq16(16, 7),
        Atom::eq16(14, 4000),
    ])
    .unwrap();
    assert_eq!(trie.insert(2, subset.clone()), Err(InsertError::Overlap { with: a, owner: 1 }));
    // A broader filter (all of UDP) also overlaps.
    assert_eq!(trie.insert(2, Filter::ip_proto(17)), Err(InsertError::Overlap { with: a, owner: 1 }));
    assert_eq!(trie.insert(2, Filter::ethertype(0x0800)), Err(InsertError::Overlap { with: a, owner: 1 }));
    // With an address: still overlaps the address-less claim.
    assert_eq!(trie.insert(2, Filter::udp_port(0x0a00_020f, 7)), Err(InsertError::Overlap { with: a, owner: 1 }));
    // Reading the port at a fixed offset (no shift) cannot be proved disjoint: refused.
    let fixed = Filter::new(&[Atom::eq16(12, 0x0800), Atom::eq8(23, 17), Atom::eq16(36, 7)]).unwrap();
    assert_eq!(trie.insert(2, fixed), Err(InsertError::Overlap { with: a, owner: 1 }));
    // Partial mask on the port that agrees with 7 overlaps; one that excludes 7 does not.
    let high_zero = |value| {
        Filter::new(&[
            Atom::eq16(12, 0x0800),
            Atom::eq8(23, 17),
            Atom::IP_HEADER_SHIFT,
            Atom::Cmp { offset: 16, size: Size::B2, mask: 0x000f, value },
        ])
        .unwrap()
    };
    assert_eq!(trie.insert(2, high_zero(7)), Err(InsertError::Overlap { with: a, owner: 1 }));
    assert!(trie.insert(2, high_zero(8)).is_ok());
    // Disjoint: other ports, other protocols, ARP.
    assert!(trie.insert(2, Filter::udp_port(0, 8)).is_ok());
    assert!(trie.insert(2, Filter::tcp_port(0, 7)).is_ok());
    assert!(trie.insert(3, Filter::ethertype(0x0806)).is_ok());
    // The owner itself may refine its own port (longest match), but not twice the same.
    let sub = trie.insert(1, subset.clone()).unwrap();
    assert_eq!(trie.insert(1, subset), Err(InsertError::Duplicate { existing: sub }));
    assert_eq!(trie.insert(1, Filter::udp_port(0, 7)), Err(InsertError::Duplicate { existing: a }));
    // The refused insertions left nothing behind.
    assert_eq!(trie.len(), 6);
    assert_eq!(trie.classify(&udp(7)).map(|m| m.id), Some(sub));
    assert_eq!(trie.classify(&ip_frame(17, 0, 0, 4001, 7)).map(|m| m.id), Some(a));
    assert_eq!(trie.classify(&udp(8)).map(|m| m.owner), Some(2));
}

#[test]
fn different_shifts_are_not_a_disjointness_witness() {
    let mut trie = Trie::new();
    trie.insert(1, Filter::udp_port(0, 7)).unwrap();
    // Same bytes after a different shift (mask 0x07): the bases may differ, so the port compare
    // proves nothing; the filters share ethertype and protocol, so they overlap.
    let other_shift = Filter::new(&[
        Atom::eq16(12, 0x0800),
        Atom::eq8(23, 17),
        Atom::Shift { offset: 14, mask: 0x07, shift: 2 },
        Atom::eq16(16, 8),
    ])
    .unwrap();
    assert!(matches!(trie.insert(2, other_shift), Err(InsertError::Overlap { owner: 1, .. })));
}

#[test]
fn remove_restores_and_ids_go_stale() {
    let mut trie = Trie::new();
    let nodes0 = trie.nodes();
    let a = trie.insert(1, Filter::udp_port(0, 7)).unwrap();
    let nodes1 = trie.nodes();
    let b = trie.insert(1, Filter::udp_port(0, 9)).unwrap();
    assert_eq!(trie.owner_of(a), Some(1));
    assert_eq!(trie.remove(b).map(|(owner, _)| owner), Ok(1));
    assert_eq!(trie.nodes(), nodes1);
    assert_eq!(trie.remove(b), Err(RemoveError::NoSuchFilter));
    assert_eq!(trie.remove(FilterId(12345)), Err(RemoveError::NoSuchFilter));
    assert_eq!(trie.classify(&udp(9)), None);
    // Now owner 2 may take port 9, and the stale id b does not name its filter.
    let c = trie.insert(2, Filter::udp_port(0, 9)).unwrap();
    assert_ne!(b, c);
    assert_eq!(trie.owner_of(b), None);
    assert_eq!(trie.remove(b), Err(RemoveError::NoSuchFilter));
    assert_eq!(trie.classify(&udp(9)), Some(Match { id: c, owner: 2 }));
    assert_eq!(trie.remove_owner(1), 1);
    assert_eq!(trie.remove_owner(2), 1);
    assert!(trie.is_empty());
    assert_eq!(trie.nodes(), nodes0);
}

#[test]
fn full_table_is_refused() {
    let mut trie = Trie::new();
    for port in 0..MAX_FILTERS as u16 {
        trie.insert(u32::from(port % 7), Filter::udp_port(0, port + 1)).unwrap();
    }
    assert_eq!(trie.insert(99, Filter::udp_port(0, 5000)), Err(InsertError::Full));
    // Every port still finds its owner through the hashed group.
    for port in 0..MAX_FILTERS as u16 {
        assert_eq!(trie.classify(&udp(port + 1)).map(|m| m.owner), Some(u32::from(port % 7)));
    }
    assert_eq!(trie.classify(&udp(5000)), None);
    assert!(trie.ids_of(3).count() > 100);
}

// ---- random filters against the linear reference ----

/// The reference: the longest filter that matches (equal lengths: the lowest id).
fn reference(filters: &[(FilterId, u32, Filter)], frame: &[u8]) -> Option<Match> {
    filters
        .iter()
        .filter(|(_, _, filter)| filter.matches(frame))
        .max_by(|a, b| a.2.atoms().len().cmp(&b.2.atoms().len()).then(b.0.cmp(&a.0)))
        .map(|(id, owner, _)| Match { id: *id, owner: *owner })
}

/// A random atom over a small alphabet of offsets and values, so filters often share tests and
/// frames often match.
fn random_atom(rng: &mut Random) -> Atom {
    let offset = rng.next(8) as u16;
    match rng.next(8) {
        0 => Atom::Shift { offset, mask: [1, 3, 0x0f][rng.next(3) as usize], shift: rng.next(3) as u8 },
        1..=3 => {
            let mask = [0xff, 0x0f, 0x03][rng.next(3) as usize];
            Atom::Cmp { offset, size: Size::B1, mask, value: rng.next(4) as u32 & mask }
        }
        4 | 5 => {
            let mask = [0xffff, 0x0303][rng.next(2) as usize];
            Atom::Cmp { offset, size: Size::B2, mask, value: (rng.next(4) as u32 * 0x0101) & mask }
        }
        _ => Atom::Cmp { offset, size: Size::B4, mask: 0x0303_0303, value: (rng.next(4) as u32 * 0x0101_0101) & 0x0303_0303 },
    }
}

fn random_filter(rng: &mut Random) -> Option<Filter> {
    let len = 1 + rng.next(5) as usize;
    let atoms: Vec<Atom> = (0..len).map(|_| random_atom(rng)).collect();
    Filter::new(&atoms).ok()
}

fn random_frame(rng: &mut Random) -> Vec<u8> {
    let len = rng.next(40) as usize;
    (0..len).map(|_| [0, 1, 2, 3, 0x11, 0x0f][rng.next(6) as usize]).collect()
}

#[test]
fn random_filters_classify_like_the_reference() {
    let mut rng = Random(0x5eed);
    let (mut accepted, mut refused, mut matched, mut compiled) = (0, 0, 0, 0);
    for _round in 0..300 {
        let mut trie = Trie::new();
        let mut installed: Vec<(FilterId, u32, Filter)> = Vec::new();
        let owners = 1 + rng.next(4) as u32;
        for _ in 0..1 + rng.next(40) {
            let Some(filter) = random_filter(&mut rng) else { continue };
            let owner = rng.next(owners as u64) as u32;
            match trie.insert(owner, filter.clone()) {
                Ok(id) => {
                    // Accepted: no other owner's filter overlaps (checked by a frame search below).
                    installed.push((id, owner, filter));
                    accepted += 1;
                }
                Err(InsertError::Overlap { with, owner: other }) => {
                    assert_ne!(other, owner);
                    assert_eq!(trie.owner_of(with), Some(other));
                    refused += 1;
                }
                Err(InsertError::Duplicate { existing }) => {
                    assert_eq!(trie.filter(existing), Some(&filter));
                    refused += 1;
                }
                Err(error) => panic!("{error:?}"),
            }
            // Sometimes remove one.
            if rng.next(6) == 0 && !installed.is_empty() {
                let (id, owner, filter) = installed.swap_remove(rng.next(installed.len() as u64) as usize);
                assert_eq!(trie.remove(id), Ok((owner, filter)));
            }
        }
        for _ in 0..200 {
            let frame = random_frame(&mut rng);
            let want = reference(&installed, &frame);
            assert_eq!(trie.classify(&frame), want, "frame {frame:?} filters {installed:?}");
            // Both classifiers: the trie walk and the compiled program.
            assert_eq!(trie.walk(&frame), want, "walk: frame {frame:?} filters {installed:?}");
            if let Some(program) = trie.program() {
                compiled += 1;
                assert_eq!(program.run(&frame), want, "program: frame {frame:?} filters {installed:?} ops {:?}", program.ops());
            }
            // Ownership: every filter that matches belongs to the winner's owner.
            if let Some(m) = want {
                matched += 1;
                for (_, owner, filter) in &installed {
                    if filter.matches(&frame) {
                        assert_eq!(*owner, m.owner);
                    }
                }
            }
        }
        // Removing everything leaves the bare root.
        for (id, _, _) in installed {
            trie.remove(id).unwrap();
        }
        assert_eq!(trie.nodes(), 1);
    }
    assert!(accepted > 1000 && refused > 300 && matched > 5000, "{accepted} {refused} {matched}");
    assert!(compiled > 40000, "{compiled} frames through a compiled program");
}

#[test]
fn random_bytes_never_panic_decode() {
    let mut rng = Random(7);
    let good = Filter::udp_port(0x0a00_020f, 7).encode();
    for _ in 0..20000 {
        let mut bytes = good.clone();
        for _ in 0..1 + rng.next(4) {
            let i = rng.next(bytes.len() as u64) as usize;
            bytes[i] = rng.next(256) as u8;
        }
        bytes.truncate(rng.next(wire::MAX_ENCODED as u64 + 8) as usize);
        if let Ok(filter) = Filter::decode(&bytes) {
            assert_eq!(filter.encode(), bytes);
        }
    }
}

#[test]
fn classify_walks_few_groups_for_many_port_filters() {
    // 256 UDP port filters of 16 owners, plus ARP: the frames still find their filter, and the
    // trie holds one chain (ethertype, protocol, shift) and one hashed group of ports.
    let mut trie = Trie::new();
    for port in 0..256u16 {
        trie.insert(u32::from(port % 16), Filter::udp_port(0, 1000 + port)).unwrap();
    }
    trie.insert(99, Filter::ethertype(0x0806)).unwrap();
    assert_eq!(trie.nodes(), 1 + 3 + 256 + 1);
    for port in 0..256u16 {
        assert_eq!(trie.classify(&udp(1000 + port)).map(|m| m.owner), Some(u32::from(port % 16)));
    }
}

#[test]
fn compiled_program_is_flat_for_port_filters() {
    // 256 UDP port filters: ethertype, protocol, shift, then one switch over the ports; each
    // accept stops the run (nothing later can beat it).
    let mut trie = Trie::new();
    for port in 0..256u16 {
        trie.insert(u32::from(port % 16), Filter::udp_port(0x0a00_020f, 1000 + port)).unwrap();
    }
    let program = trie.program().expect("compiled");
    let ops = program.ops();
    assert!(matches!(ops[0], program::Op::Cmp { n: 3, pos: [10, 20, 30, 0], .. }), "{:?}", &ops[..3]);
    assert!(matches!(ops[0], program::Op::Cmp { n: 3, .. }) && matches!(ops[2], program::Op::Switch { .. }), "{:?}", &ops[..3]);
    assert!(ops.iter().all(|op| !matches!(op, program::Op::Accept { stop: false, .. })));
    for port in 0..256u16 {
        assert_eq!(trie.classify(&ip_frame(17, 0, 0x0a00_020f, 4000, 1000 + port)).map(|m| m.owner), Some(u32::from(port % 16)));
    }
    assert_eq!(trie.classify(&ip_frame(17, 0, 0x0a00_020f, 4000, 999)), None);
}

#[test]
fn deeply_nested_shifts_fall_back_to_the_walk() {
    // More nested shifts than the program has base slots: no program, the walk still classifies.
    let mut atoms = vec![Atom::Shift { offset: 0, mask: 1, shift: 0 }; program::SLOTS + 1];
    atoms.push(Atom::eq8(0, 1));
    let mut trie = Trie::new();
    trie.insert(1, Filter::new(&atoms).unwrap()).unwrap();
    assert!(trie.program().is_none());
    let frame = [1u8; 16];
    assert_eq!(trie.classify(&frame).map(|m| m.owner), Some(1));
    assert_eq!(trie.classify(&[0u8; 16]), None);
    // A shallow filter of another shape compiles again once the deep one is gone.
    let id = trie.ids_of(1).next().unwrap();
    trie.remove(id).unwrap();
    trie.insert(2, Filter::ethertype(0x0806)).unwrap();
    assert!(trie.program().is_some());
}
