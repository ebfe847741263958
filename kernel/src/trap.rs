//! Interrupts and exceptions: the timer, the console's receive interrupt (IRQ 4 through the 8259
//! and LINT0), the NIC's (through the IOAPIC: `net::interrupt`), spurious interrupts, and faults. Each interrupt wakes the sleepers it makes ready
//! (`wait::check_all`); one taken while the CPU is idle goes on to `idle::interrupted`.
//!
//! A fault in ring 3 goes to the environment's exception handler (`upcall.rs`); without one, it ends
//! the environment with a message naming it, the fault, the instruction and (for page faults) the
//! address and access. A fault in ring 0 is a kernel bug and
//! panics, with one exception: a fault on the instruction that returns to ring 3 is caused by the
//! user state being restored, so it ends the environment instead.
use crate::arch::x86_64::entry::{self, TrapFrame};
use crate::arch::x86_64::{cpu, idt, lapic, legacy};
use crate::teardown::Outcome;
use crate::{envs, exit, idle, sched, wait};
use crate::{uaccess, upcall};
use alloc::format;
use alloc::string::String;

/// Called by the common interrupt stub.
#[allow(unsafe_code)] // An entry symbol for the stub: `no_mangle` is unsafe to declare.
#[unsafe(no_mangle)]
extern "C" fn trap_dispatch(frame: &mut TrapFrame) {
    crate::stages::stamp(abi::stages::Point::Dispatch);
    dispatch(frame);
    crate::stages::stamp(abi::stages::Point::Done);
}

fn dispatch(frame: &mut TrapFrame) {
    match frame.vector as u8 {
        v if v < 32 => return exception(frame),
        lapic::TIMER_VECTOR => {
            lapic::tick();
            crate::windows::tick(lapic::ticks(), lapic::now_ns());
            lapic::eoi();
            crate::stats::tick(frame.is_from_user().then(envs::current_index));
            crate::revoke::check_deadlines();
            if frame.is_from_user() {
                wait::check_all();
                sched::preempt(frame);
            }
        }
        legacy::COM1_VECTOR => {
            crate::input::interrupt();
            crate::windows::tick(lapic::ticks(), lapic::now_ns());
            legacy::pic_eoi();
            if frame.is_from_user() {
                wait::check_all();
            }
        }
        crate::dev::virtio_net::VECTOR => {
            crate::net::interrupt();
            lapic::eoi();
        }
        lapic::SPURIOUS_VECTOR => {}
        v if (legacy::PIC_VECTOR_BASE..legacy::PIC_VECTOR_BASE + 16).contains(&v) => {}
        v => {
            log::warn!("unexpected interrupt vector {v:#x}");
            lapic::eoi();
        }
    }
    // An interrupt in the idle loop: maybe an environment can run now.
    if !frame.is_from_user() && idle::active() {
        idle::interrupted(frame);
    }
}

fn exception(frame: &mut TrapFrame) {
    let vector = frame.vector as u8;
    if !frame.is_from_user() {
        if entry::return_instructions().contains(&frame.rip) {
            exit::end_current(Outcome::Killed(String::from("invalid user state on return to ring 3")));
        }
        panic!("{} in the kernel at rip={:#x}, error code {:#x}, cr2={:#x}\n{:#x?}",
               name(vector), frame.rip, frame.error_code, cpu::read_cr2(), frame);
    }
    if matches!(vector, idt::DOUBLE_FAULT | idt::MACHINE_CHECK) {
        exit::end_current(Outcome::Killed(describe(frame)));
    }
    if let Err(refused) = upcall::deliver_exception(frame) {
        crate::stats::count(abi::stats::Counter::FaultKills);
        exit::end_current(Outcome::Killed(format!("{}{refused}", describe(frame))));
    }
}

/// A one-line description of a user fault.
fn describe(frame: &TrapFrame) -> String {
    let vector = frame.vector as u8;
    let mut text = format!("{} at rip={:#x}", name(vector), frame.rip);
    match vector {
        14 => text += &page_fault_detail(frame.error_code, cpu::read_cr2()),
        13 if frame.error_code != 0 => text += &selector_detail(frame),
        _ => {}
    }
    text
}

fn page_fault_detail(error: u64, address: u64) -> String {
    let access = if error & 0x10 != 0 { "execute" } else if error & 2 != 0 { "write" } else { "read" };
    let cause = if error & 1 != 0 { "protection violation" } else { "page not mapped" };
    format!(" accessing {address:#x} ({access}, {cause})")
}

/// Explains a #GP error code. For an IDT gate (bit 1), the vector is read from the `int n`
/// instruction itself (opcode 0xcd), which is exact whatever the CPU encodes in the index field.
fn selector_detail(frame: &TrapFrame) -> String {
    let error = frame.error_code;
    if error & 2 == 0 {
        return format!(" (selector error {error:#x})");
    }
    let mut instruction = [0u8; 2];
    match uaccess::copy_from_user(envs::current_root(), frame.rip, &mut instruction) {
        Ok(()) if instruction[0] == 0xcd => format!(" (int {:#x}: vector {} is not open to ring 3)", instruction[1], instruction[1]),
        _ => format!(" (interrupt gate not open to ring 3, error code {error:#x})"),
    }
}

/// The architectural name of an exception vector.
pub fn name(vector: u8) -> &'static str {
    const NAMES: [&str; 32] = [
        "divide error (#DE)", "debug (#DB)", "NMI", "breakpoint (#BP)", "overflow (#OF)",
        "bound range exceeded (#BR)", "invalid opcode (#UD)", "device not available (#NM)",
        "double fault (#DF)", "coprocessor segment overrun", "invalid TSS (#TS)",
        "segment not present (#NP)", "stack-segment fault (#SS)", "general protection (#GP)",
        "page fault (#PF)", "reserved exception 15", "x87 floating-point error (#MF)",
        "alignment check (#AC)", "machine check (#MC)", "SIMD floating-point exception (#XM)",
        "virtualization exception (#VE)", "control protection (#CP)", "reserved exception 22",
        "reserved exception 23", "reserved exception 24", "reserved exception 25",
        "reserved exception 26", "reserved exception 27", "hypervisor injection (#HV)",
        "VMM communication (#VC)", "security exception (#SX)", "reserved exception 31",
    ];
    NAMES.get(usize::from(vector)).copied().unwrap_or("interrupt")
}
