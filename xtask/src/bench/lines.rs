//! The rows of the benchmark table: each primitive, its BENCH name on each side, and what an
//! Exo line needs before it can be measured.

/// One line of the table: the benchmark id each side prints, and why a side may lack it.
pub(super) struct Line {
    pub(super) label: &'static str,
    /// The `name=` Exo's bench.rs prints for this line.
    pub(super) exo: &'static str,
    /// The `name=` the Linux program prints for this line's counterpart, if Linux has one.
    pub(super) linux: Option<&'static str>,
    /// What Exo needs before it can print this line (shown while it does not; short, for the
    /// table cell: the note says more).
    pub(super) exo_needs: &'static str,
    /// What is measured on each side, and why the Linux counterpart is the fair one.
    pub(super) note: &'static str,
}

pub(super) const LINES: &[Line] = &[
    Line {
        label: "limit: syscall to an empty stub, sysretq back",
        exo: "limit_syscall",
        linux: None,
        exo_needs: "-",
        note: "The bare crossing (the \"limit\" the other Exo lines are divided by): `syscall` with `abi::LIMIT_SYSNUM`, which the kernel's entry answers at once with `sysretq`, before any stack switch or register save (docs/ABI.md). What the emulated hardware path itself costs.",
    },
    Line {
        label: "limit: int 0xf0 to an empty handler, iretq back",
        exo: "limit_exception",
        linux: None,
        exo_needs: "-",
        note: "The bare exception crossing: `int 0xf0` (`abi::LIMIT_VECTOR`, a gate open to ring 3) into a kernel handler that is a single `iretq`. The limit of the lines that take a fault.",
    },
    Line {
        label: "null procedure call",
        exo: "null_call",
        linux: Some("null_call"),
        exo_needs: "-",
        note: "A call to a non-inlined function that returns its argument, plus the loop around it. Same code on both sides; a check that the two guests run at the same speed.",
    },
    Line {
        label: "null system call (syscall with unknown number)",
        exo: "null_syscall",
        linux: Some("null_syscall"),
        exo_needs: "-",
        note: "The `syscall` instruction with only `rax` set to a number the kernel does not know (Exo: 0xffff, answered `BadSysnum`; Linux: 100000, answered `-ENOSYS`): the cheapest kernel round trip either kernel offers, entry and exit with no work in between.",
    },
    Line {
        label: "getppid system call",
        exo: "getppid",
        linux: Some("getppid"),
        exo_needs: "-",
        note: "The Linux null system call of the team's baseline: `getppid` through the raw `syscall` instruction. Exo has no such system call: the library OS answers from its own state, without the kernel. `exos::proc::process::parent()`, called in a process the benchmark program forked (a boot program has no parent: there it answers 0), checks that the process has a status page (`vm::translate(STATUS_VA)`: one read of the self-map per page-table level, four) and loads the parent's id from it. The fair comparison because each side answers \"who is my parent\" the cheapest way its design allows.",
    },
    Line {
        label: "breakpoint (int3) to a user handler and back",
        exo: "exc_bp",
        linux: Some("exc_bp"),
        exo_needs: "-",
        note: "Exo: `#BP` delivered to the ExOS exception handler, which returns to the code without the kernel. Linux: `SIGTRAP` to a `SA_SIGINFO` handler, back through `rt_sigreturn`.",
    },
    Line {
        label: "invalid opcode (ud2) to a user handler and back",
        exo: "exc_ud",
        linux: Some("exc_ud"),
        exo_needs: "-",
        note: "Exo: `#UD` to the ExOS handler, which sets the resume address. Linux: `SIGILL`, whose handler sets `REG_RIP` in the `ucontext`.",
    },
    Line {
        label: "page fault to a user handler and back",
        exo: "exc_pf",
        linux: Some("exc_pf"),
        exo_needs: "-",
        note: "A read of an unmapped address. Exo: `#PF` to the ExOS handler; Linux: `SIGSEGV` (the paper's exception dispatch, as Linux does it: a signal handler and back). Both handlers resume after the faulting instruction.",
    },
    Line {
        label: "protected control transfer round trip",
        exo: "pct",
        linux: Some("pipe"),
        exo_needs: "PCT",
        note: "Exo: a synchronous PCT call and reply between two environments. Linux has no protected control transfer; its closest cross-address-space round trip is a 1-byte pipe ping-pong between two processes on one CPU (the same figure as the pipe line).",
    },
    Line {
        label: "PCT async (send, server runs its entry)",
        exo: "pct_async",
        linux: Some("pipe"),
        exo_needs: "-",
        note: "Exo (`user/benches/src/bin/procbench.rs`): `pct_send` to a server whose entry calls `pct_wait` at once, then `env_yield` to the server: per operation, one asynchronous transfer (the send returns to the caller at once), the server starting fresh at its entry and waiting again, and the CPU coming back to the caller (the kernel's `pct_wait` moves it to the next runnable environment, found by scanning the environment table). A send succeeds only while the server waits, so each one counted means the previous one ran the entry through. Linux has no asynchronous control transfer; its closest equivalent of \"hand another address space a message, let it run, get the CPU back\" is the 1-byte pipe round trip between two processes on one CPU (the same figure as the pipe line).",
    },
    Line {
        label: "yield to another environment and back",
        exo: "yield",
        linux: Some("yield"),
        exo_needs: "-",
        note: "Exo (`procbench.rs`): `env_yield` to a peer environment whose loop yields straight back: per round trip, two system calls and two environment switches (address space and registers). Linux: a parent and a child on one CPU both looping on `sched_yield`; the parent times its calls, each of which returns only after the child's (one round trip per call). Both are the bare \"give the CPU to the other process and get it back\" of each kernel, with no message.",
    },
    Line {
        label: "dirty (is a page dirty?)",
        exo: "dirty",
        linux: None,
        exo_needs: "ExOS VM",
        note: "Exo (`exos::mem::appel::dirty`, user/benches/src/bin/vmbench.rs): read the dirty bit of a page's entry through the self-map window, no system call. Linux offers no direct call (the paper lists Ultrix as n.a. too).",
    },
    Line {
        label: "prot1",
        exo: "prot1",
        linux: Some("prot1"),
        exo_needs: "ExOS VM",
        note: "Read-protect one page (Linux: `mprotect(PROT_READ)` of one page; making it writable again is not timed). Exo: `exos::mem::appel::prot1`, the ExOS region layer's bookkeeping plus one `PROTECT` update through `page_map`.",
    },
    Line {
        label: "prot100",
        exo: "prot100",
        linux: Some("prot100"),
        exo_needs: "ExOS VM",
        note: "Read-protect 100 contiguous pages in one call (Linux: one `mprotect`; Exo: `exos::mem::appel::protn`, the region layer checking the span region by region and sending one `PROTECT_RANGE` update of 100 pages through one `page_map` call).",
    },
    Line {
        label: "unprot100",
        exo: "unprot100",
        linux: Some("unprot100"),
        exo_needs: "ExOS VM",
        note: "Make 100 read-protected pages writable again in one call.",
    },
    Line {
        label: "trap",
        exo: "trap",
        linux: Some("trap"),
        exo_needs: "ExOS VM",
        note: "A write to a read-protected page; the user handler unprotects the page; the write completes. Linux: `SIGSEGV` + `mprotect` in the handler. Exo: `#PF` to the ExOS exception handler, the region layer (`exos::mem::mmap::handle_fault`), the region's handler `exos::mem::appel::unprotect_on_fault` (one `page_map`), and the return without the kernel.",
    },
    Line {
        label: "appel1 (per page)",
        exo: "appel1",
        linux: Some("appel1"),
        exo_needs: "ExOS VM",
        note: "Write to a random protected page of 100; the handler protects the previously open page and unprotects the faulting one (prot1 + trap + unprot). Linux: two `mprotect` calls in the handler; Exo: both updates in one `page_map` call (`exos::mem::appel::protect_open_and_unprotect`).",
    },
    Line {
        label: "appel2 (per page)",
        exo: "appel2",
        linux: Some("appel2"),
        exo_needs: "ExOS VM",
        note: "Protect 100 pages, write to each in a random order; the handler unprotects the faulting page (protN + trap + unprot), divided by 100.",
    },
    Line {
        label: "pipe round trip (1 byte)",
        exo: "pipe",
        linux: Some("pipe"),
        exo_needs: "ExOS pipes",
        note: "Write one byte to a process that echoes it back through a second pipe; read the echo. Both processes on one CPU. Exo: ExOS pipes (`exos/src/ipc/pipe.rs`), a ring in pages shared by the two environments; a blocked side gives its CPU to the other with `env_yield` (it would sleep on the ring's head or tail word, `env_wait(WAIT_WORD)`, only if the other could not run) (`user/benches/src/bin/ipcbench.rs`).",
    },
    Line {
        label: "pipe round trip (4 KiB)",
        exo: "pipe_4k",
        linux: Some("pipe_4k"),
        exo_needs: "ExOS pipes",
        note: "As the 1-byte pipe line with 4096-byte writes and reads (one atomic write each way): adds the copies into and out of the ring.",
    },
    Line {
        label: "shared-memory round trip",
        exo: "shm",
        linux: Some("shm"),
        exo_needs: "ExOS shm",
        note: "An 8-byte message to a process that echoes it back, both ways through shared memory. Exo: ExOS channels (`exos/src/ipc/shm.rs`), a queue of sequence-numbered slots; the waiting side gives its CPU to the other with `env_yield` (it would sleep on the slot's sequence word only if the other could not run). Linux: a `MAP_SHARED` anonymous page between two processes on one CPU, each side waiting on a sequence word with `futex`.",
    },
    Line {
        label: "LRPC round trip (null procedure)",
        exo: "lrpc",
        linux: None,
        exo_needs: "ExOS LRPC",
        note: "Exo: ExOS LRPC (`exos/src/ipc/lrpc.rs`): a call of a server's procedure 0 with three register arguments, through synchronous PCT into the server's entry, dispatch, status in the argument stack, reply. Linux has no such mechanism (the paper lists Ultrix as n.a.); its nearest is the pipe round trip.",
    },
    Line {
        label: "spawn + exit + wait",
        exo: "spawn",
        linux: Some("spawn"),
        exo_needs: "-",
        note: "Start a program that exits at once with status 0 and wait for it. Exo (`procbench.rs`): `exos::proc::spawn::spawn(\"true\", ...)`, the library's ELF loader building the child from the boot archive page by page (`page_alloc`, copy, `GIVE_MAP`) with its start block, status page, terminal and `/tmp` pool, then `process::wait` (the parent sleeps until the kernel's `NOTIFY_CHILD` says the child ended, and reaps it). Linux: `posix_spawn` of the benchmark program itself (`/init` in the guest, `/proc/self/exe` natively) with the argument `exit`, which makes it exit 0 at once, then `waitpid`. Both create a fresh address space from a program file, run it to its exit and reap it: the whole cost of starting a program.",
    },
    Line {
        label: "fork + exit + wait",
        exo: "fork",
        linux: Some("fork"),
        exo_needs: "-",
        note: "Fork a child that exits at once; wait for it. Exo (`procbench.rs`): `exos::proc::fork::fork()`, the library walking its own page tables and sharing them copy-on-write with the child through the kernel's secure bindings, the child's `process::exit(0)`, the parent's `process::wait`; the parent's later writes to its copy-on-write pages are included. Linux: `fork`, `_exit(0)` in the child, `waitpid`. The same operation on both sides.",
    },
    Line {
        label: "first touch of an anonymous page",
        exo: "first_touch",
        linux: Some("first_touch"),
        exo_needs: "ExOS demand paging",
        note: "Write one byte to each page of a fresh anonymous region (Linux: `mmap(MAP_ANONYMOUS)`, 1024 pages a repeat), per page. Exo: an `exos::mem::mmap` demand-zero region (256 pages a repeat: a capability table has 1,024 slots); the region layer's fault handler allocates a page (`page_alloc`) and maps it (`page_map`).",
    },
    Line {
        label: "allocate + map 2 MiB, 4 KiB pages",
        exo: "map_2m_pages",
        linux: Some("map_2m_pages"),
        exo_needs: "-",
        note: "Exo (`vmbench.rs`): 512 `page_alloc`s (each a zeroed page and its capability) and one `page_map` of 512 `MAP` updates. Linux: `mmap` of 4 MiB, then on its 2 MiB-aligned half `madvise(MADV_NOHUGEPAGE)` and `madvise(MADV_POPULATE_WRITE)` (every page allocated, zeroed and mapped in one call). Unmapping and freeing are not timed. One operation = the whole 2 MiB.",
    },
    Line {
        label: "allocate + map 2 MiB extent, 4 KiB pages",
        exo: "map_2m_extent_pages",
        linux: Some("map_2m_pages"),
        exo_needs: "extents",
        note: "Exo: `extent_alloc` of 512 pages (one capability over a physically contiguous zeroed range) and one `extent_map` with 4 KiB page-table entries: two system calls. Linux: as the line above (its closest: populate 2 MiB of small pages in one call).",
    },
    Line {
        label: "allocate + map 2 MiB extent, one 2 MiB page",
        exo: "map_2m_huge",
        linux: Some("map_2m_huge"),
        exo_needs: "extents",
        note: "Exo: `extent_alloc` of 512 pages aligned to 2 MiB and one `extent_map` with `EXTENT_HUGE` (one page-directory entry). Linux: `madvise(MADV_HUGEPAGE)` then `madvise(MADV_POPULATE_WRITE)` on a 2 MiB-aligned 2 MiB of a fresh `mmap` (one transparent huge page when the guest kernel has them; a `BENCHINFO` line says when it refused).",
    },
    Line {
        label: "map and touch 1 GiB",
        exo: "touch_1g",
        linux: Some("touch_1g"),
        exo_needs: "memory budgets (the 3 MiB page quota refuses 1 GiB)",
        note: "Exo: an extent region of 1 GiB (`mmap::Spec::extent`: 32 extents of 32 MiB, each allocated and mapped with 2 MiB pages in two system calls), then one write to each of its 262,144 pages. Linux: `mmap` of 1 GiB anonymous memory, then one write to each page (each a demand-zero fault; transparent huge pages as the guest kernel's default says). Unmapping is not timed. Both boots have 2 GiB of RAM for this line.",
    },
];

