//! The ExOS heap: Vec, String, Box and BTreeMap in a program, growing the heap page by page on
//! demand, freeing and reusing, and a megabyte in one allocation.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use user::Checks;

fn main() -> i64 {
    let mut c = Checks::new("heap");
    let numbers: Vec<u64> = (0..100_000).collect();
    c.equal("a Vec of 100,000 numbers", numbers.iter().sum::<u64>(), 4_999_950_000);
    let mut words = BTreeMap::new();
    for i in 0..1000u32 {
        words.insert(format!("key{i:04}"), i);
    }
    c.equal("a BTreeMap of 1,000 strings", words.get("key0777").copied(), Some(777));
    let mut text = String::new();
    for i in 0..500 {
        text.push_str(&format!("{i},"));
    }
    c.check("a growing String", text.starts_with("0,1,2,") && text.ends_with("498,499,"));
    let big: Box<[u8]> = alloc::vec![7u8; 1 << 20].into_boxed_slice();
    c.check("a 1 MiB Box", big.iter().all(|&b| b == 7));
    let size = exos::rt::heap::size();
    drop(big);
    drop(numbers);
    let again: Vec<u8> = alloc::vec![1; 1 << 20];
    c.check("freed memory is reused (the heap did not grow again)", exos::rt::heap::size() == size && again.len() == 1 << 20);
    exos::println!("heap: {} KiB mapped", exos::rt::heap::size() / 1024);
    c.finish()
}

exos::main!(main);
