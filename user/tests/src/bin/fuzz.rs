//! System-call fuzzer: a million calls per seed, three seeds, with numbers and arguments drawn from
//! a mix of garbage and nearly valid values (small slots, user and kernel addresses, page-aligned
//! addresses, the special values). The kernel must not panic or hang, and every page must come
//! back when the program ends (the test run forbids `exo: LEAK`).
//!
//! Half the extent calls (`extent_*`) get nearly valid sizes, alignments, addresses and rights
//! (`shape_extent_call`), so they reach the checks past the first ones.
//!
//! Slot-like arguments start past the slots of the program's own image and stack. Calls that would
//! end or park the fuzzer itself (`env_exit`, `pct_wait`), print garbage
//! (`console_write`), or start children at random addresses (`env_start`) are left out. A valid
//! `env_wait` mask gets a near deadline added (it would otherwise sleep for good, waiting for a
//! notification or console input nobody sends); `env_notify` and `page_wake` (with donation)
//! land on the chain and the stranger as they may.
//!
//! Grants between environments: half the fuzzer's `cap_grant`s go to a live environment (a child
//! it created, or the `stranger` child below) instead of a random id, and a started child, which
//! holds no right over the fuzzer, keeps granting its own page into the fuzzer's table with random
//! rights while the fuzzer runs: the kernel must refuse every one of those (the fuzzer never
//! consented), and the fuzzer prints how many were not refused with `NoRights` (the test expects 0).
//!
//! Process groups: half the `env_notify`s aim at a live environment (a child the fuzzer created,
//! or the chain's driver, whose descendants are the chain) with random notification bits, half of
//! them with `NOTIFY_TREE` (the target and all its descendants); the fuzzer prints how many group
//! notifications succeeded.
//!
//! Budgets: half the `env_create`s ask for a small budget (so children exist), and half the
//! `budget_give`/`budget_take` calls aim at one of those children with a small page count; every
//! page of budget must come back too (the kernel prints `exo: LEAK` when an environment ends with
//! a charge it cannot account for).
//!
//! Network calls: without a NIC (the usual boot) they fail at the capability check; in the
//! `syscall_fuzzer_net` boot (a NIC on QEMU's user-mode network) half of them are shaped
//! (`NetFuzz`) and every frame sent goes to the gateway 10.0.2.2 only. Half the `net_filter_ash`
//! calls bind a correct UDP echo handler (`ash`) with a few bits flipped, truncated or extended, to
//! one of the fuzzer's filters, with one of its extents (or none) as the region, so they reach
//! the verifier.
//!
//! Alongside, nested protected control transfer chains run: a driver (a copy of this program)
//! calls and sends into a chain of servers, each the child of the one before, which at random
//! consult the next one (synchronously or not), reply to an earlier caller, to garbage, or die. The fuzzer's own random calls (yields, destroys,
//! frees of the driver's pages) land in the middle of those chains.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use abi::{Error, MapUpdate, Rights, Sysnum, ANY_ENV, ANY_PAGE};
use core::sync::atomic::{AtomicU64, Ordering};
use exos::ipc::region::{parent_of, self_id};
use exos::sys::syscall::{
    sys_cap_grant, sys_env_destroy, sys_env_exit, sys_env_yield, sys_page_alloc, sys_page_map, sys_pct_call, sys_pct_reply,
    sys_pct_send, sys_pct_set_entry, sys_pct_wait,
};
use user::{page_word, set_page_word, spawn};

/// The page the fuzzer shares with the stranger: words 0 (stop), 1 (grants tried), 2 (accepted).
const SHARED: u64 = 0x6100_0000;

/// A child with no right over the fuzzer: grants its own page into the fuzzer's table, with random
/// rights, until told to stop (word 0); counts the attempts and the grants the kernel accepted.
extern "C" fn stranger() -> ! {
    let parent = parent_of(self_id().unwrap_or(0));
    let mut rng = Rng(0x5eed_1234_5678_9abc, 0);
    if let Ok((_, page)) = sys_page_alloc(ANY_PAGE) {
        while page_word(SHARED, 0) == 0 {
            let rights = Rights(rng.next() % 16);
            if sys_cap_grant(page, parent, rights) != Err(Error::NoRights) {
                set_page_word(SHARED, 2, page_word(SHARED, 2) + 1);
            }
            set_page_word(SHARED, 1, page_word(SHARED, 1) + 1);
            let _ = sys_env_yield(abi::ANY_ENV);
        }
    }
    loop {
        let _ = sys_env_yield(abi::ANY_ENV);
    }
}

