//! `slice_*` calls: taking and giving back positions of the CPU's time-slice vector.
use super::SysResult;
use crate::envs;
use abi::{Error, ANY_SLICE, SLICES};

/// `slice_alloc(position)`.
pub fn sys_slice_alloc(position: u64) -> SysResult {
    let me = envs::with_current(|env| env.id);
    let taken = crate::slice::with(|slices| {
        let position = match position {
            ANY_SLICE => slices.iter().position(|&o| o == 0).ok_or(Error::Busy)?,
            p if p < SLICES as u64 => p as usize,
            _ => return Err(Error::BadArgument),
        };
        if slices[position] != 0 {
            return Err(Error::Busy);
        }
        slices[position] = me;
        Ok(position as u64)
    });
    Ok(taken?)
}

/// `slice_free(position)`.
pub fn sys_slice_free(position: u64) -> SysResult {
    let me = envs::with_current(|env| env.id);
    let freed = crate::slice::with(|slices| {
        let owner = slices.get_mut(usize::try_from(position).unwrap_or(usize::MAX)).ok_or(Error::BadArgument)?;
        if *owner != me {
            return Err(Error::NoRights);
        }
        *owner = 0;
        Ok(0)
    });
    Ok(freed?)
}
