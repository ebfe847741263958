//! C memory routines for Exo's no_std binaries (kernel and user programs): the `memcpy`, `memmove`,
//! `memset`, `memcmp`, `bcmp` and `strlen` that LLVM emits calls to. The host target's precompiled
//! `compiler_builtins` expects libc to provide them, and there is no libc.
//!
//! Link it with `use cmem as _;` in the binary's root.
//!
//! Copies and fills use `rep movsq`/`rep stosq` for whole quadwords and `rep movsb`/`rep stosb`
//! for the tail; comparisons use
//! volatile reads so LLVM cannot turn the loops back into calls to themselves. They assume DF is
//! clear, as the System V ABI requires at every call (the kernel's entry code executes `cld`).
#![no_std]

use core::arch::asm;

/// # Safety
/// `dst` and `src` must be valid for `n` bytes and must not overlap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller guarantees both ranges are valid; DF is clear so the copy goes forward.
    // Whole quadwords first (an eighth of the iterations), then the remaining bytes.
    unsafe {
        asm!("rep movsq", "mov ecx, {tail:e}", "rep movsb",
             tail = in(reg) n % 8,
             inout("rcx") n / 8 => _, inout("rdi") dst => _, inout("rsi") src => _,
             options(nostack, preserves_flags))
    };
    dst
}

/// # Safety
/// `dst` and `src` must be valid for `n` bytes; they may overlap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dst as usize) <= (src as usize) || (dst as usize) >= (src as usize).wrapping_add(n) {
        // SAFETY: a forward copy is correct when dst does not start inside src.
        return unsafe { memcpy(dst, src, n) };
    }
    // SAFETY: copy backwards from the last byte; DF is restored to clear before returning.
    unsafe {
        asm!("std", "rep movsb", "cld",
             inout("rcx") n => _, inout("rdi") dst.add(n - 1) => _, inout("rsi") src.add(n - 1) => _,
             options(nostack))
    };
    dst
}

/// # Safety
/// `dst` must be valid for `n` bytes of writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(dst: *mut u8, value: i32, n: usize) -> *mut u8 {
    // SAFETY: the caller guarantees the range is writable. The byte is replicated into all eight
    // bytes of rax for the quadword stores; the tail is stored byte by byte.
    unsafe {
        asm!("rep stosq", "mov ecx, {tail:e}", "rep stosb",
             tail = in(reg) n % 8,
             inout("rcx") n / 8 => _, inout("rdi") dst => _,
             in("rax") u64::from(value as u8) * 0x0101_0101_0101_0101,
             options(nostack, preserves_flags))
    };
    dst
}

/// # Safety
/// `a` and `b` must be valid for `n` bytes of reads.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        // SAFETY: i < n and the caller guarantees both ranges are readable.
        let (x, y) = unsafe { (a.add(i).read_volatile(), b.add(i).read_volatile()) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    0
}

/// # Safety
/// As for [`memcmp`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: same contract as memcmp.
    unsafe { memcmp(a, b, n) }
}

/// # Safety
/// `s` must point to a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
    let mut n = 0;
    // SAFETY: the caller guarantees a terminating NUL, so every byte up to it is readable.
    while unsafe { s.add(n).read_volatile() } != 0 {
        n += 1;
    }
    n
}

/// Referenced by the precompiled `alloc` (`DW.ref.rust_eh_personality`); never called with panic=abort.
#[unsafe(no_mangle)]
pub extern "C" fn rust_eh_personality() {}

/// Referenced by landing pads in the precompiled `alloc` (e.g. `alloc::fmt::format`); unreachable
/// because every Exo binary is built with panic=abort, so nothing ever unwinds.
#[unsafe(no_mangle)]
pub extern "C" fn _Unwind_Resume() -> ! {
    loop {
        core::hint::spin_loop();
    }
}
