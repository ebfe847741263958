//! The support library of Exo's programs (not part of ExOS), shared by the three packages below
//! this one: `tools/` (installed in /bin), `tests/` (/test) and `benches/` (/bench). For the test
//! programs: probing whether an access faults, with an exception handler that resumes after the
//! probe, [`Checks`], [`spawn`] of a copy; [`util`] is the core utilities' plumbing; [`bench`] is
//! what the benchmark programs share.
#![no_std]
#![allow(unsafe_code)]

extern crate alloc;

pub mod bench;
pub mod net;
pub mod util;

use abi::ExceptionFrame;
use core::sync::atomic::{AtomicU64, Ordering};

static RESUME: AtomicU64 = AtomicU64::new(0);
/// The last fault a probe caught: (vector, error code, address).
static LAST: [AtomicU64; 3] = [const { AtomicU64::new(0) }; 3];

fn probe_handler(frame: &mut ExceptionFrame) -> bool {
    let resume = RESUME.swap(0, Ordering::Relaxed);
    if resume == 0 {
        return false; // not inside a probe: a real fault
    }
    LAST[0].store(frame.vector, Ordering::Relaxed);
    LAST[1].store(frame.error_code, Ordering::Relaxed);
    LAST[2].store(frame.fault_address, Ordering::Relaxed);
    frame.rip = resume;
    frame.rcx = 1;
    true
}

/// Installs the probe handler (call once before probing).
pub fn install_probes() {
    exos::rt::exception::set_handler(probe_handler).expect("registering the probe handler");
}

/// Runs one access that may fault; the probe handler resumes after it with rcx = 1.
macro_rules! probe {
    ($access:literal, $address:expr) => {{
        let faulted: u64;
        // SAFETY: the access may fault on purpose; the probe handler then resumes at label 3 with
        // rcx = 1. When it does not fault, it touches one byte the caller chose to probe.
        unsafe {
            core::arch::asm!(
                "lea rax, [rip + 3f]",
                "mov [{resume}], rax",
                "xor ecx, ecx",
                $access,
                "3:",
                "mov qword ptr [{resume}], 0",
                resume = in(reg) RESUME.as_ptr(),
                address = in(reg) $address,
                out("rax") _, out("rcx") faulted,
            );
        }
        faulted == 1
    }};
}

/// Whether writing a byte to `address` faults; if it does, the fault is in [`last_fault`].
pub fn write_faults(address: u64) -> bool {
    probe!("mov byte ptr [{address}], 0x5a", address)
}

/// Whether reading a byte from `address` faults.
pub fn read_faults(address: u64) -> bool {
    probe!("mov al, byte ptr [{address}]", address)
}

/// The last fault a probe caught: (vector, error code, address).
pub fn last_fault() -> (u64, u64, u64) {
    (LAST[0].load(Ordering::Relaxed), LAST[1].load(Ordering::Relaxed), LAST[2].load(Ordering::Relaxed))
}

/// Counts failed checks and reports them.
pub struct Checks {
    pub program: &'static str,
    pub total: u32,
    pub failed: u32,
}

impl Checks {
    pub const fn new(program: &'static str) -> Checks {
        Checks { program, total: 0, failed: 0 }
    }

    /// Records one check; prints it when it fails.
    pub fn check(&mut self, what: &str, ok: bool) {
        self.total += 1;
        if !ok {
            self.failed += 1;
            exos::println!("{}: FAIL: {what}", self.program);
        }
    }

    /// Checks that `got` equals `expected`.
    pub fn equal<T: PartialEq + core::fmt::Debug>(&mut self, what: &str, got: T, expected: T) {
        if got != expected {
            exos::println!("{}: FAIL: {what}: got {got:?}, expected {expected:?}", self.program);
            self.failed += 1;
        }
        self.total += 1;
    }

    /// Prints the summary line and returns the exit code.
    pub fn finish(&self) -> i64 {
        exos::println!("{}: {} checks, {} failed", self.program, self.total, self.failed);
        i64::from(self.failed)
    }
}

/// A view of a mapped page, for test programs that probed it readable first.
pub fn mapped_page(page: u64) -> &'static [u8; 4096] {
    // SAFETY: test helper: the caller probed the page readable and does not unmap it while the view
    // is used; the page is only ever read through this view.
    unsafe { &*(page as *const [u8; 4096]) }
}

