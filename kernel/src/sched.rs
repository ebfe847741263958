//! The boot run list: the programs named on the command line (`run=a,b,c`), run one after another.
//!
//! This is the kernel's only policy today, and it exists to start the first library OS: each
//! program is loaded from the boot archive into a fresh environment and runs until it exits or
//! faults; then the next one starts. A program that cannot be loaded is refused with a message and
//! skipped. When the list is done, a test boot (`mode=test`) leaves QEMU; a normal boot halts.
use crate::arch::x86_64::entry::{self, TrapFrame};
use crate::arch::x86_64::{cpu, lapic, legacy};
use crate::env::Env;
use crate::mem::{frames, paging};
use crate::{kprintln, loader};
use alloc::vec::Vec;
use kcore::cmdline::Mode;
use kcore::initrd::Archive;

struct RunList {
    programs: Vec<&'static str>,
    next: usize,
    archive: Archive<'static>,
    mode: Mode,
    current: Option<Env>,
    next_id: u64,
    /// Free frames before the first program, to detect leaks when the list is done.
    free_at_start: u64,
    started: bool,
}

static RUN_LIST: spin::Mutex<Option<RunList>> = spin::Mutex::new(None);

/// How an environment ended.
pub enum Outcome {
    Exited(u64),
    Killed(alloc::string::String),
}

/// Starts the run list. Never returns: the CPU leaves for ring 3.
pub fn start(programs: Vec<&'static str>, archive: Archive<'static>, mode: Mode) -> ! {
    *RUN_LIST.lock() = Some(RunList {
        programs, next: 0, archive, mode, current: None, next_id: 1,
        free_at_start: frames::free_count(), started: false,
    });
    let frame = launch_next();
    entry::enter_user(&frame)
}

/// The address space of the running environment.
pub fn current_root() -> u64 {
    with_current(|env| env.root)
}

/// Runs `f` on the running environment.
pub fn with_current<R>(f: impl FnOnce(&mut Env) -> R) -> R {
    with(|list| f(list.current.as_mut().expect("no running environment")))
}

/// Ends the running environment and starts the next program. Never returns.
pub fn end_current(outcome: Outcome) -> ! {
    let mut env = with(|list| list.current.take().expect("no running environment"));
    match outcome {
        Outcome::Exited(code) => kprintln!("exo: env {} '{}' exited with code {}", env.id, env.name, code as i64),
        Outcome::Killed(why) => kprintln!("exo: env {} '{}' killed: {}", env.id, env.name, why),
    }
    crate::cap::remove_env(&mut env);
    env.destroy();
    let frame = launch_next();
    entry::enter_user(&frame)
}

fn with<R>(f: impl FnOnce(&mut RunList) -> R) -> R {
    f(RUN_LIST.lock().as_mut().expect("run list not started"))
}

/// Loads the next loadable program, makes it current and returns its first frame; finishes the
/// boot when none is left.
fn launch_next() -> TrapFrame {
    loop {
        let (name, bytes, id) = match with(next_program) {
            Some(next) => next,
            None => finish(),
        };
        let Some(bytes) = bytes else {
            kprintln!("exo: refused '{name}': not in the boot archive");
            continue;
        };
        match loader::load(id, name, bytes) {
            Ok(env) => return activate(env),
            Err(e) => kprintln!("exo: refused '{name}': {e}"),
        }
    }
}

fn next_program(list: &mut RunList) -> Option<(&'static str, Option<&'static [u8]>, u64)> {
    let name = *list.programs.get(list.next)?;
    list.next += 1;
    list.next_id += 1;
    Some((name, list.archive.find(name), list.next_id - 1))
}

fn activate(env: Env) -> TrapFrame {
    paging::activate(env.root);
    // SAFETY: the FPU area lives in the environment's box, which stays in the run list (and so
    // alive) until the environment ends, when the next one replaces it before any entry.
    unsafe { entry::set_fpu_area(env.fpu.address()) };
    // A new environment starts with no FS/GS base inherited from the previous one.
    // SAFETY: these MSRs exist on every x86_64 CPU; 0 is a valid base.
    unsafe {
        cpu::wrmsr(cpu::MSR_FS_BASE, 0);
        cpu::wrmsr(cpu::MSR_GS_BASE, 0);
        cpu::wrmsr(cpu::MSR_KERNEL_GS_BASE, 0);
    }
    let frame = env.frame;
    log::debug!("starting env {} '{}' at {:#x}", env.id, env.name, frame.rip);
    let first = with(|list| {
        list.current = Some(env);
        !core::mem::replace(&mut list.started, true)
    });
    if first {
        let cycles = cpu::rdtsc() - crate::console::entry_tsc();
        kprintln!("exo: boot: first user instruction at +{} us ({} cycles since kernel entry)",
                  lapic::cycles_to_us(cycles), cycles);
    }
    frame
}

/// The run list is done: report, then leave QEMU (test mode) or halt.
fn finish() -> ! {
    let (mode, free_at_start) = with(|list| (list.mode, list.free_at_start));
    let free_now = frames::free_count();
    kprintln!("exo: all programs finished ({} timer ticks taken in ring 3)", lapic::ticks());
    if free_now != free_at_start {
        kprintln!("exo: LEAK: {} frames free before the first program, {} now", free_at_start, free_now);
    }
    match mode {
        Mode::Test => legacy::qemu_exit(0),
        Mode::Run => {
            kprintln!("exo: nothing left to run; press Ctrl-A X to leave QEMU");
            cpu::halt_forever()
        }
    }
}
