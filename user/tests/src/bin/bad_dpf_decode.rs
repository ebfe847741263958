//! Hostile test through `net_filter_install`: malformed filters are refused with `BadArgument`
//! (truncated encodings, trailing bytes, a bad version, too many atoms, offsets beyond a frame, a
//! value outside its mask, a trailing shift, contradicting atoms), an encoding longer than
//! `MAX_FILTER_BYTES` with `TooLong`; none of them is installed (the well-formed filter that
//! follows still fits the port).
#![no_std]
#![no_main]
#![deny(unsafe_code)]

#[path = "../netkit/mod.rs"]
mod netkit;

use abi::net::PortKind;
use abi::Error;
use dpf::Filter;
use exos::sys::syscall::sys_net_filter_install;
use user::Checks;

fn main() -> i64 {
    let mut c = Checks::new("bad_dpf_decode");
    let (port, _) = netkit::claim(PortKind::Udp, 5353).expect("claim a port");
    let ring = netkit::memory(0, 2);
    let raw = |bytes: &[u8]| sys_net_filter_install(port, bytes, ring.slot, 0);
    let good = Filter::udp_port(0, 5353).encode();
    c.equal("empty", raw(&good[..0]), Err(Error::BadArgument));
    c.equal("truncated", raw(&good[..good.len() - 1]), Err(Error::BadArgument));
    let mut long = good.clone();
    long.push(0);
    c.equal("trailing bytes", raw(&long), Err(Error::BadArgument));
    let mut bad = good.clone();
    bad[0] = 9;
    c.equal("a bad version", raw(&bad), Err(Error::BadArgument));
    let mut bad = good.clone();
    bad[1] = 33;
    c.equal("33 atoms", raw(&bad), Err(Error::BadArgument));
    let mut bad = good.clone();
    bad[4 + 12 * 3 + 2..4 + 12 * 3 + 4].copy_from_slice(&1513u16.to_le_bytes());
    c.equal("an offset beyond a frame", raw(&bad), Err(Error::BadArgument));
    let mut bad = good.clone();
    bad[4 + 12 + 8] = 0xff;
    bad[4 + 12 + 9] = 0x01;
    c.equal("a value outside its mask", raw(&bad), Err(Error::BadArgument));
    let mut bad = good.clone();
    bad[1] = 3;
    bad.truncate(4 + 36);
    c.equal("a trailing shift", raw(&bad), Err(Error::BadArgument));
    let contradiction = [dpf::Atom::eq16(12, 0x0800), dpf::Atom::eq8(23, 17), dpf::Atom::eq8(23, 6)];
    let mut bad = alloc_encode(&contradiction);
    c.equal("contradicting atoms", raw(&bad), Err(Error::BadArgument));
    bad.resize(1025, 0);
    c.equal("longer than MAX_FILTER_BYTES", raw(&bad), Err(Error::TooLong));
    c.check("the well-formed filter", raw(&good).is_ok());
    c.finish()
}

/// Encodes atoms the way `Filter::encode` does, without `Filter::new`'s checks.
fn alloc_encode(atoms: &[dpf::Atom]) -> alloc::vec::Vec<u8> {
    let mut out = alloc::vec![1, atoms.len() as u8, 0, 0];
    for atom in atoms {
        if let dpf::Atom::Cmp { offset, size, mask, value } = *atom {
            out.push(size.bytes() as u8);
            out.push(0);
            out.extend_from_slice(&offset.to_le_bytes());
            out.extend_from_slice(&mask.to_le_bytes());
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
    out
}

extern crate alloc;

exos::main!(main);
