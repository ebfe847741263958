//! Environments: Exo's protection domains. An environment is an address space, the saved state of
//! its one CPU context (registers and FPU/SSE state), its exception handler, the record of what it
//! mapped through capabilities, and a name for messages. Nothing more: no threads, no files.
use crate::arch::x86_64::cpu::FPU_AREA_MAX;
use crate::arch::x86_64::entry::TrapFrame;
use crate::mem::paging;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
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
    /// The capability slot it was mapped through.
    pub slot: u64,
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
    pub mappings: BTreeMap<u64, Mapping>,
    /// Pages held through `page_alloc` (counted against `abi::PAGE_QUOTA`).
    pub pages: u64,
}

impl Env {
    /// Returns every frame of the environment's address space to the free pool. Its capabilities
    /// (and the pages and mappings they hold) must already be gone (`cap::remove_env`).
    pub fn destroy(self) {
        debug_assert!(self.mappings.is_empty() && self.pages == 0);
        paging::activate(paging::kernel_root());
        paging::destroy_address_space(self.root);
    }
}
