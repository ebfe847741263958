//! Stage stamps: where the ticks of a hot path go (`cargo xtask bench`, issue 7 item 5).
//!
//! A kernel built with the `stages` feature, and ExOS built with its `stages` feature, write a
//! **stamp** at fixed points of their hot paths (system-call entry, exception upcall, protected
//! control transfer, the library's exception entry and return): the point's number and the low 48
//! bits of `rdtsc`, one `u64` each, into a ring of [`LOG_LEN`] entries. The kernel's ring is in the
//! statistics window at [`KERNEL_LOG_BASE`] (read-only to programs); ExOS keeps its own. A program
//! reads both rings after one operation, merges them by time ([`merge`]) and gets the path as a
//! list of intervals between consecutive points. Under QEMU `-icount shift=0,sleep=off` a tick is
//! one guest instruction, so each interval is exact.
//!
//! Ring layout: word 0 counts the stamps ever written; entry `n` is at word `1 + n % LOG_LEN`.
//! Normal builds write nothing here (the ring stays zero) and pay nothing for it.
use crate::stats::STATS_BASE;

/// Offset of the kernel's stage ring in the statistics page (after the counters).
pub const KERNEL_LOG_OFFSET: usize = 3072;
/// The kernel's stage ring (read-only to programs).
pub const KERNEL_LOG_BASE: u64 = STATS_BASE + KERNEL_LOG_OFFSET as u64;
/// Entries in a stage ring.
pub const LOG_LEN: usize = 64;
/// Words of a ring: the count, then the entries.
pub const LOG_WORDS: usize = 1 + LOG_LEN;
/// Bits of the time-stamp counter an entry keeps.
pub const TSC_BITS: u32 = 48;
const TSC_MASK: u64 = (1 << TSC_BITS) - 1;

const _: () = assert!(crate::stats::TICK_CYCLES_OFFSET + 8 <= KERNEL_LOG_OFFSET);
const _: () = assert!(KERNEL_LOG_OFFSET + LOG_WORDS * 8 <= crate::stats::NAMES_OFFSET);
const _: () = assert!(LOG_LEN.is_power_of_two(), "the entry code indexes the ring with a mask");

/// A stamped point. Kernel points are below 32, library points from 32.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum Point {
    /// `syscall` entered the kernel: on the trap stack, general registers saved.
    SyscallSaved = 1,
    /// An exception or interrupt from ring 3 entered the kernel: general registers saved.
    TrapSaved = 2,
    /// The environment's FPU/SSE state is safe from kernel code: CR0.TS is set, so the kernel's
    /// first SSE instruction saves it (lazy FPU state; the name is the stage's historical one).
    FpuSaved = 3,
    /// The Rust dispatcher (system call or trap) started.
    Dispatch = 4,
    /// The call's arguments are checked (capability, rights, bounds): stamped by the call itself.
    Checked = 5,
    /// The work is done (page table written, frame redirected to a handler, state switched).
    Done = 6,
    /// The common exit started: the FPU/SSE state is about to be restored.
    Exit = 7,
    /// The FPU/SSE state is restored; general registers and `sysretq`/`iretq` follow.
    Leave = 8,
    /// The address space (CR3) of the environment that runs next is loaded.
    Switched = 9,
    /// The system-call number is decoded; the call's own code starts.
    Decoded = 10,
    /// A program's own mark: the operation begins (`exos::stages::stamp`).
    Begin = 32,
    /// A program's own mark: the operation ended.
    End = 33,
    /// ExOS's exception entry started, on the exception stack.
    HandlerEntry = 34,
    /// ExOS saved the interrupted code's FPU/SSE state (`fxsave`).
    HandlerFpuSaved = 35,
    /// ExOS's dispatch is calling the program's exception handler.
    HandlerCall = 36,
    /// The program's exception handler returned.
    HandlerReturned = 37,
    /// ExOS's dispatch is done (revocation and copy-on-write checks of the return path included).
    HandlerDispatched = 38,
    /// ExOS restored the FPU/SSE state; registers are reloaded and the code resumed next.
    HandlerResume = 39,
}

impl Point {
    /// Every point.
    pub const ALL: [Point; 18] = [
        Point::SyscallSaved, Point::Decoded, Point::TrapSaved, Point::FpuSaved, Point::Dispatch, Point::Checked,
        Point::Done, Point::Exit, Point::Leave, Point::Switched, Point::Begin, Point::End,
        Point::HandlerEntry, Point::HandlerFpuSaved, Point::HandlerCall, Point::HandlerReturned,
        Point::HandlerDispatched, Point::HandlerResume,
    ];

    /// The point numbered `n`, if any.
    pub fn from_number(n: u16) -> Option<Point> {
        Point::ALL.into_iter().find(|p| *p as u16 == n)
    }

