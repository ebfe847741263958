//! Exo: an exokernel for x86_64.
//!
//! The kernel protects; it does not manage. It securely multiplexes physical memory, address
//! translation, the CPU and exceptions, and leaves every policy (processes, virtual memory, files,
//! scheduling inside an application) to the library OS linked into each program. Four rules:
//! expose allocation, expose physical names, expose revocation, expose information.
//!
//! Where things live (docs/ARCHITECTURE.md, "Kernel layers", draws who may call whom):
//! - `arch::x86_64`, `boot`: boot stub, GDT/TSS, IDT, trap and `syscall` entry, LAPIC, CPU control;
//!   loader information.
//! - `mem`: direct map (`phys`), frame allocator, page-ownership table (`owners`), page tables, heap.
//! - `windows`, `stats`, `stages`: the read-only windows every environment sees.
//! - `uaccess`, `input`, `console`: user memory, console input, kernel output.
//! - `env`, `envs`, `cap`, `slice`, `page`: the data structures (an environment's record, the
//!   environment table, the capability space, the time-slice vector, page accounting).
//! - `bind`: secure bindings, made and undone. `upcall`, `revoke`: upcalls and the abort protocol.
//! - `sched`: the run queue. `wait`: sleeping in `env_wait` and waking. `idle`: the halted CPU.
//!   `teardown`: the one path that takes an environment apart.
//! - `loader`, `runlist`, `exit`: boot programs, and what runs when an environment ends.
//! - `syscall` (one file per object, dispatch table generated from `abi/src/calls.rs`), `trap`:
//!   what happens on each entry.
//!
//! Invariants: one CPU; interrupts are disabled whenever the CPU is in ring 0 (they arrive only
//! from ring 3, or in the idle loop, which holds no lock and no state on its stack), so the kernel
//! is never re-entered and its locks are never contended.
#![no_std]
#![no_main]
#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]

extern crate alloc;
use cmem as _;

// The unsafe boundary (docs/ARCHITECTURE.md, "Unsafe code"): only these modules may hold unsafe
// code; the rest of the kernel is safe Rust (`deny(unsafe_code)` above).
#[allow(unsafe_code)]
mod arch;
mod bind;
mod budget;
mod boot;
mod cap;
mod console;
#[allow(unsafe_code)]
mod dev;
mod env;
mod envs;
mod exit;
mod idle;
mod extent;
mod input;
mod loader;
mod net;
#[allow(unsafe_code)]
mod mem;
mod page;
mod redirect;
mod revoke;
mod runlist;
#[allow(unsafe_code)]
mod sched;
#[allow(unsafe_code)]
mod selftest;
mod slice;
#[allow(unsafe_code)]
mod stages;
mod stats;
mod syscall;
mod teardown;
mod trap;
mod uaccess;
mod upcall;
mod wait;
mod windows;

use arch::x86_64::{cpu, entry, gdt, idt, lapic, legacy};
use kcore::cmdline::{self, Mode};
use kcore::initrd::Archive;
use kcore::memmap::MemoryMap;

/// Timer period (one time slice), in milliseconds.
const TIMER_PERIOD_MS: u32 = 10;

/// The kernel's entry from the boot stub: `protocol` is 1 (PVH) or 2 (multiboot2), `info` the
/// physical address of the loader's information block, `entry_tsc` the TSC at the first instruction.
#[allow(unsafe_code)] // An entry symbol for the boot stub: `no_mangle` is unsafe to declare.
#[unsafe(no_mangle)]
extern "C" fn kmain(protocol: u32, info: u32, entry_tsc: u64) -> ! {
    console::init(entry_tsc);
    let features = cpu::init();
    gdt::init();
    idt::init();
    let boot = boot::parse(protocol, u64::from(info));
    match boot.loader {
        Some(loader) => kprintln!("exo: booting via {} ({loader})", boot.protocol),
        None => kprintln!("exo: booting via {}", boot.protocol),
    }
    let cmdline = match cmdline::parse(boot.cmdline) {
        Ok(c) => c,
        Err(e) => {
            kprintln!("exo: bad kernel command line '{}': {e}", boot.cmdline);
            legacy::qemu_exit(2)
        }
    };
    console::set_level(cmdline.log);
    log::info!("cpu: {features:?}");
    init_memory(&boot);
    legacy::disable_pics();
    lapic::init(TIMER_PERIOD_MS, entry_tsc);
    let (boot_tsc, tsc_per_ms) = lapic::clock();
    windows::publish_clock(boot_tsc, tsc_per_ms);
    input::init();
    net::init();
    entry::init_syscall();
    if let Some(pages) = cmdline.user_pages {
        page::set_budget(pages);
        log::info!("environments may hold {pages} pages together");
    }
    if let Some(test) = cmdline.selftest {
        selftest::run(test);
    }
    if let Some(args) = cmdline.args.filter(|args| !windows::publish_boot_args(args)) {
        kprintln!("exo: the arguments after '--' are {} bytes; the limit is {}: refusing them", args.len(), abi::layout::BOOT_ARGS_MAX - 1);
    }
    let archive = open_initrd(&boot);
    let programs = cmdline.run.iter().collect();
    if cmdline.mode == Mode::Test {
        log::info!("test mode: QEMU exits when the run list is done");
    }
    envs::init();
    runlist::start(programs, archive, cmdline.mode)
}

/// Builds the frame allocator from the firmware map minus everything already in use, switches to
/// the kernel's page tables and starts the heap.
fn init_memory(boot: &boot::BootInfo) {
    let mut map = MemoryMap::new();
    for (start, end) in boot.usable.iter() {
        map.add_usable(start, end).expect("memory map has too many regions");
    }
    // Low memory (BIOS data, option ROMs) and the kernel image itself.
    let kernel_end = mem::kernel_image_end();
    let ram_bytes = map.usable_bytes();
    map.reserve(0, kernel_end).expect("memory map full");
    for (start, end) in boot.reserved.iter() {
        map.reserve(start, end).expect("memory map full");
    }
    log::info!("mem: {} MiB usable, kernel ends at {kernel_end:#x}", map.usable_bytes() >> 20);
    mem::frames::init(&mut map, ram_bytes);
    mem::paging::init(boot.ram.iter());
    mem::heap::init();
    windows::init();
    stats::init();
    budget::init();
    log::info!("mem: {} frames free after page tables and heap", mem::frames::free_count());
}

fn open_initrd(boot: &boot::BootInfo) -> Archive<'static> {
    let Some((pa, len)) = boot.initrd else {
        kprintln!("exo: no initrd: nothing to run (pass one with -initrd or module2)");
        legacy::qemu_exit(2)
    };
    match Archive::new(mem::phys::bytes(pa, len)) {
        Ok(archive) => {
            log::info!("initrd: {} bytes at {pa:#x}, {} files", len, archive.entries().count());
            windows::publish_initrd(mem::phys::bytes(pa, len));
            archive
        }
        Err(e) => {
            kprintln!("exo: bad initrd at {pa:#x} ({len} bytes): {e}");
            legacy::qemu_exit(2)
        }
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    use core::fmt::Write;
    let mut out = arch::x86_64::serial::RawConsole;
    let _ = match info.location() {
        Some(l) => writeln!(out, "\nKERNEL PANIC at {}:{}: {}", l.file(), l.line(), info.message()),
        None => writeln!(out, "\nKERNEL PANIC: {}", info.message()),
    };
    legacy::qemu_exit(1)
}
