//! Deliberate kernel failures (`selftest=` on the command line), so that the tests can check what
//! happens when the kernel itself goes wrong: the panic handler's message and exit code, a page
//! fault in ring 0, and a kernel stack overflow caught as a double fault on its own IST stack.
use kcore::cmdline::SelfTest;

/// Fails the way `test` asks. Never returns.
pub fn run(test: SelfTest) -> ! {
    log::warn!("self-test: failing on purpose ({test:?})");
    match test {
        SelfTest::Panic => panic!("self-test: deliberate panic"),
        SelfTest::PageFault => {
            // An address in the device window that nothing maps.
            let address = abi::layout::MMIO_BASE + 0x1000_0000_0000;
            // SAFETY: deliberately invalid, to exercise the kernel's page-fault path: the read faults
            // before any value is produced and the fault handler panics.
            let value = unsafe { core::ptr::read_volatile(address as *const u64) };
            panic!("self-test: read {value:#x} from an unmapped address");
        }
        SelfTest::StackOverflow => panic!("self-test: recursion returned {}", recurse(0)),
    }
}

#[allow(unconditional_recursion)]
fn recurse(depth: u64) -> u64 {
    let mut frame = [depth; 32];
    core::hint::black_box(&mut frame);
    recurse(depth + 1) + frame[1]
}
