//! Reading and writing user memory on behalf of the kernel.
//!
//! A user pointer is an allegation. [`copy_from_user`] checks it against the user range and then
//! against the environment's own page tables, page by page (present and user-accessible), and copies
//! through the direct map. The kernel never dereferences a user virtual address, so a bad pointer
//! is an error code, never a kernel fault, and SMAP can stay on everywhere.
use crate::mem::{paging, phys};
use abi::Error;
use abi::layout::{is_user_range, overlaps_windows, PAGE_SIZE};

/// Copies `dst.len()` bytes from user address `src` in address space `root` into `dst`.
pub fn copy_from_user(root: u64, src: u64, dst: &mut [u8]) -> Result<(), Error> {
    for_each_page(root, src, dst.len(), paging::USER, |pa, at, n| {
        dst[at..at + n].copy_from_slice(phys::bytes(pa, n as u64));
    })
}

/// Copies `src` to user address `dst` in address space `root`; every page must be mapped
/// user-writable. Nothing is written unless the whole range is.
pub fn copy_to_user(root: u64, dst: u64, src: &[u8]) -> Result<(), Error> {
    let writable = paging::USER | paging::WRITABLE;
    let write = |pa, at: usize, n: usize| phys::write(pa, &src[at..at + n]);
    if (dst % PAGE_SIZE) as usize + src.len() <= PAGE_SIZE as usize {
        // Within one page (an exception frame, a result): its one check covers the whole range.
        return for_each_page(root, dst, src.len(), writable, write);
    }
    for_each_page(root, dst, src.len(), writable, |_, _, _| {})?;
    for_each_page(root, dst, src.len(), writable, write)
}

/// Writes `words` to user address `dst` (8-byte aligned) in address space `root`, which must be
/// mapped user-writable; nothing is written unless all of it is. The exception upcall's path: a
/// range within one page (the usual case) takes one page-table walk and plain stores.
pub fn write_words_to_user<const N: usize>(root: u64, dst: u64, words: &[u64; N]) -> Result<(), Error> {
    let len = 8 * N as u64;
    if !dst.is_multiple_of(8) || !is_user_range(dst, len) || overlaps_windows(dst, len) {
        return Err(Error::BadAddress);
    }
    if dst % PAGE_SIZE + len <= PAGE_SIZE {
        let writable = paging::USER | paging::WRITABLE;
        let (frame, entry) = paging::translate(root, dst).ok_or(Error::BadAddress)?;
        if entry & writable != writable {
            return Err(Error::BadAddress);
        }
        phys::write_words(frame + dst % PAGE_SIZE, words);
        return Ok(());
    }
    // Across a page boundary (rare): as bytes, through the general path.
    let mut bytes = [0u8; 512];
    let bytes = bytes.get_mut(..len as usize).ok_or(Error::TooLong)?;
    for (chunk, word) in bytes.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    copy_to_user(root, dst, bytes)
}

/// Reads the 8-byte aligned word at user address `va` in address space `root` (mapped
/// user-readable) and returns it with its physical address (what `env_wait` and `page_wake` match
/// waiters by).
pub fn read_word(root: u64, va: u64) -> Result<(u64, u64), Error> {
    let (mut value, mut pa) = (0, 0);
    for_each_page(root, va, 8, paging::USER, |at, _, _| {
        pa = at;
        value = u64::from_le_bytes(phys::bytes(at, 8).try_into().expect("8 bytes"));
    })?;
    Ok((value, pa))
}

/// Checks that `len` bytes at user address `dst` in address space `root` are mapped
/// user-writable (what [`copy_to_user`] would accept), without writing anything.
pub fn check_writable(root: u64, dst: u64, len: usize) -> Result<(), Error> {
    for_each_page(root, dst, len, paging::USER | paging::WRITABLE, |_, _, _| {})
}

/// Checks `[va, va+len)` against user space outside the kernel's windows, and against the page
/// tables (each page present with `flags` in its effective rights),
/// calling `f(physical address, offset into the range, length)` for each piece within a page.
fn for_each_page(root: u64, va: u64, len: usize, flags: u64, mut f: impl FnMut(u64, usize, usize)) -> Result<(), Error> {
    if !is_user_range(va, len as u64) || overlaps_windows(va, len as u64) {
        return Err(Error::BadAddress);
    }
    let mut done = 0usize;
    while done < len {
        let at = va + done as u64;
        let (frame, entry) = paging::translate(root, at).ok_or(Error::BadAddress)?;
        if entry & flags != flags {
            return Err(Error::BadAddress);
        }
        let offset = at % PAGE_SIZE;
        let n = ((PAGE_SIZE - offset) as usize).min(len - done);
        f(frame + offset, done, n);
        done += n;
    }
    Ok(())
}
