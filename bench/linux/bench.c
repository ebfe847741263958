/* bench/linux/bench.c: the Linux side of `cargo xtask bench` (issue 7).
 *
 * A static C program (gcc -O2 -static) that measures, with rdtsc, the same primitives as Exo's
 * user/src/bin/bench.rs plus the DESIGN.md section 8 Linux primitives, and prints one line each:
 *
 *     BENCH name=<id> median=<ticks per op> min=<ticks per op> iters=<ops per repeat>
 *
 * median/min are over REPEATS repeats of `iters` operations each. A tick is one TSC cycle, or one
 * guest instruction under QEMU `-icount shift=0,sleep=off`. It also prints
 * `BENCHINFO tsc_hz=<n>` (TSC rate calibrated against CLOCK_MONOTONIC) and `BENCHINFO kernel=<uname -r>`.
 *
 * It runs twice: natively on the host, and as /init of an initramfs in a Linux guest. As PID 1 it
 * writes to /dev/console, then syncs and powers the machine off. Everything runs on one CPU
 * (sched_setaffinity to CPU 0) and random sequences use a fixed seed, so a guest run under -icount
 * is deterministic.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define REPEATS 7
/* Repeats this run makes: REPEATS, or 1 with the argument `quick` (`cargo xtask bench --quick`;
 * as the guest's /init it gets it from the kernel command line after `--`). */
static int repeats = REPEATS;
#define PAGE 4096
#define NPAGES 100

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return ((uint64_t)hi << 32) | lo;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Prints the BENCH line for `per_op` (`repeats` values, ticks per operation). */
static void report(const char *name, double *per_op, long iters)
{
    qsort(per_op, repeats, sizeof per_op[0], cmp_double);
    printf("BENCH name=%s median=%.1f min=%.1f iters=%ld\n", name, per_op[repeats / 2], per_op[0], iters);
    fflush(stdout);
}

/* Fixed-seed xorshift, so the "random" page sequences are the same in every run. */
static uint64_t rng_state = 0x2545f4914f6cdd1dULL;
static uint64_t next_random(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

/* ---------------------------------------------------------------------------------------- */
/* Procedure call and system calls */

__attribute__((noinline)) static uint64_t null_procedure(uint64_t x)
{
    __asm__ volatile("" : "+r"(x));
    return x;
}

static void bench_null_call(void)
{
    const long iters = 1000000;
    double per_op[REPEATS];
    for (int r = 0; r < repeats; r++) {
        uint64_t x = 0, t0 = rdtsc();
        for (long i = 0; i < iters; i++)
            x = null_procedure(x);
        uint64_t t1 = rdtsc();
        __asm__ volatile("" : : "r"(x));
        per_op[r] = (double)(t1 - t0) / iters;
    }
    report("null_call", per_op, iters);
}

/* The raw `syscall` instruction with number `nr` and no arguments; returns rax. */
static inline long raw_syscall0(long nr)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
    return ret;
}

/* `unknown`: nr is no system call, so each call must return -ENOSYS. */
static void bench_syscall(const char *name, long nr, int unknown)
{
    const long iters = 20000;
    double per_op[REPEATS];
    if (unknown && raw_syscall0(nr) != -38 /* -ENOSYS */) {
        fprintf(stderr, "bench: system call %ld is known to this kernel\n", nr);
        exit(1);
    }
    for (int r = 0; r < repeats; r++) {
        uint64_t t0 = rdtsc();
        for (long i = 0; i < iters; i++)
            raw_syscall0(nr);
        per_op[r] = (double)(rdtsc() - t0) / iters;
    }
    report(name, per_op, iters);
}

/* ---------------------------------------------------------------------------------------- */
/* Exceptions delivered to a signal handler and back */

static volatile uint64_t resume_rip; /* where the SIGSEGV/SIGILL handler resumes */
static char *pages;                  /* NPAGES pages for the Appel-Li benchmarks */
static char *open_page;              /* appel1: the one unprotected page */
static int handler_mode;             /* what the SIGSEGV handler does */
enum { RESUME_AT_LABEL, UNPROTECT, UNPROTECT_AND_PROTECT_OPEN };

static void on_resume_signal(int sig, siginfo_t *info, void *context)
{
    (void)sig;
    (void)info;
    ((ucontext_t *)context)->uc_mcontext.gregs[REG_RIP] = (greg_t)resume_rip;
}

static void on_trap(int sig, siginfo_t *info, void *context)
{
    (void)sig;
    (void)context; /* int3 is a trap: the saved rip is already after it. */
    (void)info;
}

