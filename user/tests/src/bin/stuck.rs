//! Hostile test: waits for a protected control transfer that can never come. Its child runs and
//! exits; then nothing can run, so the kernel must end this program too (and its page-less child
//! table entry), then go on to the next program, leaking nothing.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use exos::sys::syscall::*;

extern "C" fn child() -> ! {
    exos::println!("stuck: child exits, leaving the parent waiting");
    sys_env_exit(0)
}

extern "C" fn never(_: u64, _: u64, _: u64, _: u64, _: u64, _: u64) -> ! {
    exos::println!("stuck: FAIL: a transfer arrived");
    sys_env_exit(1)
}

fn main() {
    let _child = user::spawn(child, &[]).expect("spawning the child");
    sys_pct_set_entry(never, user::CHILD_STACK_TOP - 0x3000 + 0x1000).expect("entry");
    let e = sys_pct_wait();
    exos::println!("stuck: FAIL: wait returned {e:?}");
}

exos::main!(main);
