//! The system-call table: the single source of every call's number, name, arguments, rights,
//! errors and documentation.
//!
//! `cargo xtask abi` (`xtask/src/abi.rs`) generates from [`CALLS`]: the `Sysnum`
//! enum (`abi/src/sysnum.rs`), the library OS's raw stubs (`exos/src/sys/syscall/stubs.rs`), the
//! kernel's dispatch table (`kernel/src/syscall/table.rs`) and the system-call reference in
//! `docs/ABI.md`. `cargo xtask abi --check` fails when any of them is stale. This file is plain
//! data with no dependencies, so the generator can read it as it is.
//!
//! A call is named `sys_<object>_<verb>`; its `Sysnum` variant is the same words in CamelCase
//! (`env_set_name` is `EnvSetName`), and its kernel handler is
//! `kernel/src/syscall/<object>.rs`'s `sys_<object>_<verb>`.

/// One system call.
#[derive(Clone, Copy, Debug)]
pub struct Call {
    /// The call number, passed in `rax`. Numbers are dense from 0.
    pub number: u64,
    /// The kind of object it acts on (`console`, `env`, `page`, `cap`, `pct`, `slice`): the
    /// first word of its name and the kernel file of its handler.
    pub object: &'static str,
    /// What it does to the object (the rest of its name, words joined by `_`).
    pub verb: &'static str,
    /// Its arguments' names, in register order (`rdi`, `rsi`, `rdx`, `r10`, `r8`, `r9`).
    pub args: &'static [&'static str],
    /// What it returns in `rdx` on success.
    pub returns: &'static str,
    /// The rights it needs, on which capability.
    pub rights: &'static str,
    /// Every error it can give (an `abi::Error` variant's name) and when.
    pub errors: &'static [(&'static str, &'static str)],
    /// One line: what it does.
    pub doc: &'static str,
    /// Further documentation, Markdown (each line's leading blanks are not part of the text).
    pub details: &'static str,
    /// Whether its kernel handler gets the caller's saved registers (and reads its arguments from
    /// them) and leaves the registers to return to in them: the calls that may move the CPU to
    /// another environment, and `page_map`, whose failure also returns a count.
    pub frame: bool,
}

impl Call {
    /// `sys_<object>_<verb>`.
    pub fn name(&self) -> NameParts {
        NameParts(self.object, self.verb)
    }
}

/// A call's name, `sys_<object>_<verb>`, displayed without allocating.
#[derive(Clone, Copy, Debug)]
pub struct NameParts(&'static str, &'static str);

impl core::fmt::Display for NameParts {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "sys_{}_{}", self.0, self.1)
    }
}

const CAP_ERRORS_NOTE: &str = "the capability check failed";