static void on_segv(int sig, siginfo_t *info, void *context)
{
    (void)sig;
    char *page = (char *)((uintptr_t)info->si_addr & ~(uintptr_t)(PAGE - 1));
    switch (handler_mode) {
    case RESUME_AT_LABEL:
        ((ucontext_t *)context)->uc_mcontext.gregs[REG_RIP] = (greg_t)resume_rip;
        return;
    case UNPROTECT:
        if (mprotect(page, PAGE, PROT_READ | PROT_WRITE) != 0)
            _exit(99);
        return;
    case UNPROTECT_AND_PROTECT_OPEN:
        if (mprotect(open_page, PAGE, PROT_READ) != 0 || mprotect(page, PAGE, PROT_READ | PROT_WRITE) != 0)
            _exit(99);
        open_page = page;
        return;
    }
}

static void set_signal(int sig, void (*fn)(int, siginfo_t *, void *))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0)
        die("sigaction");
}

/* One exception round trip: store the resume label, run `insn`, land on the label. */
#define FAULT_ONCE(insn)                                                                          \
    __asm__ volatile("lea 1f(%%rip), %%rax\n\t"                                                   \
                     "mov %%rax, %0\n\t" insn "\n1:"                                               \
                     : "=m"(resume_rip)                                                           \
                     :                                                                            \
                     : "rax", "memory")

static void bench_exceptions(void)
{
    const long iters = 2000;
    double per_op[REPEATS];
    set_signal(SIGTRAP, on_trap);
    set_signal(SIGILL, on_resume_signal);
    set_signal(SIGSEGV, on_segv);
    handler_mode = RESUME_AT_LABEL;

    for (int r = 0; r < repeats; r++) {
        uint64_t t0 = rdtsc();
        for (long i = 0; i < iters; i++)
            __asm__ volatile("int3" ::: "memory");
        per_op[r] = (double)(rdtsc() - t0) / iters;
    }
    report("exc_bp", per_op, iters);

    for (int r = 0; r < repeats; r++) {
        uint64_t t0 = rdtsc();
        for (long i = 0; i < iters; i++)
            FAULT_ONCE("ud2");
        per_op[r] = (double)(rdtsc() - t0) / iters;
    }
    report("exc_ud", per_op, iters);

    for (int r = 0; r < repeats; r++) {
        uint64_t t0 = rdtsc();
        for (long i = 0; i < iters; i++)
            FAULT_ONCE("movabsq 0x7000dead0000, %%rax"); /* unmapped: a page fault, SIGSEGV */
        per_op[r] = (double)(rdtsc() - t0) / iters;
    }
    report("exc_pf", per_op, iters);
}

/* ---------------------------------------------------------------------------------------- */
/* Appel-Li virtual-memory primitives (Appel and Li, ASPLOS 1991; exokernel paper table 10) */

static void protect(char *base, long npages, int prot)
{
    if (mprotect(base, (size_t)npages * PAGE, prot) != 0)
        die("mprotect");
}

