//! Loading an ELF program from the boot archive into a new environment.
//!
//! Every page of the image and stack is an ordinary page of the environment: a root capability in
//! its own table (charged to its budget), mapped through it, exactly as if the program had
//! allocated and mapped it itself, so its library can share, give or free it like any other.
//!
//! The image is checked first (`kcore::elf::check`: machine, type, every segment inside user space,
//! no overlaps, sane sizes, entry in an executable segment); only then are frames allocated. Each
//! page is a fresh zeroed frame, filled from the file and mapped with the segment's rights (W^X,
//! no-execute unless the segment is executable). A stack of `USER_STACK_SIZE` is mapped below
//! `USER_STACK_TOP`, with an unmapped guard page beneath it.
use crate::arch::x86_64::entry::TrapFrame;
use crate::env::{Env, Mapping};
use crate::mem::{owners, paging, phys};
use crate::{bind, cap};
use abi::layout::{PAGE_SIZE, USER_STACK_SIZE, USER_STACK_TOP};
use abi::{env_index, Rights};
use alloc::string::String;
use core::fmt;
use kcore::elf::{self, ElfError, Segment};

/// Why a program could not be loaded.
pub enum LoadError {
    /// The ELF file is malformed or breaks a rule.
    Elf(ElfError),
    /// Not enough free frames for its pages.
    OutOfMemory,
    /// Its image and stack need more pages than an environment may hold.
    TooManyPages(u64),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Elf(e) => write!(f, "{e}"),
            LoadError::OutOfMemory => f.write_str("out of memory while loading"),
            LoadError::TooManyPages(n) => write!(f, "image and stack need {n} pages, more than the free memory"),
        }
    }
}

/// Builds environment `id` named `name` from the ELF image `bytes`.
pub fn load(id: u64, name: &str, bytes: &[u8]) -> Result<Env, LoadError> {
    let image = elf::check(bytes).map_err(LoadError::Elf)?;
    let pages = image.segments.iter().map(|s| {
        let (first, end) = s.page_range();
        (end - first) / PAGE_SIZE
    }).sum::<u64>() + USER_STACK_SIZE / PAGE_SIZE;
    // A boot program's budget is all the memory free now; its record is charged to it first.
    crate::budget::open_boot(id).map_err(|_| LoadError::OutOfMemory)?;
    if pages > crate::budget::free(id) {
        crate::budget::close(id);
        return Err(LoadError::TooManyPages(pages));
    }
    let Some(root) = paging::new_address_space() else {
        crate::budget::close(id);
        return Err(LoadError::OutOfMemory);
    };
    let mut env = Env::new(id, String::from(name), None, root, TrapFrame::new_user(image.entry, USER_STACK_TOP));
    // With a NIC, its capability (all rights) goes first: slot `abi::net::BOOT_NIC_SLOT`.
    if crate::net::present() && cap::insert_root(id, cap::Object::Nic, Rights::ALL).ok() != Some(abi::net::BOOT_NIC_SLOT as usize) {
        crate::teardown::release(env);
        return Err(LoadError::OutOfMemory);
    }
    let filled = image.segments.iter().try_for_each(|s| load_segment(&mut env, s, bytes)).and_then(|()| map_stack(&mut env));
    if let Err(e) = filled {
        crate::teardown::release(env);
        return Err(e);
    }
    Ok(env)
}

fn load_segment(env: &mut Env, segment: &Segment, elf: &[u8]) -> Result<(), LoadError> {
    let data = segment.file_bytes(elf);
    let mut rights = Rights::READ;
    if segment.writable {
        rights = rights.union(Rights::WRITE);
    }
    if segment.executable {
        rights = rights.union(Rights::EXECUTE);
    }
    let (first, end) = segment.page_range();
    for page in (first..end).step_by(PAGE_SIZE as usize) {
        let frame = adopt(env, page, rights)?;
        // Copy the part of the file that falls in this page; the rest stays zero (bss).
        let page_end = page + PAGE_SIZE;
        let copy_start = page.max(segment.vaddr);
        let copy_end = page_end.min(segment.vaddr + data.len() as u64);
        if copy_start < copy_end {
            let src = &data[(copy_start - segment.vaddr) as usize..(copy_end - segment.vaddr) as usize];
            phys::write(frame + (copy_start - page), src);
        }
    }
    Ok(())
}

fn map_stack(env: &mut Env) -> Result<(), LoadError> {
    for page in (USER_STACK_TOP - USER_STACK_SIZE..USER_STACK_TOP).step_by(PAGE_SIZE as usize) {
        adopt(env, page, Rights::READ.union(Rights::WRITE))?;
    }
    Ok(())
}

/// Gives `env` a fresh zeroed page as a root capability of its own (as if it had allocated it
/// with `page_alloc`) and maps it at `page` through it; returns the frame.
fn adopt(env: &mut Env, page: u64, rights: Rights) -> Result<u64, LoadError> {
    crate::budget::charge(env.id, 1).map_err(|_| LoadError::OutOfMemory)?;
    let Some(frame) = owners::alloc_zeroed() else {
        crate::budget::refund(env.id, 1);
        return Err(LoadError::OutOfMemory);
    };
    let Ok(slot) = cap::insert_root(env.id, cap::Object::Page(frame), Rights::ALL) else {
        owners::free(frame);
        crate::budget::refund(env.id, 1);
        return Err(LoadError::OutOfMemory);
    };
    env.pages += 1;
    crate::page::note_held(frame, env.id);
    // `check` refused overlapping segments, so the page is free; only page tables can run out.
    // On failure the capability stays and goes (with its frame) when the caller removes the env.
    let mapping = Mapping { owner: env_index(env.id), slot: slot as u64, ceiling: rights, tags: 0, payer: env.id };
    bind::install(env, page, frame, mapping).map_err(|_| LoadError::OutOfMemory)?;
    Ok(frame)
}
