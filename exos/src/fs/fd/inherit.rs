//! How descriptors pass to a child: `fork` copies the whole table, `spawn_with` the listed
//! descriptors; both build the child's table page and register the pipe ends for it before it
//! starts (part of `fd`, whose private helpers it uses).
use super::*;

/// `fork`'s hook: gives child `id` (capability `env_slot`) a copy of the table, every pipe end
/// registered for it too. Nothing to do without a table.
pub fn fork_into(id: u64, env_slot: u64) -> Result<(), Errno> {
    if !has_table() {
        return Ok(());
    }
    let fds: [(u32, u32); MAX_FDS] = core::array::from_fn(|fd| (fd as u32, fd as u32));
    // Sockets stay with this process's stack: the child starts without them.
    let open: alloc::vec::Vec<(u32, u32)> =
        fds.into_iter().filter(|&(_, fd)| get(fd).is_ok_and(|slot| slot.kind != Type::Socket)).collect();
    build_table(id, env_slot, &open, false)
}

/// Builds child `id`'s table (capability `env_slot`, not started yet) with `fds` = `(child fd,
/// this process's fd)` pairs: pipe pages are mapped into it and each end registered for it; the
/// page is given to it at [`FD_TABLE`]. Unlisted descriptors are not inherited; a socket cannot
/// be (`EINVAL`: it lives in this process's own stack). A pipe can only
/// be handed on by the environment that created it (which holds its page capabilities).
/// Close-on-exec is clear on the child's descriptors.
pub fn give_table(id: u64, env_slot: u64, fds: &[(u32, u32)]) -> Result<(), Errno> {
    build_table(id, env_slot, fds, true)
}

/// `spawn`: map the pipes (a fork's page walk shares them) and clear close-on-exec.
fn build_table(id: u64, env_slot: u64, fds: &[(u32, u32)], spawn: bool) -> Result<(), Errno> {
    let mut slots = [FREE; MAX_FDS];
    for &(child, mine) in fds {
        let slot = get(mine)?;
        if slot.kind == Type::Socket {
            return Err(Errno::EINVAL);
        }
        *slots.get_mut(child as usize).ok_or(Errno::EINVAL)? = Slot { cloexec: slot.cloexec && !spawn, ..slot };
    }
    for slot in slots.iter().filter(|s| matches!(s.kind, Type::PipeRead | Type::PipeWrite)) {
        for va in (0..slot.b).map(|i| slot.a + i * 4096).filter(|_| spawn) {
            let own = vm::own_slot(va).ok_or(Errno::EINVAL)?;
            let update = MapUpdate { op: MapUpdate::MAP, va, slot: own, rights: RW | cow::MAP_SHARED };
            match sys_page_map_into(env_slot, &[update]) {
                (_, None) | (_, Some(abi::Error::AlreadyMapped)) => {}
                (_, Some(e)) => return Err(e.into()),
            }
        }
        retain(slot, id)?;
    }
    let (_, page) = sys_page_alloc(ANY_PAGE)?;
    if let (_, Some(e)) = sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: SCRATCH, slot: page, rights: RW }]) {
        let _ = sys_page_free(page);
        return Err(e.into());
    }
    let scratch = crate::sys::shared::Mapped::library(SCRATCH, 4096);
    scratch.write_bytes(0, &[0; 4096]);
    put(scratch, 0, MAGIC);
    put(scratch, 8, id);
    for (fd, slot) in slots.iter().enumerate() {
        store(scratch, fd, *slot);
    }
    if let Some(cwd) = cwd_bytes() {
        put(scratch, CWD_AT, cwd.len() as u64);
        scratch.write_bytes(CWD_AT + 8, &cwd);
    }
    sys_page_map(&[MapUpdate { op: MapUpdate::UNMAP, va: SCRATCH, slot: 0, rights: 0 }]);
    let (_, e) = sys_page_map_into(env_slot, &[MapUpdate { op: MapUpdate::GIVE_MAP, va: FD_TABLE, slot: page, rights: RW }]);
    if let Some(e) = e {
        let _ = sys_page_free(page);
        return Err(e.into());
    }
    Ok(())
}