static void bench_appel_li(void)
{
    double per_op[REPEATS];
    pages = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pages == MAP_FAILED)
        die("mmap");
    for (long i = 0; i < NPAGES; i++)
        pages[i * PAGE] = 1;
    set_signal(SIGSEGV, on_segv);

    /* prot1: read-protect one page (unprotecting it again is not timed). */
    long iters = 1000;
    for (int r = 0; r < repeats; r++) {
        uint64_t total = 0;
        for (long i = 0; i < iters; i++) {
            uint64_t t0 = rdtsc();
            protect(pages, 1, PROT_READ);
            total += rdtsc() - t0;
            protect(pages, 1, PROT_READ | PROT_WRITE);
        }
        per_op[r] = (double)total / iters;
    }
    report("prot1", per_op, iters);

    /* prot100 and unprot100: read-protect / unprotect 100 pages in one call. */
    iters = 500;
    for (int r = 0; r < repeats; r++) {
        uint64_t total = 0;
        for (long i = 0; i < iters; i++) {
            uint64_t t0 = rdtsc();
            protect(pages, NPAGES, PROT_READ);
            total += rdtsc() - t0;
            protect(pages, NPAGES, PROT_READ | PROT_WRITE);
        }
        per_op[r] = (double)total / iters;
    }
    report("prot100", per_op, iters);
    for (int r = 0; r < repeats; r++) {
        uint64_t total = 0;
        for (long i = 0; i < iters; i++) {
            protect(pages, NPAGES, PROT_READ);
            uint64_t t0 = rdtsc();
            protect(pages, NPAGES, PROT_READ | PROT_WRITE);
            total += rdtsc() - t0;
        }
        per_op[r] = (double)total / iters;
    }
    report("unprot100", per_op, iters);

    /* trap: write to a read-protected page; the handler unprotects it; the write completes. */
    iters = 1000;
    handler_mode = UNPROTECT;
    for (int r = 0; r < repeats; r++) {
        uint64_t total = 0;
        for (long i = 0; i < iters; i++) {
            protect(pages, 1, PROT_READ);
            uint64_t t0 = rdtsc();
            *(volatile char *)pages = 2;
            total += rdtsc() - t0;
        }
        per_op[r] = (double)total / iters;
    }
    report("trap", per_op, iters);

    /* appel1: write to a random protected page; the handler protects the previously open page and
     * unprotects the faulting one (prot1 + trap + unprot), per access. */
    iters = 1000;
    handler_mode = UNPROTECT_AND_PROTECT_OPEN;
    protect(pages, NPAGES, PROT_READ);
    protect(pages, 1, PROT_READ | PROT_WRITE);
    open_page = pages;
    for (int r = 0; r < repeats; r++) {
        uint64_t t0 = rdtsc();
        for (long i = 0; i < iters; i++) {
            char *page;
            do
                page = pages + (long)(next_random() % NPAGES) * PAGE;
            while (page == open_page);
            *(volatile char *)page = 3;
        }
        per_op[r] = (double)(rdtsc() - t0) / iters;
    }
    report("appel1", per_op, iters);

    /* appel2: protect 100 pages, write to each in a random order; the handler unprotects the
     * faulting page (protN + trap + unprot), per page. */
    long rounds = 20;
    handler_mode = UNPROTECT;
    int order[NPAGES];
    for (int i = 0; i < NPAGES; i++)
        order[i] = i;
    for (int r = 0; r < repeats; r++) {
        uint64_t total = 0;
        for (long round = 0; round < rounds; round++) {
            for (int i = NPAGES - 1; i > 0; i--) { /* Fisher-Yates, untimed */
                int j = (int)(next_random() % (uint64_t)(i + 1)), t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            uint64_t t0 = rdtsc();
            protect(pages, NPAGES, PROT_READ);
            for (int i = 0; i < NPAGES; i++)
                *(volatile char *)(pages + (long)order[i] * PAGE) = 4;
            total += rdtsc() - t0;
        }
        per_op[r] = (double)total / (rounds * NPAGES);
    }
    report("appel2", per_op, rounds * NPAGES);
    munmap(pages, NPAGES * PAGE);
}

/* ---------------------------------------------------------------------------------------- */
/* Processes, IPC, memory */

/* A round trip of `size` bytes: written to a child that echoes them back through a second pipe. */
static void bench_pipe(const char *name, size_t size, long iters)
{
    double per_op[REPEATS];
    int ping[2], pong[2];
    static char buf[PAGE];
    if (pipe(ping) != 0 || pipe(pong) != 0)
        die("pipe");
    pid_t child = fork();
    if (child < 0)
        die("fork");
    if (child == 0) {
        close(ping[1]);
        close(pong[0]);
        ssize_t n;
        while ((n = read(ping[0], buf, sizeof buf)) > 0)
            if (write(pong[1], buf, n) != n)
                _exit(1);
        _exit(0);
    }
    close(ping[0]);
    close(pong[1]);
    for (int r = 0; r < repeats; r++) {
        uint64_t t0 = rdtsc();
        for (long i = 0; i < iters; i++) {
            if (write(ping[1], buf, size) != (ssize_t)size)
                die("pipe round trip");
            for (size_t got = 0; got < size;) {
                ssize_t n = read(pong[0], buf + got, size - got);
                if (n <= 0)
                    die("pipe round trip");
                got += n;
            }
        }
        per_op[r] = (double)(rdtsc() - t0) / iters;
    }
    close(ping[1]); /* the child sees end of file and exits */
    waitpid(child, NULL, 0);
    close(pong[0]);
    report(name, per_op, iters);
}

/* Waits while the futex word at `word` is `value`. */
static void futex_wait(uint32_t *word, uint32_t value)
{
    syscall(SYS_futex, word, FUTEX_WAIT, value, NULL, NULL, 0);
}

