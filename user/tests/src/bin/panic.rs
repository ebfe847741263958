//! Panics: the ExOS panic handler must print the message and exit with status 101.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

fn main() {
    let items = core::hint::black_box([1, 2, 3]);
    let index = core::hint::black_box(7);
    exos::println!("panic: about to index {index} of {}", items.len());
    exos::println!("unreachable {}", items[index]);
}

exos::main!(main);