/// A random generator, and the first capability slot the fuzzer may hit: the program's own image
/// and stack pages hold the slots below it (freeing those would only end the fuzzer).
struct Rng(u64, u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// An argument: garbage, or something close to what the kernel accepts.
    fn argument(&mut self) -> u64 {
        let r = self.next();
        match r % 10 {
            0 => r,
            1 => u64::MAX,
            2 => 0,
            3 | 4 => self.1 + (r >> 8) % 64,
            5 => 0x2000_0000 + ((r >> 8) % 64) * 4096,
            6 => abi::layout::KERNEL_BASE + (r >> 40),
            7 => 0x40_0000 + (r >> 8) % 0x4000,
            8 => abi::layout::PAGE_OWNERS_BASE + (r >> 50),
            _ => (r >> 8) % 8,
        }
    }
}

/// Servers in a chain below the driver.
const CHAIN_DEPTH: u64 = 3;
/// Where a server's entry runs (the lower half of the stack `spawn` gives it).
const SERVER_STACK_TOP: u64 = user::CHILD_STACK_TOP - 0x2000;

/// A chain member's state (its own copy of this program's data; a child starts with a copy of its
/// parent's, so `spawn_next` resets it): its depth, its next server (slot + 1, 0: none) and id, its
/// random state, and callers it holds.
static DEPTH: AtomicU64 = AtomicU64::new(0);
static NEXT_SLOT: AtomicU64 = AtomicU64::new(0);
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
static RANDOM: AtomicU64 = AtomicU64::new(0x2545_f491_4f6c_dd1d);
static HELD: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];

fn random() -> u64 {
    let mut x = RANDOM.load(Ordering::Relaxed);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    RANDOM.store(x, Ordering::Relaxed);
    x
}

/// Starts the next member of the chain (a server, at `depth` + 1) from this one, if the chain is not
/// deep enough yet.
fn spawn_next(depth: u64) {
    NEXT_SLOT.store(0, Ordering::Relaxed);
    NEXT_ID.store(0, Ordering::Relaxed);
    HELD.iter().for_each(|h| h.store(0, Ordering::Relaxed));
    DEPTH.store(depth, Ordering::Relaxed);
    if depth < CHAIN_DEPTH {
        DEPTH.store(depth + 1, Ordering::Relaxed);
        let next = user::spawn(server_main, &[]);
        DEPTH.store(depth, Ordering::Relaxed);
        if let Ok((id, slot)) = next {
            NEXT_ID.store(id, Ordering::Relaxed);
            NEXT_SLOT.store(slot + 1, Ordering::Relaxed);
        }
    }
}

/// A call (or send) into the next server with random arguments.
fn into_next(sync: bool) -> Result<u64, Error> {
    let slot = NEXT_SLOT.load(Ordering::Relaxed).checked_sub(1).ok_or(Error::EmptySlot)?;
    let args = [random(), random(), random(), random(), random()];
    let result = if sync { sys_pct_call(slot, args) } else { sys_pct_send(slot, args).map(|()| 0) };
    if result == Err(Error::Busy) || result == Err(Error::NoEntry) {
        let _ = sys_env_yield(NEXT_ID.load(Ordering::Relaxed));
    }
    result
}

/// The driver: calls and sends into the chain forever (the fuzzer ends it).
extern "C" fn driver_main() -> ! {
    spawn_next(0);
    loop {
        let _ = into_next(!random().is_multiple_of(4));
        if random().is_multiple_of(8) {
            let _ = sys_env_yield(ANY_ENV);
        }
    }
}

/// A server: starts the rest of the chain, registers its entry and waits.
extern "C" fn server_main() -> ! {
    let depth = DEPTH.load(Ordering::Relaxed);
    RANDOM.store(RANDOM.load(Ordering::Relaxed) ^ ((depth << 32) | 0x9e37), Ordering::Relaxed);
    spawn_next(depth);
    let _ = sys_pct_set_entry(server_entry, SERVER_STACK_TOP).err().unwrap_or_else(sys_pct_wait);
    sys_env_exit(1)
}

