//! Loading an ELF program from the boot archive into a new environment.
//!
//! The image is checked first (`kcore::elf::check`: machine, type, every segment inside user space,
//! no overlaps, sane sizes, entry in an executable segment); only then are frames allocated. Each
//! page is a fresh zeroed frame, filled from the file and mapped with the segment's rights (W^X,
//! no-execute unless the segment is executable). A stack of `USER_STACK_SIZE` is mapped below
//! `USER_STACK_TOP`, with an unmapped guard page beneath it.
use crate::arch::x86_64::entry::TrapFrame;
use crate::env::Env;
use crate::mem::{frames, paging, phys};
use abi::layout::{PAGE_SIZE, USER_STACK_SIZE, USER_STACK_TOP};
use alloc::string::String;
use core::fmt;
use kcore::elf::{self, ElfError, Segment};

/// Why a program could not be loaded.
pub enum LoadError {
    /// The ELF file is malformed or breaks a rule.
    Elf(ElfError),
    /// Not enough free frames for its pages.
    OutOfMemory,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Elf(e) => write!(f, "{e}"),
            LoadError::OutOfMemory => f.write_str("out of memory while loading"),
        }
    }
}

/// Builds environment `id` named `name` from the ELF image `bytes`.
pub fn load(id: u64, name: &str, bytes: &[u8]) -> Result<Env, LoadError> {
    let image = elf::check(bytes).map_err(LoadError::Elf)?;
    let root = paging::new_address_space().ok_or(LoadError::OutOfMemory)?;
    let filled = image.segments.iter().try_for_each(|s| load_segment(root, id, s, bytes)).and_then(|()| map_stack(root));
    if let Err(e) = filled {
        paging::destroy_address_space(root);
        return Err(e);
    }
    Ok(Env::new(id, String::from(name), None, root, TrapFrame::new_user(image.entry, USER_STACK_TOP)))
}

fn load_segment(root: u64, id: u64, segment: &Segment, elf: &[u8]) -> Result<(), LoadError> {
    let data = segment.file_bytes(elf);
    let mut flags = paging::USER;
    if segment.writable {
        flags |= paging::WRITABLE;
    }
    if !segment.executable && crate::arch::x86_64::cpu::features().nx {
        flags |= paging::NO_EXECUTE;
    }
    let (first, end) = segment.page_range();
    for page in (first..end).step_by(PAGE_SIZE as usize) {
        let frame = map_fresh(root, page, flags)?;
        crate::page::set_owner(frame, id as u32);
        // Copy the part of the file that falls in this page; the rest stays zero (bss).
        let page_end = page + PAGE_SIZE;
        let copy_start = page.max(segment.vaddr);
        let copy_end = page_end.min(segment.vaddr + data.len() as u64);
        if copy_start < copy_end {
            let src = &data[(copy_start - segment.vaddr) as usize..(copy_end - segment.vaddr) as usize];
            // SAFETY: `frame` was just allocated for this page and is referenced nowhere else.
            let dst = unsafe { phys::frame_mut(frame) };
            dst[(copy_start - page) as usize..(copy_end - page) as usize].copy_from_slice(src);
        }
    }
    Ok(())
}

fn map_stack(root: u64) -> Result<(), LoadError> {
    let flags = paging::USER | paging::WRITABLE | paging::NO_EXECUTE;
    let flags = if crate::arch::x86_64::cpu::features().nx { flags } else { flags & !paging::NO_EXECUTE };
    for page in (USER_STACK_TOP - USER_STACK_SIZE..USER_STACK_TOP).step_by(PAGE_SIZE as usize) {
        map_fresh(root, page, flags)?;
    }
    Ok(())
}

/// Maps a fresh zeroed frame at `page`; returns the frame.
fn map_fresh(root: u64, page: u64, flags: u64) -> Result<u64, LoadError> {
    let frame = frames::alloc_zeroed().ok_or(LoadError::OutOfMemory)?;
    match paging::map(root, page, frame, flags) {
        Ok(()) => Ok(frame),
        Err(e) => {
            frames::free(frame);
            // `check` refused overlapping segments, so AlreadyMapped cannot happen here.
            debug_assert_eq!(e, paging::MapError::OutOfMemory);
            Err(LoadError::OutOfMemory)
        }
    }
}
