//! Environments: Exo's protection domains. An environment is an address space, the saved state of
//! its one CPU context (registers and FPU/SSE state), its exception handler, the record of what it
//! mapped through capabilities, and a name for messages. Nothing more: no threads, no files.
//!
//! This file is the record and its own invariants only; the table of environments is `envs.rs`,
//! the one path that takes an environment apart is `teardown.rs`.
use crate::arch::x86_64::cpu::FPU_AREA_MAX;
use crate::arch::x86_64::entry::TrapFrame;
use crate::mem::paging;
use alloc::boxed::Box;
use kcore::vamap::VaMap;
use abi::Error;
use alloc::format;
use alloc::string::String;

/// The saved FPU/SSE/AVX state of an environment, in XSAVE (or FXSAVE) layout.
#[repr(C, align(64))]
pub struct FpuArea(pub [u8; FPU_AREA_MAX]);

impl FpuArea {
    /// The state a new environment starts with: x87 and SSE at their power-on values
    /// (FCW 0x37f, MXCSR 0x1f80: all exceptions masked), every XSAVE component in its init state.
    pub fn initial() -> Box<FpuArea> {
        let mut area = Box::new(FpuArea([0; FPU_AREA_MAX]));
        area.0[0..2].copy_from_slice(&0x037fu16.to_le_bytes());
        area.0[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
        area
    }

    /// The address the entry code saves into.
    pub fn address(&self) -> u64 {
        self.0.as_ptr() as u64
    }
}

/// Where an environment wants its exceptions delivered.
#[derive(Clone, Copy, Debug)]
pub struct ExceptionHandler {
    pub entry: u64,
    pub stack_base: u64,
    pub stack_top: u64,
}

/// A page mapped through a capability.
#[derive(Clone, Copy, Debug)]
pub struct Mapping {
    /// The table index of the environment whose capability authorized it (the mapper, which may be
    /// another environment mapping into this one).
    pub owner: usize,
    /// The capability slot it was mapped through, in the owner's table.
    pub slot: u64,
    /// The rights the mapper gave: `PROTECT` can never go beyond them (nor beyond the capability).
    pub ceiling: abi::Rights,
    /// The library's tag bits (`abi::pte::TAG0 | TAG1`) in its page-table entry.
    pub tags: u64,
    /// The id of the environment charged for the record and the page-table pages it added
    /// (`budget.rs`).
    pub payer: u64,
}

/// Where an environment stands in protected control transfers. Whom a server owes a reply is not
/// here but on its callers' side (`Blocked(server)`), so the server's own calls and waits do not
/// lose it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PctState {
    /// Running its own code, or a transfer from its entry.
    Running,
    /// Waiting at its entry point for the next transfer (not runnable).
    Waiting,
    /// Blocked in a synchronous call to this environment until it replies (not runnable).
    Blocked(u64),
}

/// What a sleeping environment waits for (`env_wait`'s arguments, checked; `wait.rs` decides
/// when it holds and wakes it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wait {
    /// The `WAIT_*` events it asked for.
    pub events: u64,
    /// With `WAIT_DEADLINE`: nanoseconds since boot.
    pub deadline: u64,
    /// With `WAIT_WORD`: the physical address of the word (waiters are matched by it).
    pub word: u64,
    /// With `WAIT_WORD`: the word differed from the expected value, or `page_wake` named it.
    pub word_fired: bool,
}

/// A revocation the kernel asked an environment for (`revoke.rs`), not settled yet.
#[derive(Clone, Copy, Debug)]
pub struct Revocation {
    /// Pages still owed (more than 0: the request is over when it reaches 0).
    pub owed: u64,
    /// The tick after which the kernel takes pages itself.
    pub deadline: u64,
    /// Whether the upcall has been delivered.
    pub delivered: bool,
}