/// A transfer into a server: one random step, then a reply (to its caller, or an earlier one), or
/// death.
extern "C" fn server_entry(caller: u64, a0: u64, a1: u64, _: u64, _: u64, _: u64) -> ! {
    RANDOM.store((RANDOM.load(Ordering::Relaxed) ^ a0) | 1, Ordering::Relaxed);
    let held = &HELD[(a1 % 4) as usize];
    let value = match random() % 16 {
        0..=5 => into_next(true).unwrap_or(1),
        6 => into_next(false).map_or(2, |_| into_next(true).unwrap_or(3)),
        // Answer an earlier caller (still blocked only if the answer to it is still owed), and
        // keep this one to answer later; the chain's only client is the driver, so a server never
        // waits holding its caller (that would park the chain for good).
        7..=10 => {
            let _ = sys_pct_reply(held.swap(caller, Ordering::Relaxed), a1);
            a1
        }
        11 => {
            let _ = sys_pct_reply(a1, a0);
            let _ = sys_pct_reply(random(), a0);
            4
        }
        // The last server dies now and then (the others then call a dead one).
        12 if a1.is_multiple_of(256) && DEPTH.load(Ordering::Relaxed) == CHAIN_DEPTH => sys_env_exit(3),
        _ => 5,
    };
    let _ = sys_pct_reply(caller, value);
    // Not a synchronous caller (a send), or it is gone: wait for the next transfer.
    let _ = sys_pct_wait();
    sys_env_exit(1)
}

/// Ends the chain's driver (and with it the chain) if there is one.
fn end_chain(driver: &mut Option<u64>) {
    if let Some(slot) = driver.take() {
        let _ = sys_env_destroy(slot);
        let _ = exos::sys::syscall::sys_cap_delete(slot);
    }
}


/// Where the fuzzer's extent calls aim: eight 2 MiB-aligned slots (some calls are shifted by a
/// page, to miss the alignment).
const EXTENT_AREA: u64 = 0x6400_0000;

/// Half the extent calls get nearly valid arguments, so they pass the first checks and reach the
/// interesting ones (2 MiB alignment, the range inside the extent, overlaps, partial 2 MiB pages):
/// sizes of 1, 8, 511, 512 or 520 pages, alignments of 1 or 512 pages, addresses in
/// [`EXTENT_AREA`], rights with and without `EXTENT_HUGE`.
/// `extent_map` and `extent_free` name one of the `recent` extents the fuzzer allocated.
fn shape_extent_call(number: u64, args: &mut [u64; 6], rng: &mut Rng, recent: &[u64; 4]) {
    let extent = [Sysnum::ExtentAlloc, Sysnum::ExtentMap, Sysnum::ExtentUnmap, Sysnum::ExtentProtect, Sysnum::ExtentFree];
    let Ok(call) = Sysnum::try_from(number) else { return };
    if !extent.contains(&call) || rng.next() & 1 == 0 {
        return;
    }
    let r = rng.next();
    let pages = [1, 8, 511, 512, 520][(r % 5) as usize];
    let va = EXTENT_AREA + ((r >> 8) % 8) * (2 << 20) + if r & (1 << 20) != 0 { 4096 } else { 0 };
    let rights = [Rights::READ.0, Rights::READ.0 | Rights::WRITE.0][((r >> 21) & 1) as usize] | if r & (1 << 22) != 0 { abi::EXTENT_HUGE } else { 0 };
    let env = if r & (1 << 23) != 0 { abi::SELF_ENV } else { args[0] };
    let slot = recent[((r >> 40) % 4) as usize];
    match call {
        Sysnum::ExtentAlloc => *args = [pages, if r & (1 << 24) != 0 { 512 } else { 1 }, 0, 0, 0, 0],
        Sysnum::ExtentMap => *args = [env, slot, va, (r >> 32) % 16, pages, rights],
        Sysnum::ExtentFree => args[0] = slot,
        Sysnum::ExtentUnmap => *args = [env, va, pages, 0, 0, 0],
        _ => *args = [env, va, pages, rights & !abi::EXTENT_HUGE, 0, 0],
    }
}

