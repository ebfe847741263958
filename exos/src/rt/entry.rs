//! Program start: the `_start` symbol the kernel jumps to, and the [`main!`] macro a program uses
//! to name its main function.
//!
//! The kernel starts a program at its ELF entry with `rsp` at the top of a fresh stack and every
//! other register zero (a program `spawn` starts gets its start block's address in `rdi`, which
//! `_start` passes on). `_start` aligns the stack as the System V ABI expects at a call, calls the
//! program's `main`, and exits with its result.
#![allow(unsafe_code)]

core::arch::global_asm!(
    r#"
    .text
    .global _start
_start:
    xor %ebp, %ebp
    and $-16, %rsp
    call exos_start
    ud2
"#,
    options(att_syntax)
);

unsafe extern "Rust" {
    /// Provided by the program through [`main!`].
    fn exos_main() -> i64;
}

#[unsafe(no_mangle)]
extern "C" fn exos_start(rdi: u64) -> ! {
    // A boot program owns its stack pages: the owner of this one is its id.
    let here = 0u8;
    let owner = crate::sys::vm::physical(&raw const here as u64).and_then(|pa| crate::sys::vm::owner(pa >> 12));
    crate::proc::process::set_id(u64::from(owner.unwrap_or(0)));
    crate::proc::process::on_start();
    // A program started by `spawn` gets its start block (id, arguments, environment) in rdi.
    crate::proc::spawn::start(rdi);
    // A program started by `exec` frees the trampoline that started it.
    crate::proc::exec::after_start();
    // SAFETY: `exos_main` is defined by the `main!` macro with exactly this signature.
    let code = unsafe { exos_main() };
    crate::proc::process::exit(code)
}

/// What a program's main function may return: `()` (exit 0), an exit code, or a `Result`
/// (`Err` prints the error and exits 1).
pub trait ExitCode {
    fn code(self) -> i64;
}

impl ExitCode for () {
    fn code(self) -> i64 {
        0
    }
}

impl ExitCode for i64 {
    fn code(self) -> i64 {
        self
    }
}

impl<E: core::fmt::Display> ExitCode for Result<(), E> {
    fn code(self) -> i64 {
        match self {
            Ok(()) => 0,
            Err(e) => {
                crate::println!("error: {e}");
                1
            }
        }
    }
}

/// Names the program's main function: `exos::main!(main);`
#[macro_export]
macro_rules! main {
    ($main:path) => {
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        fn exos_main() -> i64 {
            $crate::rt::entry::ExitCode::code($main())
        }
    };
}
