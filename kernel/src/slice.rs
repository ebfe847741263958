//! The CPU as a vector of time slices that environments allocate by position (`sched` runs it).
use crate::sched;
use abi::{Error, ANY_SLICE, SLICES};

/// `slice_alloc(position)`.
pub fn alloc(position: u64) -> Result<u64, Error> {
    let me = sched::with_current(|env| env.id);
    sched::with_slices(|slices| {
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
    })
}

/// `slice_free(position)`.
pub fn free(position: u64) -> Result<u64, Error> {
    let me = sched::with_current(|env| env.id);
    sched::with_slices(|slices| {
        let owner = slices.get_mut(usize::try_from(position).unwrap_or(usize::MAX)).ok_or(Error::BadArgument)?;
        if *owner != me {
            return Err(Error::NoRights);
        }
        *owner = 0;
        Ok(0)
    })
}

/// `env_set_slice_upcall(enabled)`.
pub fn set_upcall(enabled: u64) -> Result<u64, Error> {
    let enabled = match enabled {
        0 => false,
        1 => true,
        _ => return Err(Error::BadArgument),
    };
    sched::with_current(|env| {
        env.slice_upcall = enabled;
        env.slice_end_pending &= enabled;
    });
    Ok(0)
}