/// Waits for `n` timer ticks, giving the CPU away meanwhile (the kernel publishes its statistics and
/// the free-page count at ticks).
pub fn wait_ticks(n: u64) {
    let start = exos::sys::vm::sysinfo().ticks;
    while exos::sys::vm::sysinfo().ticks < start + n {
        let _ = exos::sys::syscall::sys_env_yield(abi::ANY_ENV);
    }
}

/// Word `i` (little-endian) of the page mapped at `page`: a page a test shares with its children
/// to pass counts and flags.
pub fn page_word(page: u64, i: usize) -> u64 {
    u64::from_le_bytes(mapped_page(page)[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]))
}

/// Sets word `i` (little-endian) of the page mapped writable at `page` (see [`page_word`]).
pub fn set_page_word(page: u64, i: usize, value: u64) {
    mapped_page_mut(page)[i * 8..i * 8 + 8].copy_from_slice(&value.to_le_bytes());
}

/// The budget for a bare child a test creates with `env_create`: ExOS's default share, and at
/// least the child's own record.
pub fn child_pages() -> u64 {
    exos::proc::budget::child_budget().max(abi::ENV_RECORD_PAGES)
}

/// How many physical pages the page-ownership table says environment `id` owns.
pub fn pages_owned_by(id: u64) -> u64 {
    let total = exos::sys::vm::sysinfo().total_pages;
    (0..total).filter(|&frame| exos::sys::vm::owner(frame).map(u64::from) == Some(id)).count() as u64
}

/// This environment's own budget (limit and use).
pub fn own_budget() -> abi::BudgetInfo {
    exos::proc::budget::own()
}

/// A raw system call returning `(rdx, error)`, for hostile tests that pass arguments no typed
/// wrapper would.
pub fn raw_syscall(number: u64, args: [u64; 6]) -> (u64, Option<abi::Error>) {
    // SAFETY: hostile tests only issue calls that read the caller's memory or change its mappings
    // of pages it does not access through Rust references.
    let (rax, rdx) = unsafe { exos::sys::syscall::syscall6(number, args) };
    (rdx, if rax == 0 { None } else { abi::Error::from_code(rax) })
}

/// A writable view of a mapped page, for test programs that fill pages with data or code.
pub fn mapped_page_mut(page: u64) -> &'static mut [u8; 4096] {
    // SAFETY: test helper: the caller mapped the page writable and holds no other reference to it.
    unsafe { &mut *(page as *mut [u8; 4096]) }
}

/// Machine code for child environments (they have no program image: the parent writes their code).
pub mod child_code {
    /// Prints `message` with console_write, stores 0x600d at 0x7000_0000 (a page shared with the
    /// parent), and exits with status 7. `message` must be shorter than 256 bytes.
    pub fn hello(message: &[u8]) -> ([u8; 160], usize) {
        let mut code = [0u8; 160];
        let body: [u8; 39] = [
            0x48, 0x8d, 0x3d, 0x20, 0x00, 0x00, 0x00, // lea rdi, [rip + 0x20] (the message)
            0xbe, message.len() as u8, 0x00, 0x00, 0x00, // mov esi, len
            0x31, 0xc0, // xor eax, eax (console_write)
            0x0f, 0x05, // syscall
            0xc7, 0x04, 0x25, 0x00, 0x00, 0x00, 0x70, 0x0d, 0x60, 0x00, 0x00, // mov dword [0x70000000], 0x600d
            0xbf, 0x07, 0x00, 0x00, 0x00, // mov edi, 7
            0xb8, 0x01, 0x00, 0x00, 0x00, // mov eax, 1 (env_exit)
            0x0f, 0x05, // syscall
        ];
        code[..39].copy_from_slice(&body);
        let len = message.len().min(code.len() - 39);
        code[8] = len as u8;
        code[39..39 + len].copy_from_slice(&message[..len]);
        (code, 39 + len)
    }

    /// Spins forever: `jmp $`.
    pub const SPIN: [u8; 2] = [0xeb, 0xfe];

    /// Reads the parent's address 0x3000_0000, which is not mapped in the child: a page fault.
    pub const READ_PARENT: [u8; 8] = [0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x30];
}