    /// A short name for reports.
    pub const fn name(self) -> &'static str {
        match self {
            Point::SyscallSaved => "k:syscall-saved",
            Point::TrapSaved => "k:trap-saved",
            Point::FpuSaved => "k:fpu-saved",
            Point::Dispatch => "k:dispatch",
            Point::Checked => "k:checked",
            Point::Done => "k:done",
            Point::Exit => "k:exit",
            Point::Leave => "k:leave",
            Point::Switched => "k:switched",
            Point::Decoded => "k:decoded",
            Point::Begin => "u:begin",
            Point::End => "u:end",
            Point::HandlerEntry => "u:handler-entry",
            Point::HandlerFpuSaved => "u:handler-fpu-saved",
            Point::HandlerCall => "u:handler-call",
            Point::HandlerReturned => "u:handler-returned",
            Point::HandlerDispatched => "u:handler-dispatched",
            Point::HandlerResume => "u:handler-resume",
        }
    }
}

/// The ring entry for `point` at time-stamp counter `tsc`.
pub const fn entry(point: Point, tsc: u64) -> u64 {
    ((point as u64) << TSC_BITS) | (tsc & TSC_MASK)
}

/// An entry's point number and time stamp.
pub const fn decode(entry: u64) -> (u16, u64) {
    ((entry >> TSC_BITS) as u16, entry & TSC_MASK)
}

/// The ticks from `earlier` to `later` (48-bit time stamps, so across one wrap).
pub const fn ticks_between(earlier: u64, later: u64) -> u64 {
    later.wrapping_sub(earlier) & TSC_MASK
}

/// Copies the entries written to `ring` (a [`LOG_WORDS`]-word ring) since its count was `since`
/// into `out`, oldest first; returns how many. `None` if more were written than the ring holds
/// (the oldest are lost) or `out` is too short.
pub fn entries_since(ring: &[u64; LOG_WORDS], since: u64, out: &mut [u64]) -> Option<usize> {
    let written = ring[0].checked_sub(since)?;
    let n = usize::try_from(written).ok().filter(|&n| n <= LOG_LEN && n <= out.len())?;
    for (i, slot) in out[..n].iter_mut().enumerate() {
        let index = (since + i as u64) % LOG_LEN as u64;
        *slot = ring[1 + index as usize];
    }
    Some(n)
}

/// Merges two lists of entries, each in time order, into `out` by time stamp (kernel first on
/// ties); returns the length, or `None` if `out` is too short. One CPU writes both rings, so the
/// merged list is the path in the order it ran.
pub fn merge(a: &[u64], b: &[u64], out: &mut [u64]) -> Option<usize> {
    let n = a.len() + b.len();
    if out.len() < n {
        return None;
    }
    let (mut i, mut j) = (0, 0);
    for slot in &mut out[..n] {
        let take_a = j == b.len() || (i < a.len() && decode(a[i]).1 <= decode(b[j]).1);
        if take_a {
            *slot = a[i];
            i += 1;
        } else {
            *slot = b[j];
            j += 1;
        }
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_encode_point_and_time() {
        let e = entry(Point::Checked, 0xffff_1234_5678_9abc);
        assert_eq!(decode(e), (5, 0x1234_5678_9abc));
        assert_eq!(Point::from_number(5), Some(Point::Checked));
        assert_eq!(Point::from_number(0), None);
        assert_eq!(ticks_between(TSC_MASK - 1, 3), 5);
        for p in Point::ALL {
            assert_eq!(Point::from_number(p as u16), Some(p));
        }
    }

    #[test]
    fn ring_reads_only_what_was_written_since() {
        let mut ring = [0u64; LOG_WORDS];
        for n in 0..70u64 {
            ring[1 + (n % LOG_LEN as u64) as usize] = n;
        }
        ring[0] = 70;
        let mut out = [0u64; LOG_LEN];
        assert_eq!(entries_since(&ring, 66, &mut out), Some(4));
        assert_eq!(&out[..4], &[66, 67, 68, 69]);
        assert_eq!(entries_since(&ring, 70, &mut out), Some(0));
        assert_eq!(entries_since(&ring, 5, &mut out), None, "overwritten entries are refused");
        assert_eq!(entries_since(&ring, 71, &mut out), None, "a count from the future is refused");
        assert_eq!(entries_since(&ring, 66, &mut out[..3]), None);
    }

    #[test]
    fn merge_orders_by_time() {
        let k = [entry(Point::SyscallSaved, 10), entry(Point::Leave, 30)];
        let u = [entry(Point::Begin, 5), entry(Point::End, 30), entry(Point::HandlerEntry, 40)];
        let mut out = [0u64; 5];
        assert_eq!(merge(&k, &u, &mut out), Some(5));
        let points: [u16; 5] = out.map(|e| decode(e).0);
        assert_eq!(points, [32, 1, 8, 33, 34]);
        assert_eq!(merge(&k, &u, &mut [0u64; 4]), None);
    }
}
