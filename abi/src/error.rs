//! Error codes, and the register encoding of a call's result.
use core::fmt;

/// Why a call failed: each variant names what the caller did wrong. Returned in `rax`.
#[repr(u64)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// `rax` did not hold a known [`Sysnum`].
    BadSysnum = 1,
    /// A pointer argument names memory the caller may not access (unmapped, kernel, non-canonical,
    /// or wrapping around the end of the address space).
    BadAddress = 2,
    /// A length argument is larger than the call allows.
    TooLong = 3,
    /// An argument is out of the range the call accepts.
    BadArgument = 4,
    /// No free physical page.
    NoMemory = 5,
    /// A fixed per-environment limit was reached (more than `MAX_VITAL` vital pages, or more
    /// mapping records than `bind::MAX_MAPPINGS`). Memory itself is limited by budgets ([`Error::OutOfMemory`]).
    QuotaExceeded = 6,
    /// The named physical page is in use.
    Busy = 7,
    /// A capability slot number is out of range.
    BadSlot = 8,
    /// A capability slot is empty (never filled, freed, or revoked).
    EmptySlot = 9,
    /// The capability lacks a right the operation needs (or would pass on more than it has).
    NoRights = 10,
    /// The capability table is full.
    TableFull = 11,
    /// The virtual page is already mapped.
    AlreadyMapped = 12,
    /// The virtual page is not mapped through a capability.
    NotMapped = 13,
    /// The named environment does not exist (or is no longer alive).
    NoSuchEnv = 14,
    /// The capability names another kind of object than the call needs.
    WrongType = 15,
    /// The target environment has no protected-control-transfer entry point.
    NoEntry = 16,
    /// The caller's memory budget cannot cover what it asked for (a page, a page-table page, mapping
    /// records, a child's budget or record). Unlike [`Error::NoMemory`] (the machine has no free
    /// frame, which starts a revocation request), this is the caller's own limit: only freeing its
    /// own pages, ending children or getting more budget from its creator helps.
    OutOfMemory = 17,
    /// The range would cover part of a 2 MiB page mapping (unmapping or protecting part of one is
    /// refused: change the whole 2 MiB, or map it with 4 KiB pages).
    SplitsHugePage = 18,
    /// A packet filter overlaps a filter another environment installed (some frame would match
    /// both): refused, so no one can take a subset of another's packets.
    Overlaps = 19,
    /// A packet filter does not lie inside the port capability it is installed through, or a frame
    /// given to `net_send` does not match the sender's port binding (source MAC, IP, protocol or port).
    OutsidePort = 20,
}

impl Error {
    /// Every error, in code order.
    pub const ALL: [Error; 20] = [
        Error::BadSysnum,
        Error::BadAddress,
        Error::TooLong,
        Error::BadArgument,
        Error::NoMemory,
        Error::QuotaExceeded,
        Error::Busy,
        Error::BadSlot,
        Error::EmptySlot,
        Error::NoRights,
        Error::TableFull,
        Error::AlreadyMapped,
        Error::NotMapped,
        Error::NoSuchEnv,
        Error::WrongType,
        Error::NoEntry,
        Error::OutOfMemory,
        Error::SplitsHugePage,
        Error::Overlaps,
        Error::OutsidePort,
    ];

    /// The error's numeric code, as it appears in `rax`.
    pub const fn code(self) -> u64 {
        self as u64
    }

    /// The error with this code, if any.
    pub fn from_code(code: u64) -> Option<Error> {
        Error::ALL.into_iter().find(|e| e.code() == code)
    }

    /// A short description for messages.
    pub const fn describe(self) -> &'static str {
        match self {
            Error::BadSysnum => "unknown system call number",
            Error::BadAddress => "bad address",
            Error::TooLong => "length too large",
            Error::BadArgument => "bad argument",
            Error::NoMemory => "no free physical page",
            Error::QuotaExceeded => "page quota exceeded",
            Error::Busy => "page in use",
            Error::BadSlot => "capability slot out of range",
            Error::EmptySlot => "capability slot empty",
            Error::NoRights => "capability lacks the rights",
            Error::TableFull => "capability table full",
            Error::AlreadyMapped => "virtual page already mapped",
            Error::NotMapped => "virtual page not mapped through a capability",
            Error::NoSuchEnv => "no such environment",
            Error::WrongType => "capability names another kind of object",
            Error::NoEntry => "no entry point registered",
            Error::OutOfMemory => "memory budget exhausted",
            Error::SplitsHugePage => "range covers part of a 2 MiB page",
            Error::Overlaps => "filter overlaps another owner's filter",
            Error::OutsidePort => "outside the port capability",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Encodes a call's result as the kernel returns it: `(rax, rdx)`.
pub const fn encode_result(result: Result<u64, Error>) -> (u64, u64) {
    match result {
        Ok(value) => (0, value),
        Err(e) => (e.code(), 0),
    }
}

/// Encodes a batch call's result: `done` updates applied, then possibly a failure. Unlike
/// [`encode_result`], `rdx` carries `done` even on failure.
pub const fn encode_partial(done: u64, failure: Option<Error>) -> (u64, u64) {
    match failure {
        None => (0, done),
        Some(e) => (e.code(), done),
    }
}

/// Decodes `(rax, rdx)` as returned by the kernel. An unknown non-zero code decodes as
/// [`Error::BadArgument`]'s neighbour is not guessed: it is reported as `Err(None)`.
pub fn decode_result(rax: u64, rdx: u64) -> Result<u64, Option<Error>> {
    if rax == 0 { Ok(rdx) } else { Err(Error::from_code(rax)) }
}