/// A protection domain.
pub struct Env {
    /// Table index and generation (`abi::env_id`); shown in messages.
    pub id: u64,
    /// The environment that created it (`None` for boot programs).
    pub parent: Option<u64>,
    /// Whether the scheduler may run it (false until it is started).
    pub runnable: bool,
    pub name: String,
    /// Physical address of the PML4.
    pub root: u64,
    /// Registers while the environment is not running.
    pub frame: TrapFrame,
    pub fpu: Box<FpuArea>,
    /// The registered exception handler, if any.
    pub exception_handler: Option<ExceptionHandler>,
    /// Pages mapped through capabilities, by virtual address.
    pub mappings: VaMap<Mapping>,
    /// Ranges mapped through extent capabilities (`extent.rs`), apart from the per-page mappings.
    pub extents: kcore::extent::ExtentMaps,
    /// Pages held through `page_alloc` and `extent_alloc` (each also charged to its budget,
    /// `budget.rs`, by `page::charge` or `page_alloc`).
    pub pages: u64,
    /// Protected-control-transfer entry point and stack top.
    pub pct_entry: Option<(u64, u64)>,
    pub pct: PctState,
    /// A revocation the kernel asked for and that is not settled yet.
    pub revoke: Option<Revocation>,
    /// Slots of root page capabilities the kernel must never repossess.
    pub vital: alloc::vec::Vec<u64>,
    /// Whether it wants a slice-end upcall after each preemption, and whether one is due.
    pub slice_upcall: bool,
    pub slice_end_pending: bool,
    /// Its data-segment selectors (DS, ES, FS, GS) while it is not running.
    pub selectors: [u16; 4],
    /// A call restarted in pieces (`page_map`, `console_write`, `cap_revoke`, `cap_delete`,
    /// `page_free`): which, and how far it got
    /// (`syscall::resumed`).
    pub restart: Option<([u64; 6], u64)>,
    /// Whether TLB entries tagged with its PCID may be stale (new environment, or pages unmapped
    /// while it was not running): the next switch to it flushes them.
    pub tlb_stale: bool,
    /// What it sleeps for in `env_wait` (not runnable meanwhile), if it does (`wait.rs`).
    pub wait: Option<Wait>,
    /// Pending notification bits (`env_notify`, `abi::NOTIFY_CHILD`), consumed by `env_wait`.
    pub notify: u32,
    /// Interrupt lines it owns (bit n: line n). None can be bound yet (the device issues will add
    /// the binding call); `env_wait(WAIT_IRQ)` needs at least one.
    pub irq_lines: u32,
    /// Lines among those that fired and were not consumed by `env_wait` yet.
    pub irq_pending: u32,
    /// Its FS segment base (`env_set_fs_base`; 0 unless it set one), loaded when it runs.
    pub fs_base: u64,
    /// `env_redirect_syscalls`: the code range whose `syscall` instructions stay Exo calls; every
    /// other `syscall` goes to its exception handler. `None`: every `syscall` is an Exo call.
    pub syscall_native: Option<(u64, u64)>,
}

impl Env {
    /// A new, not yet runnable environment over address space `root`, whose registers start as
    /// `frame`; everything else (capabilities, handlers, mappings) starts empty.
    pub fn new(id: u64, name: String, parent: Option<u64>, root: u64, frame: TrapFrame) -> Env {
        Env {
            id,
            parent,
            runnable: false,
            name,
            root,
            frame,
            fpu: FpuArea::initial(),
            exception_handler: None,
            mappings: VaMap::new(),
            extents: kcore::extent::ExtentMaps::new(),
            pages: 0,
            pct_entry: None,
            pct: PctState::Running,
            revoke: None,
            vital: alloc::vec::Vec::new(),
            slice_upcall: false,
            slice_end_pending: false,
            tlb_stale: true,
            selectors: [0; 4],
            wait: None,
            notify: 0,
            irq_lines: 0,
            irq_pending: 0,
            fs_base: 0,
            syscall_native: None,
            restart: None,
        }
    }

    /// An empty environment created by `parent`: the kernel's windows only, no capabilities, not
    /// runnable.
    pub fn new_child(id: u64, parent: &Env) -> Result<Env, Error> {
        let root = paging::new_address_space().ok_or(Error::NoMemory)?;
        Ok(Env::new(id, format!("{}.child", parent.name), Some(parent.id), root, TrapFrame::default()))
    }

    /// The environment let go of the page of its root capability `slot` (freed, given away or
    /// repossessed): it is no longer vital, and it counts toward the revocation pending against
    /// the environment (the request is over when every page asked for is counted).
    pub fn page_gone(&mut self, slot: u64) {
        self.pages_gone(slot, 1);
    }

    /// As [`Env::page_gone`] for the `count` pages of an extent (root capability `slot`).
    pub fn pages_gone(&mut self, slot: u64, count: u64) {
        self.vital.retain(|&s| s != slot);
        let Some(r) = self.revoke.as_mut() else { return };
        r.owed = r.owed.saturating_sub(count);
        if r.owed == 0 {
            self.revoke = None;
        }
        self.publish_revocation();
    }

    /// Shows the pending revocation (or none) in the environment's revocation page.
    pub fn publish_revocation(&self) {
        let (owed, deadline) = self.revoke.map_or((0, 0), |r| (r.owed, r.deadline));
        crate::windows::publish_revocation(self.root, owed, deadline);
    }

}
