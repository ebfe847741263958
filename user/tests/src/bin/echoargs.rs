//! Prints its arguments and one environment variable, and exits with the number of arguments:
//! the child `spawner` starts from the boot archive.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

fn main() -> i64 {
    let mut n = 0;
    for (i, a) in exos::proc::spawn::args().enumerate() {
        exos::println!("echoargs: argv[{i}] = {a}");
        n += 1;
    }
    exos::println!("echoargs: GREETING={}", exos::proc::spawn::var("GREETING").unwrap_or("(unset)"));
    if exos::proc::process::parent() == 0 {
        exos::println!("echoargs: boot args = [{}]", exos::sys::vm::boot_args());
    }
    exos::println!("echoargs: my id {:#x}, my parent {:#x}", exos::proc::process::id(), exos::proc::process::parent());
    n
}

exos::main!(main);
