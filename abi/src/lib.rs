//! The Exo ABI: what the kernel and every library OS agree on, and nothing else.
//!
//! This crate owns the system-call numbers ([`Sysnum`]), the error codes ([`Error`]), the register
//! encoding of a call's result ([`encode_result`] / [`decode_result`]) and the user address-space
//! layout ([`layout`]). It has no dependencies and no unsafe code, so both sides can trust it.
//! `docs/ABI.md` is the prose form of this file; keep the two in step.
//!
//! # Register convention
//! A call is made with the `syscall` instruction. `rax` holds the [`Sysnum`]; arguments go in `rdi`,
//! `rsi`, `rdx`, `r10`, `r8`, `r9` (the System V order with `r10` for `rcx`, which `syscall` clobbers).
//! On return `rax` is `0` for success or an [`Error`] code, and `rdx` carries the call's value.
//! `rcx` and `r11` are clobbered by the instruction; every other register, including the vector and
//! x87 state, is preserved.
#![no_std]
#![forbid(unsafe_code)]

pub mod layout;

use core::fmt;

/// A system-call number, passed in `rax`.
///
/// Each variant documents its arguments, the value it returns in `rdx`, and every error it can give.
#[repr(u64)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sysnum {
    /// `console_write(ptr, len)`: write `len` bytes from the caller's memory at `ptr` to the console.
    ///
    /// Returns the number of bytes written (always `len` on success).
    /// Errors: [`Error::BadAddress`] if any byte of the buffer is outside user space or not mapped
    /// readable by the caller; [`Error::TooLong`] if `len` exceeds [`MAX_CONSOLE_WRITE`].
    ConsoleWrite = 0,
    /// `env_exit(code)`: end the calling environment with exit status `code`. Never returns.
    EnvExit = 1,
    /// `env_set_exception_handler(entry, stack_base, stack_size)`: from now on, deliver the caller's
    /// exceptions to `entry` on the exception stack `[stack_base, stack_base + stack_size)`, with an
    /// [`ExceptionFrame`] at the top of that stack (its address in `rdi`). `entry` = 0 removes the
    /// handler (exceptions then end the environment). Returns 0.
    ///
    /// Errors: [`Error::BadAddress`] if `entry` or the stack range is outside user space;
    /// [`Error::BadArgument`] if `stack_size` is below [`MIN_EXCEPTION_STACK`] or the stack is not
    /// 16-byte aligned. Mappings are checked at delivery time, not here: an exception stack that is
    /// not mapped writable then ends the environment.
    EnvSetExceptionHandler = 2,
}

/// Rights a capability carries, as a bit set. A grant can only pass on a subset.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Rights(pub u64);

impl Rights {
    /// No rights.
    pub const NONE: Rights = Rights(0);
    /// Map the page readable.
    pub const READ: Rights = Rights(1);
    /// Map the page writable.
    pub const WRITE: Rights = Rights(2);
    /// Map the page executable.
    pub const EXECUTE: Rights = Rights(4);
    /// Grant derived capabilities to other environments.
    pub const GRANT: Rights = Rights(8);
    /// Every right defined.
    pub const ALL: Rights = Rights(15);

    /// Whether every right in `other` is in `self`.
    pub const fn contains(self, other: Rights) -> bool {
        self.0 & other.0 == other.0
    }

    /// The rights in either.
    pub const fn union(self, other: Rights) -> Rights {
        Rights(self.0 | other.0)
    }

    /// Whether only defined bits are set.
    pub const fn is_valid(self) -> bool {
        self.0 & !Rights::ALL.0 == 0
    }
}

impl fmt::Display for Rights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [(Rights::READ, "r"), (Rights::WRITE, "w"), (Rights::EXECUTE, "x"), (Rights::GRANT, "g")];
        for (right, letter) in names {
            f.write_str(if self.contains(right) { letter } else { "-" })?;
        }
        Ok(())
    }
}

impl fmt::Debug for Rights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rights({self})")
    }
}

/// The smallest exception stack `env_set_exception_handler` accepts.
pub const MIN_EXCEPTION_STACK: u64 = 4096;

/// The state of the code that raised an exception, as the kernel writes it at the top of the
/// exception stack. The handler may change any field; the library's return path (not the kernel)
/// reloads every register from it, so the faulting code resumes at `rip` with these values.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExceptionFrame {
    pub rax: u64,
    pub rbx: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub rbp: u64,
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    /// Where the faulting code resumes.
    pub rip: u64,
    /// The faulting code's stack pointer.
    pub rsp: u64,
    pub rflags: u64,
    /// The exception vector (0 = #DE, 3 = #BP, 6 = #UD, 13 = #GP, 14 = #PF, ...).
    pub vector: u64,
    /// The CPU's error code (0 when the exception has none).
    pub error_code: u64,
    /// For a page fault, the address that faulted (CR2); else 0.
    pub fault_address: u64,
}

