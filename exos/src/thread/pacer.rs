//! A pacer: a tiny child environment that does nothing but give the CPU back, so that every timer
//! tick preempts its parent.
//!
//! The kernel's timer only takes the CPU from an environment when another one is runnable, and
//! the slice-end upcall (the hook `exos::thread` preempts threads with) comes only after such a
//! preemption. A program alone on the CPU is therefore never preempted; with a pacer running it
//! is, once per tick: the timer moves the CPU to the pacer, which yields it straight back, and the
//! program resumes with a slice-end upcall. The pacer is one page of machine code (a
//! `sys_env_yield(ANY_ENV)` loop) in an otherwise empty address space.

use crate::sys::shared::Mapped;
use crate::sys::syscall::{sys_env_create, sys_env_destroy, sys_env_start, sys_page_alloc, sys_page_free, sys_page_map, sys_page_map_into};
use abi::{Error, MapUpdate, Rights, Sysnum, ANY_PAGE};

/// Where the pacer's code is written in the parent, briefly (inside the thread-stack region,
/// below the first stack window, which is never mapped otherwise).
const SCRATCH: u64 = crate::thread::stack::STACKS_BASE;
/// Where the pacer's code lives in the pacer.
const CODE: u64 = 0x10_0000;

/// The pacer's program: `loop { sys_env_yield(ANY_ENV) }`.
const CODE_BYTES: [u8; 16] = [
    0x48, 0xc7, 0xc7, 0xff, 0xff, 0xff, 0xff, // mov rdi, -1 (ANY_ENV)
    0xb8, Sysnum::EnvYield as u8, 0x00, 0x00, 0x00, // mov eax, EnvYield
    0x0f, 0x05, // syscall
    0xeb, 0xf0, // jmp to the start
];

/// A running pacer; dropping it ends the pacer environment.
pub struct Pacer {
    env: u64,
    page: u64,
}

impl Pacer {
    /// Creates and starts a pacer (it costs one environment and one page).
    pub fn start() -> Result<Pacer, Error> {
        let (_, env) = sys_env_create(crate::proc::budget::child_budget().max(abi::ENV_RECORD_PAGES))?;
        let (_, page) = match sys_page_alloc(ANY_PAGE) {
            Ok(page) => page,
            Err(e) => {
                let _ = sys_env_destroy(env);
                return Err(e);
            }
        };
        let pacer = Pacer { env, page }; // from here, dropping it cleans up
        let map = |va, rights: u64| MapUpdate { op: MapUpdate::MAP, va, slot: page, rights };
        let check = |(_, e): (u64, Option<Error>)| e.map_or(Ok(()), Err);
        check(sys_page_map(&[map(SCRATCH, Rights::READ.0 | Rights::WRITE.0)]))?;
        // The page was just mapped read-write at SCRATCH, a library address no Rust object uses;
        // it is unmapped right after.
        Mapped::library(SCRATCH, 4096).write_bytes(0, &CODE_BYTES);
        check(sys_page_map(&[MapUpdate { op: MapUpdate::UNMAP, va: SCRATCH, slot: 0, rights: 0 }]))?;
        check(sys_page_map_into(env, &[map(CODE, Rights::READ.0 | Rights::EXECUTE.0)]))?;
        // The pacer never touches its stack; any user address does.
        sys_env_start(env, CODE, CODE + 4096)?;
        Ok(pacer)
    }
}

impl Drop for Pacer {
    fn drop(&mut self) {
        let _ = sys_env_destroy(self.env);
        let _ = sys_page_free(self.page);
    }
}
