//! The saved x87/SSE state of interrupted code (`fxsave` format): what the exception entry saves
//! before any handler runs, and what a thread switch on the slice-end upcall may replace.

/// The interrupted code's x87/SSE state in the `fxsave` format (512 bytes): the exception entry
/// saves it before any handler runs and reloads it when it resumes the code.
#[repr(C, align(16))]
#[derive(Clone)]
pub struct FpuState(pub [u8; 512]);

impl FpuState {
    /// The state a program starts with: x87 control word 0x37f, MXCSR 0x1f80 (all exceptions
    /// masked), every register empty.
    pub const INITIAL: FpuState = {
        let mut bytes = [0u8; 512];
        bytes[0] = 0x7f;
        bytes[1] = 0x03;
        bytes[24] = 0x80;
        bytes[25] = 0x1f;
        FpuState(bytes)
    };
}