/// Byte offsets of [`ExceptionFrame`] fields, for assembly.
pub mod exception_frame {
    pub const RIP: usize = 15 * 8;
    pub const RSP: usize = 16 * 8;
    pub const RFLAGS: usize = 17 * 8;
    pub const SIZE: usize = 21 * 8;
}

const _: () = assert!(core::mem::size_of::<ExceptionFrame>() == exception_frame::SIZE);

/// The largest buffer one `console_write` accepts.
pub const MAX_CONSOLE_WRITE: u64 = 4096;

impl Sysnum {
    /// Every call, in number order (used to generate documentation and to test the encoding).
    pub const ALL: [Sysnum; 3] = [Sysnum::ConsoleWrite, Sysnum::EnvExit, Sysnum::EnvSetExceptionHandler];

    /// The call's name as the library OS spells its wrapper (`sys_<object>_<verb>`).
    pub const fn name(self) -> &'static str {
        match self {
            Sysnum::ConsoleWrite => "sys_console_write",
            Sysnum::EnvExit => "sys_env_exit",
            Sysnum::EnvSetExceptionHandler => "sys_env_set_exception_handler",
        }
    }
}

impl TryFrom<u64> for Sysnum {
    type Error = Error;
    fn try_from(n: u64) -> Result<Self, Error> {
        match n {
            0 => Ok(Sysnum::ConsoleWrite),
            1 => Ok(Sysnum::EnvExit),
            2 => Ok(Sysnum::EnvSetExceptionHandler),
            _ => Err(Error::BadSysnum),
        }
    }
}

/// Why a call failed: each variant names what the caller did wrong. Returned in `rax`.
#[repr(u64)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// `rax` did not hold a known [`Sysnum`].
    BadSysnum = 1,
    /// A pointer argument names memory the caller may not access (unmapped, kernel, non-canonical,
    /// or wrapping around the end of the address space).
    BadAddress = 2,
    /// A length argument is larger than the call allows.
    TooLong = 3,
    /// An argument is out of the range the call accepts.
    BadArgument = 4,
}

impl Error {
    /// Every error, in code order.
    pub const ALL: [Error; 4] = [Error::BadSysnum, Error::BadAddress, Error::TooLong, Error::BadArgument];

    /// The error's numeric code, as it appears in `rax`.
    pub const fn code(self) -> u64 {
        self as u64
    }

    /// The error with this code, if any.
    pub fn from_code(code: u64) -> Option<Error> {
        Error::ALL.into_iter().find(|e| e.code() == code)
    }

    /// A short description for messages.
    pub const fn describe(self) -> &'static str {
        match self {
            Error::BadSysnum => "unknown system call number",
            Error::BadAddress => "bad address",
            Error::TooLong => "length too large",
            Error::BadArgument => "bad argument",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Encodes a call's result as the kernel returns it: `(rax, rdx)`.
pub const fn encode_result(result: Result<u64, Error>) -> (u64, u64) {
    match result {
        Ok(value) => (0, value),
        Err(e) => (e.code(), 0),
    }
}

/// Decodes `(rax, rdx)` as returned by the kernel. An unknown non-zero code decodes as
/// [`Error::BadArgument`]'s neighbour is not guessed: it is reported as `Err(None)`.
pub fn decode_result(rax: u64, rdx: u64) -> Result<u64, Option<Error>> {
    if rax == 0 { Ok(rdx) } else { Err(Error::from_code(rax)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysnum_round_trips_and_rejects_garbage() {
        for s in Sysnum::ALL {
            assert_eq!(Sysnum::try_from(s as u64), Ok(s));
        }
        for n in [Sysnum::ALL.len() as u64, 0x100, u64::MAX, 1 << 63] {
            assert_eq!(Sysnum::try_from(n), Err(Error::BadSysnum));
        }
    }

    #[test]
    fn sysnum_all_is_dense_and_ordered() {
        for (i, s) in Sysnum::ALL.iter().enumerate() {
            assert_eq!(*s as u64, i as u64);
            assert!(s.name().starts_with("sys_"));
        }
    }

    #[test]
    fn error_codes_are_nonzero_unique_and_round_trip() {
        for (i, e) in Error::ALL.iter().enumerate() {
            assert_ne!(e.code(), 0, "0 means success");
            assert_eq!(Error::from_code(e.code()), Some(*e));
            for other in &Error::ALL[i + 1..] {
                assert_ne!(e.code(), other.code());
            }
        }
        assert_eq!(Error::from_code(0), None);
        assert_eq!(Error::from_code(999), None);
    }

    #[test]
    fn result_encoding_round_trips() {
        assert_eq!(encode_result(Ok(42)), (0, 42));
        assert_eq!(decode_result(0, 42), Ok(42));
        for e in Error::ALL {
            let (rax, rdx) = encode_result(Err(e));
            assert_eq!(rdx, 0);
            assert_eq!(decode_result(rax, rdx), Err(Some(e)));
        }
        assert_eq!(decode_result(77, 0), Err(None));
    }
}