/// Where the fuzzer builds the filters and frames of the network calls (one page).
const NET_BUF: u64 = 0x6300_0000;
/// Ethernet addresses a fuzzed frame may go to: broadcast, or QEMU's user-mode gateway.
const NET_DESTINATIONS: [[u8; 6]; 2] = [[0xff; 6], [0x52, 0x55, 10, 0, 2, 2]];

/// The network calls, when the machine has a NIC (the `syscall_fuzzer_net` boot): half of them get
/// nearly valid arguments (the Nic capability, ports and extents the fuzzer holds, filters and
/// frames that are valid but for a byte or two), so they reach the checks past the capability's.
/// Every `net_send` is shaped: its frame always goes to the gateway 10.0.2.2 (broadcast or the
/// gateway's MAC, IPv4, destination address 10.0.2.2 and, for UDP/TCP, the discard port 9), with
/// everything else at random, so no fuzzed frame can leave QEMU for anywhere but the host's
/// loopback.
struct NetFuzz {
    nic: u64,
    ip: u32,
    ports: [u64; 4],
    filters: [u64; 4],
    /// Successful claims, installs and sends.
    done: [u64; 3],
    /// Encoded filters (made before the fuzzing starts: the heap is not used once random calls may
    /// unmap its pages), and their lengths.
    encoded: [([u8; 160], usize); 12],
    /// Frame templates: a UDP datagram and an ICMP echo request to the gateway.
    templates: [([u8; 128], usize); 2],
    /// A correct handler (`ash::programs::udp_echo`) to mutate, and its length.
    handler: ([u8; 512], usize),
    /// A filter (and an extent for its region) installed before the fuzzing, so the handler calls
    /// reach the verifier; handler binds accepted and refused by the verifier.
    ash_filter: u64,
    ash_region: u64,
    ash_done: [u64; 2],
}

