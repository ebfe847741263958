//! Instruction-count harness for `Trie::classify`: installs N UDP port filters (16 owners) plus
//! ARP, then classifies a UDP frame for one of them many times. Run under
//! `valgrind --tool=callgrind --toggle-collect='*Trie*classify*'` and divide the instructions by
//! the number of calls (printed) to get instructions per classified frame on x86-64.
//!
//! `cargo run --release -p dpf --example classify_cost -- N [CALLS]`

use dpf::{Filter, Trie};
use std::hint::black_box;

fn frame(port: u16) -> Vec<u8> {
    let mut f = vec![0u8; 60];
    f[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    f[14] = 0x45;
    f[23] = 17;
    f[30..34].copy_from_slice(&0x0a00_020fu32.to_be_bytes());
    f[34..36].copy_from_slice(&4000u16.to_be_bytes());
    f[36..38].copy_from_slice(&port.to_be_bytes());
    f
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u16 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let calls: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let mut trie = Trie::new();
    for i in 0..n {
        trie.insert(u32::from(i % 16), Filter::udp_port(0x0a00_020f, 1000 + i)).expect("insert");
    }
    let target = frame(1000 + n / 2);
    let mut hits = 0u32;
    for _ in 0..calls {
        hits += u32::from(black_box(&trie).classify(black_box(&target)).is_some());
    }
    println!("filters {n} calls {calls} hits {hits}");
}
