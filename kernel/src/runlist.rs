//! The boot run list (`run=a,b,c` on the command line), which starts the first library OS.
//!
//! Each program is loaded from the boot archive into a fresh environment; when it and every
//! environment it created have ended (`exit.rs` asks for the next), the next program starts. A
//! program that cannot be loaded is refused with a message and skipped. When the list is done, a
//! test boot (`mode=test`) leaves QEMU; a normal boot halts. Calls `loader`, `envs`, `sched`,
//! `teardown` (the mode) and `arch`.
use crate::arch::x86_64::entry::{self, TrapFrame};
use crate::arch::x86_64::{cpu, lapic, legacy};
use crate::mem::frames;
use crate::{envs, kprintln, loader, sched};
use alloc::vec::Vec;
use kcore::cmdline::Mode;
use kcore::initrd::Archive;

struct BootList {
    programs: Vec<&'static str>,
    next: usize,
    archive: Archive<'static>,
    mode: Mode,
    /// Free frames before the first program, to detect leaks when the list is done.
    free_at_start: u64,
    started: bool,
}

static LIST: spin::Mutex<Option<BootList>> = spin::Mutex::new(None);

/// Starts the boot run list. Never returns: the CPU leaves for ring 3.
pub fn start(programs: Vec<&'static str>, archive: Archive<'static>, mode: Mode) -> ! {
    crate::teardown::set_interactive(mode == Mode::Run);
    *LIST.lock() = Some(BootList { programs, next: 0, archive, mode, free_at_start: frames::free_count(), started: false });
    let frame = launch_next();
    entry::enter_user(&frame)
}

fn with<R>(f: impl FnOnce(&mut BootList) -> R) -> R {
    f(LIST.lock().as_mut().expect("run list not started"))
}

/// Loads the next loadable boot program and returns its first frame; finishes the boot when none
/// is left.
pub fn launch_next() -> TrapFrame {
    loop {
        let Some((name, bytes)) = with(next_program) else { finish() };
        let Some(bytes) = bytes else {
            kprintln!("exo: refused '{name}': not in the boot archive");
            continue;
        };
        match envs::create(|id| loader::load(id, name, bytes)) {
            Ok(id) => return start_program(id),
            Err(Some(e)) => kprintln!("exo: refused '{name}': {e}"),
            Err(None) => kprintln!("exo: refused '{name}': no free environment"),
        }
    }
}

fn next_program(list: &mut BootList) -> Option<(&'static str, Option<&'static [u8]>)> {
    let name = *list.programs.get(list.next)?;
    list.next += 1;
    Some((name, list.archive.program(name)))
}

fn start_program(id: u64) -> TrapFrame {
    let frame = sched::start(id);
    if !with(|list| core::mem::replace(&mut list.started, true)) {
        let cycles = cpu::rdtsc() - crate::console::entry_tsc();
        kprintln!("exo: boot: first user instruction at +{} us ({} cycles since kernel entry)",
                  lapic::cycles_to_us(cycles), cycles);
    }
    frame
}

/// The run list is done: report, then leave QEMU (through the debug-exit device; on a machine
/// without one, halt).
fn finish() -> ! {
    let (mode, free_at_start) = with(|list| (list.mode, list.free_at_start));
    let free_now = frames::free_count();
    kprintln!("exo: all programs finished ({} timer interrupts taken)", lapic::interrupts());
    if entry::nmi_count() > 0 {
        kprintln!("exo: {} NMIs arrived (counted and ignored)", entry::nmi_count());
    }
    if free_now != free_at_start {
        kprintln!("exo: LEAK: {} frames free before the first program, {} now", free_at_start, free_now);
    }
    match mode {
        Mode::Test => legacy::qemu_exit(0),
        Mode::Run => {
            kprintln!("exo: nothing left to run; halting");
            legacy::qemu_exit(0)
        }
    }
}