/// The entry of the copy [`spawn_budget`] is starting (each copy keeps the value it was copied with).
static SPAWNED_ENTRY: AtomicU64 = AtomicU64::new(0);

/// Where a copy made by [`spawn_budget`] starts: it records its own id (its copy of ExOS's
/// memory holds its parent's, and its budget is read through it), then runs its entry.
extern "C" fn spawned(id: u64) -> ! {
    exos::proc::process::set_id(id);
    let entry = SPAWNED_ENTRY.load(Ordering::Relaxed);
    // SAFETY: `spawn_budget` stored a valid `extern "C" fn() -> !` here before copying this
    // program's memory into the child, and nothing else writes the word.
    let entry: extern "C" fn() -> ! = unsafe { core::mem::transmute::<u64, extern "C" fn() -> !>(entry) };
    entry()
}

/// Starts a copy of this program in a new child environment at `entry`, the way a library OS
/// spawns: every page of the program image (from 4 MiB up to 16 MiB beyond, as the self-map shows
/// it) is copied into a fresh page and mapped into the child with the same rights, and a 16 KiB
/// stack is mapped at `CHILD_STACK_TOP`. `shared` pages (virtual address, capability slot) are
/// mapped read-write into the child too. Returns the child's id and the slot of its capability.
pub fn spawn(entry: extern "C" fn() -> !, shared: &[(u64, u64)]) -> Result<(u64, u64), abi::Error> {
    spawn_budget(entry, shared, exos::proc::budget::child_budget())
}

/// [`spawn`] with a memory budget of `budget` pages for the child (its image and stack are this
/// program's pages mapped into it, so they are charged here, not to the child).
pub fn spawn_budget(entry: extern "C" fn() -> !, shared: &[(u64, u64)], budget: u64) -> Result<(u64, u64), abi::Error> {
    // The copy starts in `spawned`, which takes its entry from its copy of this word.
    SPAWNED_ENTRY.store(entry as *const () as u64, Ordering::Relaxed);
    use abi::{MapUpdate, Rights, ANY_PAGE};
    use exos::sys::syscall::{sys_env_create, sys_page_alloc, sys_page_map, sys_page_map_into};
    use exos::sys::vm;
    const SCRATCH: u64 = 0x5f00_0000;
    let map = |va, slot, rights: u64| MapUpdate { op: MapUpdate::MAP, va, slot, rights };
    let (id, child) = sys_env_create(abi::ENV_RECORD_PAGES)?;
    let fail = |(_, e): (u64, Option<abi::Error>)| e.map_or(Ok(()), Err);
    for va in (0x40_0000..0x140_0000).step_by(4096) {
        let Some(entry) = vm::translate(va) else { continue };
        let (_, page) = sys_page_alloc(ANY_PAGE)?;
        fail(sys_page_map(&[map(SCRATCH, page, Rights::READ.0 | Rights::WRITE.0)]))?;
        mapped_page_mut(SCRATCH).copy_from_slice(mapped_page(va));
        fail(sys_page_map(&[MapUpdate { op: MapUpdate::UNMAP, va: SCRATCH, slot: 0, rights: 0 }]))?;
        let mut rights = Rights::READ.0;
        if entry & vm::WRITABLE != 0 {
            rights |= Rights::WRITE.0;
        }
        if entry & vm::NO_EXECUTE == 0 {
            rights |= Rights::EXECUTE.0;
        }
        fail(sys_page_map_into(child, &[map(va, page, rights)]))?;
    }
    for i in 1..=4 {
        let (_, page) = sys_page_alloc(ANY_PAGE)?;
        fail(sys_page_map_into(child, &[map(CHILD_STACK_TOP - i * 4096, page, Rights::READ.0 | Rights::WRITE.0)]))?;
    }
    for &(va, slot) in shared {
        fail(sys_page_map_into(child, &[map(va, slot, Rights::READ.0 | Rights::WRITE.0)]))?;
    }
    if budget > abi::ENV_RECORD_PAGES {
        exos::sys::syscall::sys_budget_give(child, budget - abi::ENV_RECORD_PAGES)?;
    }
    exos::sys::syscall::sys_env_start_with(child, spawned as *const () as u64, CHILD_STACK_TOP - 8, id)?;
    Ok((id, child))
}

/// The top of the stack `spawn` gives a child.
pub const CHILD_STACK_TOP: u64 = 0x6000_0000;