/// Every system call, in number order.
pub const CALLS: &[Call] = &[
    Call {
        number: 0,
        object: "console",
        verb: "write",
        args: &["ptr", "len"],
        returns: "`len` (the number of bytes written)",
        rights: "none",
        errors: &[
            ("TooLong", "`len` > `MAX_CONSOLE_WRITE` (4096)"),
            ("BadAddress", "`[ptr, ptr+len)` is not entirely inside user space (`USER_START..USER_END`; this includes `ptr` = 0 even when `len` = 0), wraps around, lies in a read-only window, or any page of it is not mapped user-readable by the caller"),
        ],
        doc: "Writes `len` bytes from the caller's memory at `ptr` to the console.",
        details: "The serial line is slow (tens of microseconds a byte under emulation), so a long write goes
            out in pieces of `CONSOLE_PIECE` bytes, the call restarting itself between them (docs/ABI.md,
            \"Bounded kernel work\"): interrupts are never held off for a whole write.",
        frame: true,
    },
    Call {
        number: 1,
        object: "env",
        verb: "exit",
        args: &["code"],
        returns: "nothing: it never returns",
        rights: "acts on the caller only",
        errors: &[],
        doc: "Ends the calling environment (and every environment it created) with exit status `code`.",
        details: "The kernel prints the status. All its frames return to the free pool.",
        frame: false,
    },
    Call {
        number: 2,
        object: "env",
        verb: "set_exception_handler",
        args: &["entry", "stack_base", "stack_size"],
        returns: "0",
        rights: "acts on the caller only",
        errors: &[
            ("BadAddress", "`entry` or the stack range is outside user space (or wraps, or overlaps a read-only window)"),
            ("BadArgument", "`stack_size` < `MIN_EXCEPTION_STACK` (4096), or `stack_base`/`stack_size` not multiples of 16"),
        ],
        doc: "From now on, delivers the caller's exceptions to `entry` on the exception stack `[stack_base, stack_base + stack_size)`; `entry` = 0 removes the handler.",
        details: "The kernel writes an `ExceptionFrame` at the top of that stack and passes its address in
            `rdi` (see \"Exceptions\"). Without a handler, an exception ends the environment.
            Mappings are checked when an exception is delivered, not at registration (they can change
            in between): an exception stack that is not mapped writable then ends the environment.",
        frame: false,
    },
    Call {
        number: 3,
        object: "page",
        verb: "alloc",
        args: &["frame"],
        returns: "`physical address | slot` (slots are below 4096, addresses page-aligned)",
        rights: "none needed; charges one page to the caller's budget",
        errors: &[
            ("Busy", "the page is in use: by another environment, by the caller, or by the kernel (its image, heap, page tables, the ownership table), or it is not RAM (device memory, holes)"),
            ("BadArgument", "`frame` is beyond physical memory"),
            ("NoMemory", "`ANY_PAGE` and no page is free, or all environments together hold the budget set with `user_pages=N` (a revocation request starts, see \"Revocation and the abort protocol\"), or the kernel heap is down to its reserve (its capability would not fit)"),
            ("OutOfMemory", "the caller's budget has no page left (see \"Memory budgets\")"),
            ("TableFull", "the caller's capability table is full (it grows on demand up to 1024 slots)"),
        ],
        doc: "Allocates physical page number `frame`, or any free page when `frame` = `ANY_PAGE` (`u64::MAX`), zeroed, and puts a root capability with all rights (`rwxg`) for it in the caller's first free slot.",
        details: "",
        frame: false,
    },
    Call {
        number: 4,
        object: "page",
        verb: "free",
        args: &["slot"],
        returns: "0",
        rights: "the page's root capability",
        errors: &[
            ("BadSlot", "`slot` ≥ 1024"),
            ("EmptySlot", "nothing in `slot`"),
            ("WrongType", "the capability names an environment, not a page"),
            ("NoRights", "the capability is not the page's root capability (it was granted: a granted capability cannot free the page)"),
        ],
        doc: "Frees the page behind the root capability in `slot`.",
        details: "Every capability granted from it is revoked and every mapping made through any of them is
            removed first (with TLB invalidation); the page returns to the free pool (it is zeroed
            before anyone gets it again).",
        frame: true,
    },
    Call {
        number: 5,
        object: "cap",
        verb: "grant",
        args: &["slot", "env", "rights"],
        returns: "the new capability's slot in `env`'s table",
        rights: "the source needs `GRANT`, and `rights` must be a subset of the source's rights; `env` must have consented: it is the caller, one of the caller's descendants, or the caller of the synchronous transfer the caller is serving",
        errors: &[
            ("BadSlot", "`slot` ≥ 1024"),
            ("EmptySlot", "nothing in `slot`"),
            ("NoRights", "`env` did not consent (not the caller, not a descendant of it, not the caller it is serving: checked before the slot); or the source lacks `GRANT`, or `rights` has a right the source lacks (amplification)"),
            ("BadArgument", "`rights` has undefined bits"),
            ("NoSuchEnv", "`env` is not a live environment (checked first)"),
            ("TableFull", "`env`'s table is full (1024 slots)"),
            ("NoMemory", "the kernel heap is down to its reserve"),
        ],
        doc: "Gives environment `env` a capability for the same object, derived from `slot`, with `rights`.",
        details: "A grant takes a slot of `env`'s table, which `env` needs for its own pages and children, and
            ids are public: so a grant lands only where the receiver consented (`kcore::cap::consent`).
            `env` may be the caller's own id (to make a weaker capability); an environment the caller
            created, directly or through its descendants (it holds their lives already); or the caller
            of the synchronous `pct_call` the caller is serving, until it replies (calling a server
            accepts what it hands over in the call, as an seL4 reply capability with the grant right).
            Anyone else gets `NoRights`, so a child cannot fill its parent's table. To grant to anyone
            else, hold a capability with `WRITE` over it and use `page_map`'s `GRANT_MAP`, or ask it
            to call. See \"Granting: the receiver's consent\".",
        frame: false,
    },
    Call {
        number: 6,
        object: "cap",
        verb: "revoke",
        args: &["slot"],
        returns: "how many capabilities were revoked",
        rights: "none: an environment can only revoke through its own slots, so only what descends from its own capabilities",
        errors: &[("BadSlot", "`slot` ≥ 1024"), ("EmptySlot", "nothing in `slot`")],
        doc: "Revokes every capability granted from `slot`, transitively (grants of grants), and removes every mapping made through them.",
        details: "The capability in `slot` itself stays.",
        frame: true,
    },
    Call {
        number: 7,
        object: "page",
        verb: "map",
        args: &["env", "updates", "count"],
        returns: "the number of updates applied. **On failure `rax` is the first failure's error and `rdx` is still the number applied** (= the index of the failing update); updates before it stay applied",
        rights: "per update, on the capability it names (see the table); on `env`: `WRITE`",
        errors: &[
            ("TooLong", "`count` > `MAX_MAP_BATCH` (512), or the updates change more than `MAX_MAP_PAGES` (4096) pages together, a `PROTECT_RANGE` counting as its `slot` pages and every other update as one (nothing applied)"),
            ("BadSlot", "the `env` capability check failed (nothing applied), or an update's capability check failed"),
            ("EmptySlot", "as `BadSlot`"),
            ("NoRights", "as `BadSlot`; or rights beyond the capability's (for `PROTECT`: beyond those the mapping was made with)"),
            ("WrongType", "the `env` capability names a page (nothing applied), or an update's capability names an environment"),
            ("NoSuchEnv", "the `env` environment has ended (nothing applied)"),
            ("BadAddress", "the update array is unreadable (nothing applied); or an update's `va` is unaligned, outside user space, or in a read-only window (a `PROTECT_RANGE`: anywhere in its range)"),
            ("BadArgument", "unknown `op`; `rights` without `READ`, with `GRANT`, or with undefined bits; a `PROTECT_RANGE` of 0 pages (or more than `MAX_MAP_PAGES`); `GIVE_MAP` or `GRANT_MAP` with `env` = `SELF_ENV`"),
            ("AlreadyMapped", "`MAP`, `GIVE_MAP` or `GRANT_MAP` over a mapped page (including the program's own image and stack)"),
            ("NotMapped", "`UNMAP`/`PROTECT` of a page not mapped through a capability; a `PROTECT_RANGE` with such a page anywhere in it"),
            ("Busy", "`GIVE_MAP` of a page that has grants or is mapped somewhere"),
            ("NoMemory", "no page for a new page-table page, or the kernel heap is down to its reserve (a mapping record would not fit)"),
            ("OutOfMemory", "the budget that pays cannot cover the page-table pages or the mapping record the update needs (the caller's; for `GIVE_MAP` to an environment the caller did not create, the target's, which must also take the page)"),
            ("QuotaExceeded", "the target environment already has `MAX_MAPPINGS` (8192) capability mappings (their records live on the kernel heap)"),
        ],
        doc: "Applies `count` `MapUpdate`s read from the caller's memory at `updates`, in order, each checked against the capability it names, to the address space of `env`, stopping at the first failure: the hardware secure binding.",
        details: "`env` is `SELF_ENV` (`u64::MAX`) for the caller's own address space, or the slot of a
            capability over an environment with `WRITE` (a parent giving a child its code and data).
            A `MapUpdate` (`abi::MapUpdate`) is 32 bytes: `op`, `va`, `slot`, `rights`.

            | `op` | effect | checks |
            |---|---|---|
            | `MAP` (0) | map the page named by capability `slot` at `va` with `rights` | the capability has every right in `rights` |
            | `UNMAP` (1) | remove the mapping at `va` | `va` was mapped through a capability |
            | `PROTECT` (2) | change the mapping at `va` to `rights` | `va` was mapped through a capability, and `rights` are within those the mapping was made with (`NoRights` otherwise: a read-only view given to another environment stays read-only). The capability is not looked up again: a mapping lives only as long as its capability, whose rights never change, and its rights were checked against the capability when it was made |
            | `PROTECT_RANGE` (5) | `PROTECT` of the `slot` consecutive pages from `va` (`slot` is a page count, 1 to `MAX_MAP_PAGES`), all or none | as `PROTECT`, for every page of the range; on any failure no page changes |
            | `GIVE_MAP` (3) | into another environment only: move the caller's root capability `slot` to the target's table (the page's ownership and its charge move with it) and map it at `va` through the target's new slot | the capability is a page's root (`NoRights` otherwise), has no grants and is mapped nowhere (`Busy`: unmap it first), has `rights`; the target's budget can take the page (a child of the caller: its budget grows by the page, out of the caller's) |
            | `GRANT_MAP` (4) | into another environment only: grant the target a capability derived from `slot` with `rights` + `GRANT` and map it at `va` through that new slot | the source has `rights` and `GRANT` (as `cap_grant`) |

            `rights` may also carry two **tag bits**, `MapUpdate::TAG0` (`1 << 8`) and `TAG1` (`1 << 9`), for
            `MAP`, `PROTECT`, `GIVE_MAP` and `GRANT_MAP`: the kernel stores them in the page-table entry
            (`pte::TAG0`, `pte::TAG1`, bits 10 and 11) and otherwise ignores them. ExOS marks copy-on-write and
            shared pages with them. Every entry mapped through a capability in the mapped environment's *own*
            table also carries `pte::OWN_SLOT` (bit 9) and the slot in bits 52..61 (`abi::pte::own_slot`), so a
            library finds, through the self-map, which of its capabilities backs each of its pages.

            `rights` for a mapping: `READ` required (x86 pages are always readable), `WRITE` and `EXECUTE`
            optional, nothing else. Every update also needs `va` page-aligned, inside `[USER_START, USER_END)`
            and outside the kernel's read-only windows (a `PROTECT_RANGE`: its whole range).

            A library that changes many pages sends runs as `PROTECT_RANGE` updates (`abi::MapUpdate::merge`
            turns a run of single-page `PROTECT`s into one; ExOS's `mprotect` and `fork` do): the kernel then
            finds the run's mapping records with one search and rewrites the entries with one page-table walk
            per 2 MiB.

            Revoking or freeing a capability removes the mappings made through it. The pages the kernel loads a
            boot program's image and initial stack into are ordinary pages of the program: root capabilities in
            its own table (its lowest slots, charged to its budget), mapped through them; it may share, give,
            protect (within the segment's rights), unmap or free them like any other.",
        frame: true,
    },
    Call {
        number: 8,
        object: "env",
        verb: "create",
        args: &["budget"],
        returns: "`(id << 16) | slot`: the child's id and the slot of a root capability over it with all rights",
        rights: "none; `budget` pages move from the caller's budget to the child's",
        errors: &[
            ("OutOfMemory", "the caller's budget has fewer than `budget` pages free, or `budget` < `ENV_RECORD_PAGES` (6: the child's own record is charged to it)"),
            ("NoMemory", "all `MAX_ENVS` (4096) environments exist, or no page for its tables, or the kernel heap is down to its reserve"),
            ("TableFull", "the caller's capability table is full (the child is not created)"),
        ],
        doc: "Creates a child environment of the caller with a memory budget of `budget` pages taken from the caller's: an empty address space (the kernel half and the read-only windows only), no capabilities, not runnable.",
        details: "An environment id is a table index (low 10 bits) plus a generation, so the id of an ended
            environment never names a later one. A new environment is named as its creator plus `.child`.
            The child's record (`ENV_RECORD_PAGES`) is charged to its budget at once; when it ends, its whole
            budget goes back to the caller (see \"Memory budgets\").",
        frame: false,
    },
    Call {
        number: 9,
        object: "env",
        verb: "start",
        args: &["slot", "rip", "rsp", "arg"],
        returns: "0",
        rights: "`WRITE` on the environment capability",
        errors: &[
            ("BadSlot", CAP_ERRORS_NOTE),
            ("EmptySlot", CAP_ERRORS_NOTE),
            ("NoRights", "the capability lacks `WRITE`"),
            ("WrongType", "the capability names a page, not an environment"),
            ("NoSuchEnv", "the environment has ended"),
            ("BadAddress", "`rip` or `rsp` is not a user address"),
            ("Busy", "it was already started (or is waiting or blocked in a transfer)"),
        ],
        doc: "Makes the environment named by capability `slot` runnable at `rip` with stack pointer `rsp` and `rdi` = `arg`.",
        details: "Its other registers are zero and interrupts are enabled.",
        frame: false,
    },
    Call {
        number: 10,
        object: "env",
        verb: "destroy",
        args: &["slot"],
        returns: "0",
        rights: "`WRITE` on the environment capability",
        errors: &[
            ("BadSlot", CAP_ERRORS_NOTE),
            ("EmptySlot", CAP_ERRORS_NOTE),
            ("NoRights", "the capability lacks `WRITE`"),
            ("WrongType", "the capability names a page, not an environment"),
            ("NoSuchEnv", "the environment has ended"),
            ("BadArgument", "it names the caller or one of the caller's ancestors (which would end the caller too: that is `env_exit`)"),
        ],
        doc: "Ends the environment named by capability `slot` and, first, every environment it created (recursively).",
        details: "Everything they held is returned: pages they allocated (with every mapping of them, in any
            environment), their capabilities and what was granted from them, their address spaces.

            When nothing can run any more but environments remain (all waiting for transfers, blocked, or
            never started), nothing could ever wake them: they end (`killed: no environment can ever run it
            again`).

            When an environment exits or is killed, the same happens to it and its descendants
            (`exo: env N 'x.child' killed: its parent ended`).",
        frame: true,
    },
    Call {
        number: 11,
        object: "env",
        verb: "yield",
        args: &["id"],
        returns: "0, when the caller next runs",
        rights: "none: no right is needed to give away one's own CPU time",
        errors: &[("NoSuchEnv", "`id` is not a live, runnable (started, not waiting, blocked or sleeping in `env_wait`) environment")],
        doc: "Gives the rest of the caller's CPU slice to environment `id` now (`ANY_ENV` = `u64::MAX`: to the next runnable one).",
        details: "The timer (every 10 ms) moves the CPU round-robin among runnable environments, so an environment
            that spins cannot starve the others.",
        frame: true,
    },
    Call {
        number: 12,
        object: "pct",
        verb: "set_entry",
        args: &["entry", "stack_top"],
        returns: "0",
        rights: "acts on the caller only",
        errors: &[("BadAddress", "`entry` or `stack_top` is not a user address, `stack_top` is not 16-byte aligned, or the top of the stack is in a read-only window")],
        doc: "Registers where protected control transfers into the caller land; `entry` = 0 removes it.",
        details: "A transfer starts at `entry` with `rsp` = `stack_top - 8` (as after a `call`), `rdi` = the
            caller's id, and the five arguments in `rsi`, `rdx`, `rcx`, `r8`, `r9`, so `entry` can be an
            `extern \"C\" fn(caller, a0, a1, a2, a3, a4) -> !`.",
        frame: false,
    },
    Call {
        number: 13,
        object: "pct",
        verb: "call",
        args: &["slot", "a0", "a1", "a2", "a3", "a4"],
        returns: "the value the callee passes to `pct_reply`",
        rights: "`EXECUTE` on the environment capability",
        errors: &[
            ("BadSlot", CAP_ERRORS_NOTE),
            ("EmptySlot", CAP_ERRORS_NOTE),
            ("NoRights", "the capability lacks `EXECUTE`"),
            ("WrongType", "it names a page"),
            ("NoSuchEnv", "the callee has ended, or ended before replying (also while it was calling another environment or waiting for other callers)"),
            ("NoEntry", "the callee registered no entry"),
            ("Busy", "the callee is not waiting (running, serving another call, blocked in a call of its own, sleeping in `env_wait` without `WAIT_PCT`, or it is the caller)"),
        ],
        doc: "Synchronous protected control transfer into the environment named by capability `slot`, which must be waiting (`pct_wait`).",
        details: "The caller blocks and the CPU moves to the callee's entry at once, with the rest of the caller's
            slice; no scheduling decision, no copying. The callee's registers are not kept between
            transfers: each starts fresh at the entry. Calls nest: a callee may itself `pct_call` other
            environments, and `pct_wait` for (and answer) other callers, before it replies; it owes a
            reply to every caller blocked on it, in any order. The kernel keeps that record on the
            caller's side (the caller is blocked on this callee), so it needs no bound: an environment
            is blocked in one call at a time. The call ends with the callee's `pct_reply` or with
            `NoSuchEnv` when the callee ends first (exits, is killed or destroyed, or is ended because
            no environment can run), whatever it was doing meanwhile; never by hanging.",
        frame: true,
    },
    Call {
        number: 14,
        object: "pct",
        verb: "send",
        args: &["slot", "a0", "a1", "a2", "a3", "a4"],
        returns: "0",
        rights: "`EXECUTE` on the environment capability",
        errors: &[
            ("BadSlot", CAP_ERRORS_NOTE),
            ("EmptySlot", CAP_ERRORS_NOTE),
            ("NoRights", "the capability lacks `EXECUTE`"),
            ("WrongType", "it names a page"),
            ("NoSuchEnv", "the callee has ended"),
            ("NoEntry", "the callee registered no entry"),
            ("Busy", "the callee is not waiting (running, serving another call, blocked in a call of its own, sleeping in `env_wait` without `WAIT_PCT`, or it is the caller)"),
        ],
        doc: "Asynchronous protected control transfer: like `pct_call`, but the callee only becomes runnable at its entry and the caller goes on.",
        details: "",
        frame: true,
    },
    Call {
        number: 15,
        object: "pct",
        verb: "reply",
        args: &["caller", "value"],
        returns: "nothing to the replier on success (it goes back to waiting)",
        rights: "acts on a call into the replier: `caller` must be blocked in a synchronous `pct_call` to it",
        errors: &[
            ("BadArgument", "`caller` is the replier, or a live environment that is not blocked in a synchronous call to the replier (it never called, was answered already, called asynchronously, or is blocked on another environment)"),
            ("NoSuchEnv", "`caller` is not a live environment: it ended while its call was outstanding (or never existed); nothing changes, and the replier goes on running (it may `pct_wait`)"),
        ],
        doc: "Answers a synchronous call into the replier and moves the CPU straight back to `caller`, whose `pct_call` returns `value`; the replier goes back to waiting.",
        details: "The replier may owe several callers (it waited for, or was called by, others before answering):
            each `pct_reply` answers the one it names and leaves the others blocked, to be answered by
            later transfers (registers are not kept, so the server keeps their ids in its own memory).
            Whatever the replier did since the call (its own `pct_call`s, `pct_wait`, other replies)
            does not matter. On failure nothing changes.",
        frame: true,
    },
    Call {
        number: 16,
        object: "pct",
        verb: "wait",
        args: &[],
        returns: "nothing on success (the next transfer starts at the entry)",
        rights: "acts on the caller only",
        errors: &[("NoEntry", "no entry point is registered")],
        doc: "Stops running and waits at the entry for the next protected control transfer; the caller's registers are not kept.",
        details: "Callers the environment has not answered yet stay blocked on it and can be answered from a
            later transfer. `env_wait(WAIT_PCT | ...)` is the same wait with other events (a
            deadline: a time-out). If no environment can run any more and no sleeper can be woken
            (by a deadline or console input), the waiting environment is ended
            (`... killed: waits for a protected control transfer, but no environment can run`).",
        frame: true,
    },
    Call {
        number: 17,
        object: "page",
        verb: "set_vital",
        args: &["slot", "vital"],
        returns: "0",
        rights: "the page's root capability",
        errors: &[
            ("BadSlot", "`slot` ≥ 1024"),
            ("EmptySlot", "nothing in `slot`"),
            ("WrongType", "not a page"),
            ("NoRights", "not the root capability"),
            ("QuotaExceeded", "a ninth vital page (more than `MAX_VITAL`)"),
            ("BadArgument", "`vital` is not 0 or 1"),
        ],
        doc: "Marks the page of root capability `slot` vital (`vital` = 1) or not (0): the kernel never repossesses a vital page.",
        details: "At most `MAX_VITAL` (8) per environment.",
        frame: false,
    },
    Call {
        number: 18,
        object: "slice",
        verb: "alloc",
        args: &["position"],
        returns: "the position",
        rights: "none",
        errors: &[
            ("BadArgument", "`position` ≥ `SLICES` (16)"),
            ("Busy", "the position is taken (for `ANY_SLICE`: all are)"),
        ],
        doc: "Takes time slice `position` of the CPU's slice vector (or any free one: `ANY_SLICE`).",
        details: "The CPU is a vector of `SLICES` (16) time slices. Every timer tick (10 ms) moves to the next
            position: its owner runs if it is runnable; a free position, or one whose owner cannot run,
            goes round robin to the next runnable environment, so environments without slices still run and
            none can starve the others. An environment's slices are freed when it ends. The vector is
            readable at `SLICE_TABLE_BASE`.",
        frame: false,
    },
    Call {
        number: 19,
        object: "slice",
        verb: "free",
        args: &["position"],
        returns: "0",
        rights: "the caller must own the position",
        errors: &[
            ("BadArgument", "`position` is out of range"),
            ("NoRights", "the caller does not own it"),
        ],
        doc: "Gives back time slice `position`.",
        details: "",
        frame: false,
    },
    Call {
        number: 20,
        object: "env",
        verb: "set_slice_upcall",
        args: &["enabled"],
        returns: "0",
        rights: "acts on the caller only",
        errors: &[("BadArgument", "`enabled` is not 0 or 1")],
        doc: "With `enabled` = 1, each time the timer takes the CPU from the caller it resumes next with a slice-end upcall; 0 stops them.",
        details: "The upcall comes on its exception stack (`vector` = `SLICE_END_VECTOR` (257), the interrupted
            registers in the frame), so its library can save state or switch user-level threads (by changing
            the frame) before going on. An upcall that finds the handler already running is dropped.
            ExOS: `exos::rt::exception::set_slice_handler`.",
        frame: false,
    },
    Call {
        number: 21,
        object: "cap",
        verb: "delete",
        args: &["slot"],
        returns: "0",
        rights: "none: acts on the caller's own slot",
        errors: &[("BadSlot", "`slot` ≥ 1024"), ("EmptySlot", "nothing in `slot`")],
        doc: "Deletes the capability in `slot` and every capability granted from it, transitively; the mappings made through any of them go, in every environment.",
        details: "On a page's root capability this is `page_free`. A library uses it to drop a capability it
            no longer needs (e.g. after copying a copy-on-write page).",
        frame: true,
    },
    Call {
        number: 22,
        object: "env",
        verb: "set_name",
        args: &["env", "ptr", "len"],
        returns: "0",
        rights: "`env` is `SELF_ENV` for the caller, or a slot with `WRITE` over an environment",
        errors: &[
            ("BadAddress", "the bytes are not readable user memory"),
            ("BadArgument", "empty, or not UTF-8"),
            ("BadSlot", "the capability errors of `env`"),
            ("EmptySlot", "the capability errors of `env`"),
            ("WrongType", "the capability errors of `env`"),
            ("NoRights", "the capability errors of `env`"),
            ("NoSuchEnv", "the capability errors of `env`"),
        ],
        doc: "Names environment `env`: `len` bytes of UTF-8 at `ptr`, for the statistics window and the kernel's messages.",
        details: "The name appears in the statistics window (`ps`, `exostat`) and in the kernel's messages
            (`exo: env N 'name' exited ...`). At most `NAME_LEN - 1` = 31 bytes are kept, cut at a character
            boundary; only the first 32 bytes are read, whatever `len` says. A new environment starts as its
            creator's name plus `.child`; a boot program as its archive name.",
        frame: false,
    },
    Call {
        number: 23,
        object: "console",
        verb: "read",
        args: &["ptr", "len"],
        returns: "the number of bytes copied, 0 when nothing waits",
        rights: "none",
        errors: &[("BadAddress", "`[ptr, ptr+len)` is not inside user space or wraps (so `len` = `u64::MAX` fails), or its first `min(len, 4096)` bytes are not all mapped user-writable (a read-only or copy-on-write page included; checked even when nothing is buffered, and nothing is consumed)")],
        doc: "Copies up to `min(len, MAX_CONSOLE_READ)` (4096) bytes typed at the serial console, oldest first, to the caller's memory at `ptr`. Never blocks.",
        details: "Bytes come exactly as the terminal sent them (Enter is `\\r`, Ctrl-C 0x03, arrows `ESC [ A`...):
            no editing, no echo; that is the library's line discipline (`exos::fs::tty`). The kernel drains the
            UART into a 4096-byte ring on its receive interrupt (IRQ 4) and at every call (bytes beyond
            a full ring are dropped), and wakes environments sleeping in `env_wait(WAIT_CONSOLE)`;
            `SysInfo::console_input` publishes how many bytes wait, so a library can look at memory
            instead of calling.",
        frame: false,
    },
    Call {
        number: 24,
        object: "env",
        verb: "wait",
        args: &["events", "deadline", "word", "expected"],
        returns: "what ended the wait: bits 0..8 the events that fired (`WAIT_*`), bits 8..32 the interrupt lines consumed, bits 32..64 the notification bits consumed; 0 when a revocation request interrupted the wait",
        rights: "acts on the caller only (`WAIT_WORD`: the caller must have `word` mapped readable)",
        errors: &[
            ("BadArgument", "`events` is 0 or has a bit outside `WAIT_ALL`; `deadline` is not 0 without `WAIT_DEADLINE`; `word` or `expected` is not 0 without `WAIT_WORD`; `word` is not 8-byte aligned; `WAIT_IRQ` and the caller owns no interrupt line"),
            ("BadAddress", "`WAIT_WORD` and `word` is not a user address mapped readable by the caller"),
            ("NoEntry", "`WAIT_PCT` and the caller registered no entry (`pct_set_entry`)"),
        ],
        doc: "Sleeps (not runnable, using no CPU) until one of `events` happens, and says which.",
        details: "Events: `WAIT_NOTIFY` (a notification is pending: `env_notify`, or `NOTIFY_CHILD`, which the
            kernel sets when an environment the caller created ends), `WAIT_CONSOLE` (typed bytes wait
            for `console_read`), `WAIT_DEADLINE` (`deadline`, in nanoseconds since boot (`abi::now_ns`
            over `SysInfo`'s clock), has passed), `WAIT_PCT` (a protected control transfer arrives: it
            starts fresh at the entry as after `pct_wait` and the wait is abandoned, so it is never
            reported), `WAIT_IRQ` (an interrupt line the caller owns fired) and `WAIT_WORD` (the u64 at
            `word` differs from `expected` at the call, or `page_wake` named it since). If an event
            holds already the call returns at once; otherwise the CPU goes to another environment, or
            halts if none can run. Notification bits and interrupt lines are consumed only when asked
            for. A revocation request interrupts the wait (result 0) so the upcall can run. If no
            environment can run and nothing that could ever wake the caller remains (no deadline,
            console or interrupt wait anywhere), the caller is ended like any stuck environment.",
        frame: true,
    },
    Call {
        number: 25,
        object: "env",
        verb: "notify",
        args: &["slot", "bits"],
        returns: "0",
        rights: "`EXECUTE` on the environment capability (the right to send to it, as `pct_send`)",
        errors: &[
            ("BadSlot", CAP_ERRORS_NOTE),
            ("EmptySlot", CAP_ERRORS_NOTE),
            ("NoRights", "the capability lacks `EXECUTE`"),
            ("WrongType", "it names a page"),
            ("NoSuchEnv", "the environment has ended"),
            ("BadArgument", "the notification bits (0..32) are 0 or hold `NOTIFY_CHILD` (bit 31, the kernel's), or a bit above 32 is set"),
        ],
        doc: "ORs `bits` into the pending notification word of the environment named by capability `slot`, waking it if it waits for `WAIT_NOTIFY`; with `NOTIFY_TREE` (bit 32) into every descendant of it too.",
        details: "Notifications are sticky: bits sent before the target waits make its next `env_wait` with
            `WAIT_NOTIFY` return at once, so a wake cannot be lost between a check and the wait. The
            caller goes on running (to hand the CPU over, follow with `env_yield(target)`). An
            environment may notify itself. `NOTIFY_TREE` makes the target's tree a process group:
            the bits go to the target and to every environment it created, directly or through its
            descendants (ExOS sends a job's signals so, e.g. Ctrl-C); the right is the same
            `EXECUTE` over the target (ABI.md, Signals and process groups).",
        frame: false,
    },
    Call {
        number: 26,
        object: "page",
        verb: "wake",
        args: &["word", "count", "donate"],
        returns: "how many environments were woken",
        rights: "having the page of `word` mapped (readable): whoever shares the page may wake its waiters",
        errors: &[
            ("BadArgument", "`word` is not 8-byte aligned, `count` is 0, or `donate` is not 0 or 1"),
            ("BadAddress", "`word` is not a user address mapped readable by the caller"),
        ],
        doc: "Wakes up to `count` environments sleeping in `env_wait(WAIT_WORD)` on the same physical word as the caller's `word`; with `donate` = 1 the CPU moves at once to the first one woken.",
        details: "Waiters are matched by physical address, so processes that share a page (pipes between
            siblings, shared memory) wake each other without holding capabilities over each other;
            the virtual addresses may differ. Waking is a hint: a woken environment re-checks its
            condition. Lowest table index first.",
        frame: true,
    },
    Call {
        number: 27,
        object: "budget",
        verb: "give",
        args: &["env", "pages"],
        returns: "0",
        rights: "`WRITE` over an environment the caller created",
        errors: &[
            ("BadSlot", "the capability errors of `env`"),
            ("EmptySlot", "the capability errors of `env`"),
            ("WrongType", "the capability errors of `env`"),
            ("NoRights", "the capability errors of `env`; or the caller did not create it"),
            ("NoSuchEnv", "the capability errors of `env`"),
            ("OutOfMemory", "the caller's budget has fewer than `pages` pages free, or the child's budget would pass `u64::MAX`"),
        ],
        doc: "Moves `pages` pages of the caller's free budget to its child `env`'s budget.",
        details: "The pages stay charged to the caller (as the child's budget) until the child gives them back
            (`budget_take` by the caller) or ends.",
        frame: false,
    },
    Call {
        number: 28,
        object: "budget",
        verb: "take",
        args: &["env", "pages"],
        returns: "0",
        rights: "`WRITE` over an environment the caller created",
        errors: &[
            ("BadSlot", "the capability errors of `env`"),
            ("EmptySlot", "the capability errors of `env`"),
            ("WrongType", "the capability errors of `env`"),
            ("NoRights", "the capability errors of `env`; or the caller did not create it"),
            ("NoSuchEnv", "the capability errors of `env`"),
            ("OutOfMemory", "the child's budget has fewer than `pages` pages free (a budget is never taken below what is charged to it)"),
        ],
        doc: "Takes `pages` pages of child `env`'s free budget back into the caller's.",
        details: "Only free budget moves: what the child has charged (its pages, tables, its own children's
            budgets) stays until it frees it or ends.",
        frame: false,
    },
    Call {
        number: 29,
        object: "extent",
        verb: "alloc",
        args: &["pages", "align"],
        returns: "`physical address | slot` of the first page (slots are below 4096, addresses page-aligned)",
        rights: "none needed; the extent's pages are charged to the caller's budget",
        errors: &[
            ("BadArgument", "`pages` is 0, or `align` is not a power of two from 1 to `HUGE_PAGES` (512)"),
            ("TooLong", "`pages` > `MAX_EXTENT_PAGES` (8192)"),
            ("OutOfMemory", "the caller's budget cannot cover the extent's pages"),
            ("NoMemory", "no run of `pages` free physically contiguous pages with that alignment, or all environments together hold the budget set with `user_pages=N` (a revocation request starts)"),
            ("TableFull", "the caller's capability table is full (it grows on demand up to 1024 slots)"),
        ],
        doc: "Allocates an extent: `pages` physically contiguous zeroed pages, the first aligned to `align` pages, and puts a root capability with all rights (`rwxg`) naming the whole range in the caller's first free slot.",
        details: "One capability names the whole range: it is mapped with `extent_map`, freed with
            `extent_free`, and may be granted whole with `cap_grant` (there is no call that names part of
            an extent, so no part of it can be granted, given or freed). `align` = `HUGE_PAGES` gives an
            extent that `extent_map` can map with 2 MiB pages. Every page is recorded as the caller's in
            the ownership table and counted in the capability-count table. See \"Extents\".",
        frame: false,
    },
    Call {
        number: 30,
        object: "extent",
        verb: "free",
        args: &["slot"],
        returns: "the number of pages freed",
        rights: "the extent's root capability",
        errors: &[
            ("BadSlot", "`slot` ≥ 1024"),
            ("EmptySlot", "nothing in `slot`"),
            ("WrongType", "the capability does not name an extent"),
            ("NoRights", "not the extent's root capability (a grant cannot free it)"),
            ("Busy", "a mapping still goes through the capability or one granted from it: unmap first"),
        ],
        doc: "Frees the extent of root capability `slot`: every capability granted from it goes, and all its pages return to the free pool.",
        details: "Unlike `page_free`, a mapped extent is refused (`Busy`) rather than unmapped behind the
            library's back: its mappings are large, and a library that still maps one has a bug. The
            kernel's own removals (revocation, repossession, `cap_delete`, the environment's end) unmap
            first.",
        frame: false,
    },
    Call {
        number: 31,
        object: "extent",
        verb: "map",
        args: &["env", "slot", "va", "first", "pages", "rights"],
        returns: "0",
        rights: "the extent capability in `slot` with `rights`; on `env`: `WRITE` (or `SELF_ENV`)",
        errors: &[
            ("BadSlot", "the capability check of `env` or `slot` failed"),
            ("EmptySlot", "as `BadSlot`"),
            ("NoRights", "as `BadSlot`; or `rights` beyond the capability's"),
            ("WrongType", "`slot` does not name an extent, or `env` does not name an environment"),
            ("NoSuchEnv", "the `env` environment has ended"),
            ("BadArgument", "`pages` is 0; `[first, first + pages)` is not inside the extent; `rights` without `READ`, with `GRANT` or with undefined bits; with `EXTENT_HUGE`, `pages` not a multiple of `HUGE_PAGES`"),
            ("TooLong", "`pages` > `MAX_EXTENT_PAGES` (8192)"),
            ("BadAddress", "`va` unaligned, the range outside user space or in a read-only window; with `EXTENT_HUGE`, `va` or the physical address of page `first` not 2 MiB-aligned"),
            ("AlreadyMapped", "a page of the range is mapped already (nothing changes)"),
            ("QuotaExceeded", "the environment has `MAX_EXTENT_MAPPINGS` (1024) extent mappings"),
            ("OutOfMemory", "the caller's budget cannot cover the page-table pages the range may need (nothing changes)"),
            ("NoMemory", "no frame for a page table (nothing changes)"),
        ],
        doc: "Maps pages `[first, first + pages)` of the extent in `slot` at `va` in `env`'s address space with `rights` (`READ` required, `WRITE`, `EXECUTE`, plus `EXTENT_HUGE` for 2 MiB pages), all or nothing, in one call.",
        details: "The library chooses the page size; the kernel checks it: with `EXTENT_HUGE` every 2 MiB
            page lies inside the capability's range and is aligned virtually and physically. One mapping
            record covers the whole range (it counts as one mapping of the capability), so revoking or
            deleting the capability removes it everywhere. Entries carry no `OWN_SLOT` bits (the
            library keeps its own record of which extent backs a range). Pages of an extent mapping are
            changed only through `extent_unmap` and `extent_protect`; `page_map` sees them as not
            mapped through a capability (`NotMapped`) and refuses to map over them (`AlreadyMapped`).",
        frame: false,
    },
    Call {
        number: 32,
        object: "extent",
        verb: "unmap",
        args: &["env", "va", "pages"],
        returns: "0",
        rights: "on `env`: `WRITE` (or `SELF_ENV`)",
        errors: &[
            ("BadSlot", "the capability errors of `env`"),
            ("EmptySlot", "the capability errors of `env`"),
            ("NoRights", "the capability errors of `env`"),
            ("WrongType", "the capability errors of `env`"),
            ("NoSuchEnv", "the capability errors of `env`"),
            ("BadArgument", "`pages` is 0"),
            ("TooLong", "`pages` > `MAX_EXTENT_PAGES` (8192)"),
            ("BadAddress", "`va` unaligned, or the range outside user space or in a read-only window"),
            ("NotMapped", "a page of the range is not mapped through an extent (nothing changes)"),
            ("SplitsHugePage", "the range covers part of a 2 MiB page (nothing changes)"),
            ("QuotaExceeded", "cutting a hole in a mapping would make more than `MAX_EXTENT_MAPPINGS` records"),
        ],
        doc: "Removes the extent mappings of `[va, va + pages * 4096)` in `env`'s address space, all or nothing; mappings that extend past the range keep their other parts.",
        details: "The extent itself stays (free it with `extent_free` once nothing maps it).",
        frame: false,
    },
    Call {
        number: 33,
        object: "extent",
        verb: "protect",
        args: &["env", "va", "pages", "rights"],
        returns: "0",
        rights: "`rights` within those each mapping was made with; on `env`: `WRITE` (or `SELF_ENV`)",
        errors: &[
            ("BadSlot", "the capability errors of `env`"),
            ("EmptySlot", "the capability errors of `env`"),
            ("NoRights", "the capability errors of `env`; or `rights` beyond a mapping's"),
            ("WrongType", "the capability errors of `env`"),
            ("NoSuchEnv", "the capability errors of `env`"),
            ("BadArgument", "`pages` is 0; `rights` without `READ`, with `GRANT` or with undefined bits"),
            ("TooLong", "`pages` > `MAX_EXTENT_PAGES` (8192)"),
            ("BadAddress", "`va` unaligned, or the range outside user space or in a read-only window"),
            ("NotMapped", "a page of the range is not mapped through an extent (nothing changes)"),
            ("SplitsHugePage", "the range covers part of a 2 MiB page (nothing changes)"),
            ("QuotaExceeded", "splitting a mapping would make more than `MAX_EXTENT_MAPPINGS` records"),
        ],
        doc: "Sets the protection of the extent-mapped pages `[va, va + pages * 4096)` in `env`'s address space to `rights`, all or nothing.",
        details: "`rights` = `READ` makes them read-only; to take every right away, unmap them.",
        frame: false,
    },
    Call {
        number: 34,
        object: "net",
        verb: "info",
        args: &["nic", "out"],
        returns: "0",
        rights: "`NIC_INFO` (`READ`) on the Nic capability `nic`",
        errors: &[
            ("BadSlot", CAP_ERRORS_NOTE),
            ("EmptySlot", CAP_ERRORS_NOTE),
            ("NoRights", "the capability lacks `READ`"),
            ("WrongType", "`nic` does not name a NIC"),
            ("BadAddress", "`[out, out + 112)` is not mapped writable by the caller"),
        ],
        doc: "Writes the interface's state (`abi::net::NetInfo`, 14 `u64`s) at `out`: MAC, MTU, link, the configured IPv4 address, netmask and gateway, and the counters.",
        details: "The counters (frames received, delivered, unclaimed, dropped on a full ring, sent, refused,
            interrupts, filters and ports in use) are also in the statistics window (`exostat`).",
        frame: false,
    },
    Call {
        number: 35,
        object: "net",
        verb: "config",
        args: &["nic", "ip", "netmask", "gateway"],
        returns: "0",
        rights: "`NIC_CONFIG` (`WRITE`) on the Nic capability `nic`",
        errors: &[
            ("BadSlot", CAP_ERRORS_NOTE),
            ("EmptySlot", CAP_ERRORS_NOTE),
            ("NoRights", "the capability lacks `WRITE`"),
            ("WrongType", "`nic` does not name a NIC"),
            ("BadArgument", "an address does not fit in 32 bits, or `netmask` is not a prefix mask"),
        ],
        doc: "Sets the interface's IPv4 address, netmask and gateway (`abi::net::ipv4`; 0 unconfigures).",
        details: "The kernel uses the address only to check transmissions (`net_send`'s source address) and
            reports it in `net_info`; the library OS's DHCP client finds it and sets it here.",
        frame: false,
    },
    Call {
        number: 36,
        object: "net",
        verb: "port_claim",
        args: &["nic", "kind", "value"],
        returns: "`slot | value << 32`: the new port capability's slot and the value it binds",
        rights: "`NIC_CLAIM` (`EXECUTE`) on the Nic capability `nic`; charges `PORT_CHARGE_PAGES` (1) to the caller's budget",
        errors: &[
            ("BadSlot", CAP_ERRORS_NOTE),
            ("EmptySlot", CAP_ERRORS_NOTE),
            ("NoRights", "the capability lacks `EXECUTE`"),
            ("WrongType", "`nic` does not name a NIC"),
            ("BadArgument", "`kind` is not a `PortKind`, `value` is beyond the kind's range, or 0 for a kind without ephemeral values (`Ethertype`, `IpProto`)"),
            ("Busy", "another capability holds that port (whoever claimed it first), or value 0 and no ephemeral value is free"),
            ("QuotaExceeded", "`MAX_PORTS` (1024) ports are claimed"),
            ("OutOfMemory", "the caller's budget cannot cover the port"),
            ("TableFull", "the caller's capability table is full"),
            ("NoMemory", "the kernel heap is down to its reserve"),
        ],
        doc: "Claims port (`kind`, `value`) on the NIC (first come) and puts a root Port capability with all rights for it in the caller's first free slot; `value` = 0 picks a free ephemeral UDP/TCP port or ICMP identifier.",
        details: "Kinds (`abi::net::PortKind`): `Ethertype` (1), `IpProto` (2), `Udp` (3), `Tcp` (4),
            `IcmpId` (5). The port stays claimed as long as its root capability exists: `cap_delete`
            of it, or its holder's end, frees it and removes every filter installed through it or
            through capabilities granted from it. Port rights: `PORT_RECEIVE` (`READ`) to install
            filters, `PORT_SEND` (`WRITE`) to transmit.",
        frame: false,
    },
    Call {
        number: 37,
        object: "net",
        verb: "filter_install",
        args: &["port", "filter", "len", "ring", "flags"],
        returns: "the filter's id",
        rights: "`PORT_RECEIVE` (`READ`) on the Port capability `port`; `WRITE` on the page or extent capability `ring`; charges `FILTER_CHARGE_PAGES` (1) to the caller's budget",
        errors: &[
            ("BadSlot", "the capability check of `port` or `ring` failed"),
            ("EmptySlot", "as `BadSlot`"),
            ("NoRights", "`port` lacks `READ`, or `ring` lacks `WRITE`"),
            ("WrongType", "`port` does not name a port, or `ring` does not name a page or an extent"),
            ("TooLong", "`len` > `MAX_FILTER_BYTES` (1024)"),
            ("BadAddress", "`[filter, filter + len)` is not readable by the caller"),
            ("BadArgument", "the filter does not decode (the `dpf` crate's wire format, docs/ABI.md \"Network\"), or `flags` has a bit outside `FILTER_FLAGS`, or the ring has fewer than `RING_MIN_SLOTS` (2) slots (a page has 1: use an extent of 2 pages or more)"),
            ("OutsidePort", "the filter does not begin with the port's canonical prefix (it would match frames outside the port)"),
            ("Overlaps", "some frame would match both this filter and one another environment installed, or the caller installed an identical filter already"),
            ("QuotaExceeded", "`MAX_FILTERS` (256) filters are installed"),
            ("OutOfMemory", "the caller's budget cannot cover the filter"),
            ("NoMemory", "the kernel heap is down to its reserve"),
        ],
        doc: "Installs packet filter `filter` (`len` bytes) inside the port of capability `port`: frames it matches (longest match over all filters) are copied into the receive ring in the memory of capability `ring`, and the caller is notified (`NOTIFY_NET`).",
        details: "The kernel verifies the filter, checks that it lies inside the port and that it overlaps no
            filter of another environment (two filters overlap unless some shared atom has
            `(v1 ^ v2) & m1 & m2 != 0`), merges it into the one trie it classifies every frame with,
            and resets the ring's header (`abi::net::RingHeader`: `slots`, `slot_size`, counters 0).
            More specific filters inside one's own port are allowed (longest match wins between them).
            The ring is known by (caller, `ring` slot): several filters may share it; two slots naming
            the same memory are two rings (the owner's own frames would mix).
            `flags`: `FILTER_ARP` also copies every received ARP frame into this ring. The filter goes
            when `net_filter_remove` names it, or when the `port` or `ring` capability goes
            (revoked, deleted, the ring's memory freed, the caller's end).",
        frame: false,
    },
    Call {
        number: 38,
        object: "net",
        verb: "filter_remove",
        args: &["id"],
        returns: "0",
        rights: "the caller installed the filter",
        errors: &[
            ("BadArgument", "no filter has id `id`"),
            ("NoRights", "another environment installed it"),
        ],
        doc: "Removes filter `id` (and refunds its charge); frames it matched go elsewhere from now on.",
        details: "",
        frame: false,
    },
    Call {
        number: 39,
        object: "net",
        verb: "send",
        args: &["port", "frame", "len"],
        returns: "0",
        rights: "`PORT_SEND` (`WRITE`) on the Port capability `port`",
        errors: &[
            ("BadSlot", CAP_ERRORS_NOTE),
            ("EmptySlot", CAP_ERRORS_NOTE),
            ("NoRights", "the capability lacks `WRITE`"),
            ("WrongType", "`port` does not name a port"),
            ("TooLong", "`len` > `MAX_FRAME` (1514)"),
            ("BadArgument", "`len` < `MIN_FRAME` (14)"),
            ("BadAddress", "`[frame, frame + len)` is not readable by the caller"),
            ("OutsidePort", "the transmit check failed: the source MAC is not the NIC's; or for an IP port the frame is not IPv4 of the port's protocol from the configured address (0.0.0.0 only from UDP port 68, for DHCP) with the port's source port or ICMP echo identifier; or for an ARP frame (allowed through any port) the sender is not the NIC's MAC and the configured address (or 0.0.0.0); or an `Ethertype` port's type differs"),
            ("Busy", "every transmit buffer is still in the device's hands: try again"),
        ],
        doc: "Transmits the Ethernet frame at `frame` (`len` bytes, without the frame check sequence) after checking that it lies inside the sender's port binding.",
        details: "The kernel copies the frame into a transmit buffer and hands it to the device; it takes no
            transmit interrupt, but reclaims finished buffers at the next send.",
        frame: false,
    },
    Call {
        number: 40,
        object: "net",
        verb: "default",
        args: &["nic", "ring"],
        returns: "0",
        rights: "`NIC_CONFIG` (`WRITE`) on the Nic capability `nic`; `WRITE` on `ring`",
        errors: &[
            ("BadSlot", "the capability check of `nic` or `ring` failed"),
            ("EmptySlot", "as `BadSlot`"),
            ("NoRights", "`nic` lacks `WRITE`, or `ring` lacks `WRITE`"),
            ("WrongType", "`nic` does not name a NIC, or `ring` does not name a page or an extent"),
            ("BadArgument", "the ring has fewer than `RING_MIN_SLOTS` (2) slots"),
            ("Busy", "another environment is the default owner"),
        ],
        doc: "Makes the caller the default owner: frames no filter claims are copied into the ring in `ring` (and it is notified) instead of being dropped; `ring` = `u64::MAX` gives the role up.",
        details: "One default owner at a time (the network server, if one registered); the role goes when the
            ring capability goes or its holder ends.",
        frame: false,
    },
    Call {
        number: 41,
        object: "net",
        verb: "filter_ash",
        args: &["id", "program", "len", "region", "reason"],
        returns: "0",
        rights: "the caller installed filter `id`; `WRITE` on the page or extent capability `region` (unless `ASH_NONE`); replies need `PORT_SEND` on the filter's port; charges `ASH_CHARGE_PAGES` (2) to the caller's budget",
        errors: &[
            ("BadArgument", "no filter has id `id`, or the region is larger than `MAX_ASH_REGION` (1 MiB)"),
            ("NoRights", "another environment installed filter `id`, or `region` lacks `WRITE`"),
            ("BadSlot", "the capability check of `region` failed"),
            ("EmptySlot", "as `BadSlot`"),
            ("WrongType", "`region` does not name a page or an extent"),
            ("TooLong", "`len` > `MAX_ASH_BYTES` (2048)"),
            ("BadAddress", "`[program, program + len)` is not readable by the caller, or `reason` (unless 0) is not 8 writable bytes when the verifier refuses"),
            ("Unverified", "the verifier refused the program: `reason` (unless 0) gets two u32, the instruction's index and the rule's code (docs/ABI.md \"Handlers\")"),
            ("OutOfMemory", "the caller's budget cannot cover the handler"),
            ("NoMemory", "the kernel heap is down to its reserve"),
        ],
        doc: "Binds the handler `program` (`len` bytes, the `ash` crate's encoding) to the caller's filter `id`: the kernel verifies it, then runs it on every frame the filter claims, as the frame arrives, before any scheduling; `len` = 0 unbinds.",
        details: "At entry r1 points at the frame, r2 holds its length, r3 the 256-byte scratch area, r4
            the transmit buffer (a copy of the frame), r5 the region (the memory of capability
            `region`, mapped or not by the caller). Helpers: `reply(len)` transmits the transmit
            buffer's first `len` bytes through the same check as `net_send` on the filter's port;
            `copy`, `csum`, `deliver(ptr, len)` (into the filter's ring, waking the caller) and
            `drop`. Exit 0 delivers the frame to the ring as usual, exit 1 consumes it; a failed
            run-time check delivers it as usual. The handler goes with its filter, when the
            `region` capability goes, or when bound again.",
        frame: false,
    },
    Call {
        number: 42,
        object: "env",
        verb: "redirect_syscalls",
        args: &["native_start", "native_end"],
        returns: "0",
        rights: "acts on the caller only",
        errors: &[
            ("BadAddress", "`[native_start, native_end)` is empty, wraps, or is not inside user space"),
        ],
        doc: "From now on, a `syscall` instruction the caller executes outside `[native_start, native_end)` is not a system call: it is delivered to the caller's exception handler (`vector` = `SYSCALL_UPCALL_VECTOR` (258)); `native_start` = `native_end` = 0 turns the redirection off.",
        details: "For a library OS running a foreign personality (Linux binaries): their `syscall`
            instructions reach the library's handler with every register, and the handler returns to
            them without the kernel (like an exception). `syscall` instructions inside the range (the
            library's own code) stay Exo system calls. The upcall's `rip` is the instruction after
            `syscall` (`rcx` and `r11` hold what the CPU put there). Nothing is checked against the
            caller's capabilities here because nothing is granted: the upcall runs the caller's own
            code in its own address space. When the upcall cannot be delivered (no handler, the
            `syscall` came from the handler itself, or the exception stack is not mapped writable),
            the environment ends, as for an exception.",
        frame: false,
    },
    Call {
        number: 43,
        object: "env",
        verb: "set_fs_base",
        args: &["base"],
        returns: "0",
        rights: "acts on the caller only",
        errors: &[
            ("BadAddress", "`base` is not below `USER_END` (a kernel or non-canonical address)"),
        ],
        doc: "Sets the caller's FS segment base (thread-local storage of the Linux x86-64 ABI, `arch_prctl(ARCH_SET_FS)`) to `base`; the kernel saves and restores it with the environment.",
        details: "Only the caller's own `%fs:` accesses use it, through its own page tables: a wrong
            but accepted base (unmapped) faults in the caller only. Loading a data selector into
            `fs` in ring 3 also changes the base (the CPU's rule), again only for the caller.",
        frame: false,
    },
];