impl NetFuzz {
    fn new() -> Option<NetFuzz> {
        let info = exos::sys::syscall::sys_net_info(abi::net::BOOT_NIC_SLOT).ok()?;
        let (_, page) = sys_page_alloc(ANY_PAGE).ok()?;
        let rw = Rights::READ.0 | Rights::WRITE.0;
        let _ = sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: NET_BUF, slot: page, rights: rw }]);
        let ip = user::net::GUEST_IP;
        let fill = |bytes: &[u8]| {
            let mut out = ([0u8; 160], bytes.len().min(160));
            out.0[..out.1].copy_from_slice(&bytes[..out.1]);
            out
        };
        let mut encoded = [([0u8; 160], 0); 12];
        for (i, value) in [7u16, 68, 9].into_iter().enumerate() {
            encoded[4 * i] = fill(&user::net::udp_filter(if i == 0 { ip } else { 0 }, value));
            encoded[4 * i + 1] = fill(&dpf::Filter::tcp_port(0, value).encode());
            encoded[4 * i + 2] = fill(&user::net::icmp_filter(value));
            encoded[4 * i + 3] = fill(&[user::net::proto_filter(17), dpf::Filter::ethertype(0x0806).encode(), user::net::proto_filter(value as u8)][i]);
        }
        let frame = |bytes: &[u8]| {
            let mut out = ([0u8; 128], bytes.len().min(128));
            out.0[..out.1].copy_from_slice(&bytes[..out.1]);
            out
        };
        let templates = [
            frame(&user::net::udp_frame([0; 6], info.mac, ip, user::net::GATEWAY_IP, 9, 9, &[0; 8])),
            frame(&user::net::icmp_echo([0; 6], info.mac, ip, user::net::GATEWAY_IP, 9, 1)),
        ];
        let echo = ash::programs::udp_echo();
        let mut handler = ([0u8; 512], echo.len().min(512));
        handler.0[..handler.1].copy_from_slice(&echo[..handler.1]);
        let (ash_port, ash_id) = exos::sys::syscall::sys_net_port_claim(abi::net::BOOT_NIC_SLOT, abi::net::PortKind::IcmpId, 0).ok()?;
        let (_, ash_ring) = exos::sys::syscall::sys_extent_alloc(2, 1).ok()?;
        let (_, ash_region) = exos::sys::syscall::sys_extent_alloc(1, 1).ok()?;
        let ash_filter = exos::sys::syscall::sys_net_filter_install(ash_port, &dpf::Filter::icmp_id(ash_id).encode(), ash_ring, 0).ok()?;
        Some(NetFuzz {
            nic: abi::net::BOOT_NIC_SLOT,
            ip,
            ports: [0; 4],
            filters: [0; 4],
            done: [0; 3],
            encoded,
            templates,
            handler,
            ash_filter,
            ash_region,
            ash_done: [0; 2],
        })
    }

    fn is_net(number: u64) -> bool {
        matches!(Sysnum::try_from(number), Ok(Sysnum::NetInfo | Sysnum::NetConfig | Sysnum::NetPortClaim | Sysnum::NetFilterInstall | Sysnum::NetFilterRemove | Sysnum::NetSend | Sysnum::NetDefault | Sysnum::NetFilterAsh))
    }

    /// Shapes a network call's arguments (every `net_send`, half of the others).
    fn shape(&mut self, number: u64, args: &mut [u64; 6], rng: &mut Rng, extents: &[u64; 4]) {
        let Ok(call) = Sysnum::try_from(number) else { return };
        if call != Sysnum::NetSend && (!Self::is_net(number) || rng.next() & 1 == 0) {
            return;
        }
        let r = rng.next();
        // A claimed port: its capability slot (the claim returned `slot | value << 32`).
        let port = self.ports[(r % 4) as usize] & 0xffff_ffff;
        let ring = extents[((r >> 2) % 4) as usize];
        let buf = user::mapped_page_mut(NET_BUF);
        match call {
            Sysnum::NetInfo => *args = [self.nic, if r & 4 != 0 { NET_BUF } else { args[1] }, 0, 0, 0, 0],
            Sysnum::NetConfig => {
                let ip = if r & 4 != 0 { u64::from(self.ip) } else { u64::from(user::net::GUEST_IP & !0xff) | ((r >> 8) % 256) };
                *args = [self.nic, ip, (u64::from(u32::MAX) << ((r >> 16) % 33)) & 0xffff_ffff, u64::from(user::net::GATEWAY_IP), 0, 0];
            }
            Sysnum::NetPortClaim => *args = [self.nic, (r >> 3) % 7, [0, 7, 68, 9, 17, 0x0806, (r >> 16) % 70_000][((r >> 8) % 7) as usize], 0, 0, 0],
            Sysnum::NetFilterInstall => {
                let (filter, len) = &self.encoded[((r >> 8) % 12) as usize];
                buf[..*len].copy_from_slice(&filter[..*len]);
                for i in 0..((r >> 16) % 3) {
                    let at = (rng.next() as usize) % (*len).max(1);
                    buf[at] ^= 1 << (i + (r >> 20) % 6);
                }
                let len = if r & (1 << 41) != 0 { (rng.next() as usize) % (len + 2) } else { *len };
                *args = [port, NET_BUF, len as u64, ring, (r >> 44) % 3, 0];
            }
            // Never the handlers' filter (the fuzzer's own filters start as 0, which may name it).
            Sysnum::NetFilterRemove => args[0] = Some(self.filters[((r >> 8) % 4) as usize]).filter(|&f| f != self.ash_filter).unwrap_or(args[0]),
            Sysnum::NetFilterAsh => {
                // The handler at byte 1024 (at most 2048 bytes), the verifier's reason at 3584.
                let (program, len) = &self.handler;
                let room = &mut buf[1024..3072];
                room.fill(0);
                room[..*len].copy_from_slice(&program[..*len]);
                for _ in 0..((r >> 16) % 4) {
                    let at = (rng.next() as usize) % (*len + 16);
                    room[at] ^= 1 << (rng.next() % 8);
                }
                let len = match (r >> 40) % 4 {
                    0 => rng.next() % 2100,
                    1 => (*len as u64).saturating_sub(rng.next() % 16),
                    _ => *len as u64,
                };
                let region = [abi::net::ASH_NONE, ring, self.ash_region, self.ash_region][((r >> 44) % 4) as usize];
                let reason = if r & (1 << 46) != 0 { NET_BUF + 3584 } else { 0 };
                let filter = if r & (3 << 47) != 0 { self.ash_filter } else { self.filters[((r >> 8) % 4) as usize] };
                *args = [filter, NET_BUF + 1024, len, region, reason, 0];
            }
            Sysnum::NetDefault => *args = [self.nic, if r & 4 != 0 { ring } else { u64::MAX }, 0, 0, 0, 0],
            Sysnum::NetSend => {
                let len = self.frame(buf, rng);
                let port = if r & 4 != 0 { port } else { args[0] };
                *args = [port, NET_BUF, len, 0, 0, 0];
            }
            _ => {}
        }
    }

    /// Writes a frame to the gateway into `buf`, random but for its destination; returns a length.
    fn frame(&self, buf: &mut [u8; 4096], rng: &mut Rng) -> u64 {
        let r = rng.next();
        for b in buf[..1600].iter_mut() {
            *b = rng.next() as u8;
        }
        let (template, len) = &self.templates[((r >> 16) & 1) as usize];
        buf[..*len].copy_from_slice(&template[..*len]);
        buf[26..30].copy_from_slice(&self.ip.to_be_bytes());
        let sport = if r & (1 << 20) != 0 { 9 } else { (self.ports[((r >> 21) % 4) as usize] >> 32) as u16 };
        // The UDP source port, or the ICMP identifier.
        let at = if (r >> 16) & 1 == 0 { 34 } else { 38 };
        buf[at..at + 2].copy_from_slice(&sport.to_be_bytes());
        if r & (1 << 23) != 0 {
            buf[23] = [1u8, 6, 17, (r >> 8) as u8][((r >> 17) % 4) as usize];
        }
        if r & (1 << 24) != 0 {
            let at = 6 + (rng.next() as usize) % (*len - 6);
            buf[at] ^= 1 << ((r >> 25) % 8);
        }
        // The destination, whatever else changed: the gateway, IPv4 without options, port 9.
        buf[..6].copy_from_slice(&NET_DESTINATIONS[((r >> 28) & 1) as usize]);
        buf[12..15].copy_from_slice(&[0x08, 0x00, 0x45]);
        buf[30..34].copy_from_slice(&user::net::GATEWAY_IP.to_be_bytes());
        buf[36..38].copy_from_slice(&9u16.to_be_bytes());
        match (r >> 32) % 8 {
            0 => (r >> 40) % 14,
            1 => 1514 + (r >> 40) % 100,
            _ => 14 + (r >> 40) % (*len as u64 + 20 - 14),
        }
    }

    /// Remembers what a successful call made (ports, filters, the address).
    fn note(&mut self, number: u64, args: &[u64; 6], value: u64, issued: u64) {
        match Sysnum::try_from(number) {
            Ok(Sysnum::NetPortClaim) => {
                self.ports[(issued % 4) as usize] = value;
                self.done[0] += 1;
            }
            Ok(Sysnum::NetFilterInstall) => {
                self.filters[(issued % 4) as usize] = value;
                self.done[1] += 1;
            }
            Ok(Sysnum::NetSend) => self.done[2] += 1,
            Ok(Sysnum::NetFilterAsh) => self.ash_done[0] += 1,
            Ok(Sysnum::NetConfig) => self.ip = args[1] as u32,
            _ => {}
        }
    }
}

