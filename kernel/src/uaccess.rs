//! Reading user memory on behalf of a system call.
//!
//! A user pointer is an allegation. [`copy_from_user`] checks it against the user range and then
//! against the environment's own page tables, page by page (present and user-accessible), and copies
//! through the direct map. The kernel never dereferences a user virtual address, so a bad pointer
//! is an error code, never a kernel fault, and SMAP can stay on everywhere.
use crate::mem::{paging, phys};
use abi::Error;
use abi::layout::{is_user_range, PAGE_SIZE};

/// Copies `dst.len()` bytes from user address `src` in address space `root` into `dst`.
pub fn copy_from_user(root: u64, src: u64, dst: &mut [u8]) -> Result<(), Error> {
    if !is_user_range(src, dst.len() as u64) {
        return Err(Error::BadAddress);
    }
    let mut done = 0usize;
    while done < dst.len() {
        let va = src + done as u64;
        let (frame, flags) = paging::translate(root, va).ok_or(Error::BadAddress)?;
        if flags & paging::USER == 0 {
            return Err(Error::BadAddress);
        }
        let offset = va % PAGE_SIZE;
        let n = ((PAGE_SIZE - offset) as usize).min(dst.len() - done);
        dst[done..done + n].copy_from_slice(&phys::bytes(frame + offset, n as u64)[..n]);
        done += n;
    }
    Ok(())
}