static void futex_wake(uint32_t *word)
{
    syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* An 8-byte message through a shared page to a child that echoes it back: each direction has a
 * sequence word the sender bumps (and wakes) and the receiver waits on with futex. */
static void bench_shm(void)
{
    const long iters = 2000;
    double per_op[REPEATS];
    struct channel {
        uint32_t seq;
        uint32_t pad;
        uint64_t message;
    };
    struct channel *ch = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (ch == MAP_FAILED)
        die("mmap");
    struct channel *ping = &ch[0], *pong = &ch[1];
    pid_t child = fork();
    if (child < 0)
        die("fork");
    if (child == 0) {
        for (uint32_t seen = 0;;) {
            while (__atomic_load_n(&ping->seq, __ATOMIC_ACQUIRE) == seen)
                futex_wait(&ping->seq, seen);
            seen = __atomic_load_n(&ping->seq, __ATOMIC_ACQUIRE);
            if (ping->message == UINT64_MAX)
                _exit(0);
            pong->message = ping->message;
            __atomic_store_n(&pong->seq, seen, __ATOMIC_RELEASE);
            futex_wake(&pong->seq);
        }
    }
    uint32_t seq = 0;
    for (int r = 0; r < repeats; r++) {
        uint64_t t0 = rdtsc();
        for (long i = 0; i < iters; i++) {
            ping->message = (uint64_t)i;
            __atomic_store_n(&ping->seq, ++seq, __ATOMIC_RELEASE);
            futex_wake(&ping->seq);
            while (__atomic_load_n(&pong->seq, __ATOMIC_ACQUIRE) != seq)
                futex_wait(&pong->seq, seq - 1);
            if (pong->message != (uint64_t)i)
                die("shm round trip");
        }
        per_op[r] = (double)(rdtsc() - t0) / iters;
    }
    ping->message = UINT64_MAX;
    __atomic_store_n(&ping->seq, ++seq, __ATOMIC_RELEASE);
    futex_wake(&ping->seq);
    waitpid(child, NULL, 0);
    munmap(ch, PAGE);
    report("shm", per_op, iters);
}

static void bench_fork(void)
{
    const long iters = 100;
    double per_op[REPEATS];
    for (int r = 0; r < repeats; r++) {
        uint64_t t0 = rdtsc();
        for (long i = 0; i < iters; i++) {
            pid_t child = fork();
            if (child < 0)
                die("fork");
            if (child == 0)
                _exit(0);
            if (waitpid(child, NULL, 0) != child)
                die("waitpid");
        }
        per_op[r] = (double)(rdtsc() - t0) / iters;
    }
    report("fork", per_op, iters);
}

static void bench_first_touch(void)
{
    const long iters = 1024; /* pages per repeat */
    double per_op[REPEATS];
    for (int r = 0; r < repeats; r++) {
        char *region = mmap(NULL, iters * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (region == MAP_FAILED)
            die("mmap");
        uint64_t t0 = rdtsc();
        for (long i = 0; i < iters; i++)
            *(volatile char *)(region + i * PAGE) = 1;
        per_op[r] = (double)(rdtsc() - t0) / iters;
        munmap(region, iters * PAGE);
    }
    report("first_touch", per_op, iters);
}

/* ---------------------------------------------------------------------------------------- */

/* The TSC rate, against CLOCK_MONOTONIC over about 100 ms. */
static uint64_t tsc_hz(void)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    uint64_t t0 = rdtsc();
    do
        clock_gettime(CLOCK_MONOTONIC, &b);
    while ((b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec) < 100000000LL);
    uint64_t t1 = rdtsc();
    double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
    return (uint64_t)((double)(t1 - t0) * 1e9 / ns);
}

int main(int argc, char **argv)
{
    int init = getpid() == 1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "quick") == 0)
            repeats = 1;
    if (init) {
        int fd = open("/dev/console", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    sched_setaffinity(0, sizeof one, &one); /* failure only means more CPUs: not fatal */
    setvbuf(stdout, NULL, _IOLBF, 0);

    struct utsname u;
    if (uname(&u) == 0)
        printf("BENCHINFO kernel=%s\n", u.release);
    printf("BENCHINFO tsc_hz=%llu\n", (unsigned long long)tsc_hz());

    bench_null_call();
    bench_syscall("null_syscall", 100000, 1);
    bench_syscall("getppid", SYS_getppid, 0);
    bench_exceptions();
    bench_appel_li();
    bench_pipe("pipe", 1, 2000);
    bench_pipe("pipe_4k", PAGE, 1000);
    bench_shm();
    bench_fork();
    bench_first_touch();
    printf("BENCH done\n");
    fflush(stdout);

    if (init) {
        sync();
        reboot(RB_POWER_OFF);
        for (;;)
            pause();
    }
    return 0;
}