const SKIPPED: [Sysnum; 4] = [Sysnum::EnvExit, Sysnum::PctWait, Sysnum::ConsoleWrite, Sysnum::EnvStart];

fn main() {
    // Calls per seed: a million, or the number in the boot arguments (`run=fuzz -- 300000`: the
    // boot with a NIC, which runs alongside the other on a loaded machine, makes fewer).
    let calls = exos::sys::vm::boot_args().trim().parse::<u64>().ok().filter(|&n| n > 0).unwrap_or(1_000_000);
    // The stranger and its shared page first, so their slots are below `first_free` (kept).
    let (_, shared) = sys_page_alloc(ANY_PAGE).expect("the shared page");
    let rw = Rights::READ.0 | Rights::WRITE.0;
    let _ = sys_page_map(&[MapUpdate { op: MapUpdate::MAP, va: SHARED, slot: shared, rights: rw }]);
    let (stranger_id, stranger_slot) = spawn(stranger, &[(SHARED, shared)]).expect("spawning the stranger");
    // Live environments to grant to: the stranger, and the children the fuzzer's `env_create`s made.
    let mut targets = [stranger_id; 4];
    // Slots of the children the fuzzer's `env_create`s made, for the budget calls to aim at.
    let mut children = [0u64; 4];
    // The first free slot is the first one past the program's image and stack.
    // The chain's pages and capability come first, below the slots the random calls aim at, so
    // the chain lives through the run (unless a stray call still ends it).
    let transfers = exos::sys::stats::counter(abi::stats::Counter::PctTransfers);
    let chain = user::spawn(driver_main, &[]).ok();
    let mut driver = chain.map(|(_, slot)| slot);
    let mut net = NetFuzz::new();
    if net.is_some() {
        exos::println!("fuzz: a NIC is attached: network calls get nearly valid arguments, frames go only to 10.0.2.2");
    }
    let (_, first_free) = exos::sys::syscall::sys_page_alloc(abi::ANY_PAGE).expect("a page");
    for seed in [0x9e37_79b9_7f4a_7c15u64, 0xdead_beef_cafe_f00d, 42] {
        let mut rng = Rng(seed, first_free);
        let (mut issued, mut ok, mut extents, mut recent) = (0u64, 0u64, [0u64; 5], [first_free; 4]);
        let mut groups = 0u64;
        while issued < calls {
            // One in twenty is garbage; the others spread over every call (the draw is not
            // `n % ALL.len()` with `n < 19`, which never reached the calls numbered 19 and up).
            let number = match rng.next() % 20 {
                19 => rng.next(),
                _ => rng.next() % Sysnum::ALL.len() as u64,
            };
            if Sysnum::try_from(number).is_ok_and(|s| SKIPPED.contains(&s)) {
                continue;
            }
            let mut args = [rng.argument(), rng.argument(), rng.argument(), rng.argument(), rng.argument(), rng.argument()];
            shape_extent_call(number, &mut args, &mut rng, &recent);
            // Without a NIC no frame can leave; with one, only shaped frames are sent.
            if let Some(net) = net.as_mut() {
                net.shape(number, &mut args, &mut rng, &recent);
            }
            // Freeing or deleting its own image (or the stranger) would only end the fuzzer (the test).
            let own = [Sysnum::PageFree, Sysnum::CapDelete, Sysnum::CapRevoke, Sysnum::EnvDestroy, Sysnum::ExtentFree];
            if Sysnum::try_from(number).is_ok_and(|s| own.contains(&s)) && args[0] < first_free {
                args[0] += first_free;
            }
            // A valid `env_wait` mask gets a near deadline (up to 2 ms), so the fuzzer never sleeps
            // for good; its other arguments (word, expected, the mask itself) stay random.
            if number == Sysnum::EnvWait as u64 && args[0] != 0 && args[0] & !abi::WAIT_ALL == 0 {
                args[0] |= abi::WAIT_DEADLINE;
                args[1] = exos::sys::wait::now_ns() + rng.next() % 2_000_000;
            }
            // Renaming itself would only change the name the test reads its exit line by.
            if number == Sysnum::EnvSetName as u64 && args[0] == abi::SELF_ENV {
                args[0] = first_free;
            }
            if number == Sysnum::CapGrant as u64 && rng.next() & 1 == 0 {
                args[1] = targets[(rng.next() % targets.len() as u64) as usize];
            }
            // Budgets: often small enough to be granted, aimed at a child that exists.
            if number == Sysnum::EnvCreate as u64 && rng.next() & 1 == 0 {
                args[0] = rng.next() % 80;
            }
            if (number == Sysnum::BudgetGive as u64 || number == Sysnum::BudgetTake as u64) && rng.next() & 1 == 0 {
                args[0] = children[(rng.next() % children.len() as u64) as usize];
                args[1] = rng.next() % 64;
            }
            // Notifications, often of a group: a live child or the chain's driver, random bits.
            if number == Sysnum::EnvNotify as u64 && rng.next() & 1 == 0 {
                let r = rng.next();
                args[0] = match r % 5 {
                    4 => driver.unwrap_or(args[0]),
                    k => children[k as usize],
                };
                args[1] = (r >> 8) & u64::from(u32::MAX) | if r & (1 << 4) != 0 { abi::NOTIFY_TREE } else { 0 };
            }
            // A redirection always keeps the fuzzer's own code native (else its next calls would
            // all go to its exception handler): off, around its code, or refused (empty, wrapping
            // or reaching the kernel). `env_set_fs_base` stays random (the fuzzer never uses `%fs:`).
            if number == Sysnum::EnvRedirectSyscalls as u64 {
                let (start, end) = exos::rt::redirect::native_text();
                let r = rng.next();
                let slack = (r >> 8) % 0x10_0000;
                (args[0], args[1]) = match r % 4 {
                    0 => (0, 0),
                    1 => (start.saturating_sub(slack).max(abi::layout::USER_START), end + slack),
                    2 => (args[0] | 1 << 63, args[1]),
                    _ => (args[0].max(1), args[0].max(1) - 1),
                };
            }
            // The handlers' filter stays (a random 0 would remove it: it may be filter 0).
            if number == Sysnum::NetFilterRemove as u64 && net.as_ref().is_some_and(|n| n.ash_filter == args[0]) {
                args[0] += 1 << 20;
            }
            let (value, error) = user::raw_syscall(number, args);
            if let (Some(net), None) = (net.as_mut(), error) {
                net.note(number, &args, value, issued);
            }
            if number == Sysnum::EnvNotify as u64 && error.is_none() && args[1] & abi::NOTIFY_TREE != 0 {
                groups += 1;
            }
            if let (Some(net), Some(Error::Unverified)) = (net.as_mut(), error) {
                net.ash_done[1] += 1;
            }
            if number == Sysnum::EnvCreate as u64 && error.is_none() {
                targets[(issued % 3) as usize + 1] = value >> 16;
                children[(issued % 4) as usize] = value & 0xffff;
            }
            issued += 1;
            if let Some((id, _)) = chain.filter(|_| issued.is_multiple_of(512)) {
                // The chain's turn (it yields back now and then).
                let _ = sys_env_yield(id);
            }
            ok += u64::from(error.is_none());
            if number == Sysnum::ExtentAlloc as u64 && error.is_none() {
                recent[(issued % 4) as usize] = value & 0xfff;
            }
            if let Some(i) = [Sysnum::ExtentAlloc, Sysnum::ExtentMap, Sysnum::ExtentUnmap, Sysnum::ExtentProtect, Sysnum::ExtentFree].iter().position(|&s| s as u64 == number) {
                extents[i] += u64::from(error.is_none());
            }
        }
        exos::println!("fuzz: seed {seed:#x}: {calls} calls, {ok} succeeded");
        exos::println!("fuzz: group notifications (NOTIFY_TREE) that succeeded: {groups}");
        let [alloc, map, unmap, protect, free] = extents;
        exos::println!("fuzz: extent calls that succeeded: {alloc} alloc, {map} map, {unmap} unmap, {protect} protect, {free} free");
        if let Some(net) = net.as_mut() {
            let [claims, installs, sends] = core::mem::take(&mut net.done);
            exos::println!("fuzz: net calls that succeeded: {claims} port claims, {installs} filter installs, {sends} sends (to 10.0.2.2)");
            let [bound, refused] = core::mem::take(&mut net.ash_done);
            exos::println!("fuzz: handlers: {bound} bound, {refused} refused by the verifier");
        }
    }
    set_page_word(SHARED, 0, 1);
    exos::println!("fuzz: the stranger's grants into my table: {} tried, {} not refused", page_word(SHARED, 1), page_word(SHARED, 2));
    let _ = sys_env_destroy(stranger_slot);
    end_chain(&mut driver);
    let transfers = exos::sys::stats::counter(abi::stats::Counter::PctTransfers) - transfers;
    exos::println!("fuzz: {transfers} protected control transfers in nested chains alongside");
    // The statistics window is refreshed at each tick: wait for one past the last call.
    let now = exos::sys::vm::sysinfo().ticks;
    while exos::sys::vm::sysinfo().ticks < now + 2 {
        let _ = sys_env_yield(ANY_ENV);
    }
    let (longest, tick) = (exos::sys::stats::longest_irq_off(), exos::sys::stats::tick_cycles());
    let verdict = if tick > 0 && longest < tick { "under" } else { "NOT under" };
    exos::println!("fuzz: longest interrupts-off stretch {longest} cycles, {verdict} one tick ({tick} cycles)");
    exos::println!("fuzz: done");
}

exos::main!(main);
