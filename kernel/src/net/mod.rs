//! The network interface's protection state: the NIC's identity and configuration, the port table
//! (`kcore::net::Ports`), the installed filters (`classify`) and the receive rings (`ring`) they
//! deliver into, the default owner, and the counters. The device itself is `dev::virtio_net`; the
//! system calls are `syscall/net.rs`.
//!
//! Receive: the device's interrupt hands each frame to [`receive`], which classifies it (longest
//! match over every filter), copies it into the owner's ring and notifies the owner
//! (`abi::net::NOTIFY_NET`); ARP frames are also copied into every ring whose filter asked for them
//! (`FILTER_ARP`); a frame nobody claims goes to the default owner or is dropped and counted.
//! Transmit: [`send`] checks the frame against the sender's port (`kcore::net::check_send`).
//!
//! Everything here is bounded: a frame is classified once and copied into at most `MAX_FILTERS`
//! rings. Port, filter and ring records are charged to the budget of the environment that made them
//! (`abi::net::PORT_CHARGE_PAGES`, `FILTER_CHARGE_PAGES`) and refunded when they go: a port with
//! its root capability, a filter with its port or ring capability (`cap_removed`, called by
//! `bind` for every removed capability, including at an environment's end).
//!
//! Lock order: this module's lock is taken before the capability space's and the budgets'; the
//! environment table is never taken under it (owners are notified after it is released).
mod classify;
mod handler;
mod ring;

use crate::cap::{self, Object};
use crate::stats;
use abi::net::{NetInfo, PortKind, ASH_CHARGE_PAGES, FILTER_ARP, FILTER_CHARGE_PAGES, FILTER_FLAGS, MAX_FILTERS, NOTIFY_NET, PORT_CHARGE_PAGES};
use abi::stats::Counter;
use abi::{env_index, Error, Rights};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use kcore::net::{ClaimError, Holder, Interface, Ports};
use ring::{Delivery, Ring};

/// One installed filter.
struct Filter {
    owner: u64,
    /// The slot of the port capability it was installed through.
    port_slot: u64,
    /// Its ring's key.
    ring: (usize, u64),
    arp: bool,
    /// The bound handler (`net_filter_ash`), run on each frame the filter claims.
    handler: Option<handler::Handler>,
}

struct Net {
    present: bool,
    mac: [u8; 6],
    ip: u32,
    netmask: u32,
    gateway: u32,
    ports: Ports,
    filters: BTreeMap<classify::Key, Filter>,
    rings: BTreeMap<(usize, u64), Ring>,
    default: Option<(usize, u64)>,
    classifier: classify::Classifier,
    info: NetInfo,
}

static NET: spin::Mutex<Net> = spin::Mutex::new(Net {
    present: false,
    mac: [0; 6],
    ip: 0,
    netmask: 0,
    gateway: 0,
    ports: Ports::new(),
    filters: BTreeMap::new(),
    rings: BTreeMap::new(),
    default: None,
    classifier: classify::Classifier::new(),
    info: NetInfo {
        mac: [0; 6],
        mtu: 1500,
        link_up: false,
        ip: 0,
        netmask: 0,
        gateway: 0,
        rx_frames: 0,
        rx_delivered: 0,
        rx_unclaimed: 0,
        rx_ring_full: 0,
        tx_frames: 0,
        tx_refused: 0,
        interrupts: 0,
        filters: 0,
        ports: 0,
        rx_cycles: 0,
    },
});

/// The device is up with this MAC address.
pub fn attach(mac: [u8; 6]) {
    let mut net = NET.lock();
    net.present = true;
    net.mac = mac;
    net.info.link_up = true;
}

/// Whether the machine has a NIC.
pub fn present() -> bool {
    NET.lock().present
}

/// Whether an environment that sleeps for notifications owns a receive ring: a frame can still
/// wake it (`NOTIFY_NET`), so it is not stuck. `exit.rs` asks this beside `wait::can_wake`.
/// The ring owners are read under the network lock, the sleepers after it is released.
pub fn can_wake() -> bool {
    let owners: Vec<usize> = {
        let net = NET.lock();
        if !net.present {
            return false;
        }
        net.rings.keys().map(|&(env, _)| env).collect()
    };
    let mut any = false;
    crate::envs::for_each_env(|env| {
        let sleeps = env.wait.is_some_and(|w| w.events & abi::WAIT_NOTIFY != 0);
        any |= sleeps && owners.contains(&env_index(env.id));
    });
    any
}

/// The Nic capability's object named by `caller`'s `slot` with `need`.
fn nic(caller: u64, slot: u64, need: u64) -> Result<(), Error> {
    match cap::check(caller, slot, Rights(need))? {
        Object::Nic => Ok(()),
        _ => Err(Error::WrongType),
    }
}

/// The port named by `caller`'s `slot` with `need` (the calls check it before copying anything
/// from the caller).
pub fn port(caller: u64, slot: u64, need: u64) -> Result<(PortKind, u16), Error> {
    match cap::check(caller, slot, Rights(need))? {
        Object::Port { kind, value } => PortKind::from_u64(u64::from(kind)).map(|k| (k, value)).ok_or(Error::WrongType),
        _ => Err(Error::WrongType),
    }
}

/// `net_info`: the interface's state.
pub fn info(caller: u64, slot: u64) -> Result<NetInfo, Error> {
    nic(caller, slot, abi::net::NIC_INFO)?;
    let net = NET.lock();
    let mut info = net.info;
    (info.mac, info.ip, info.netmask, info.gateway) = (net.mac, net.ip, net.netmask, net.gateway);
    (info.filters, info.ports) = (net.filters.len() as u64, net.ports.len() as u64);
    Ok(info)
}

/// `net_config`: sets the addresses the transmit check uses.
pub fn config(caller: u64, slot: u64, ip: u64, netmask: u64, gateway: u64) -> Result<(), Error> {
    nic(caller, slot, abi::net::NIC_CONFIG)?;
    let fits = |a: u64| u32::try_from(a).map_err(|_| Error::BadArgument);
    let (ip, netmask, gateway) = (fits(ip)?, fits(netmask)?, fits(gateway)?);
    if netmask.leading_ones() + netmask.trailing_zeros() != 32 {
        return Err(Error::BadArgument);
    }
    let mut net = NET.lock();
    (net.ip, net.netmask, net.gateway) = (ip, netmask, gateway);
    Ok(())
}

/// `net_port_claim`: returns the new capability's slot and the value it binds.
pub fn claim(caller: u64, slot: u64, kind: u64, value: u64) -> Result<(u64, u16), Error> {
    nic(caller, slot, abi::net::NIC_CLAIM)?;
    let kind = PortKind::from_u64(kind).ok_or(Error::BadArgument)?;
    let mut net = NET.lock();
    let value = net.ports.pick(kind, value).map_err(|e| match e {
        ClaimError::Taken | ClaimError::Exhausted => Error::Busy,
        ClaimError::Full => Error::QuotaExceeded,
        ClaimError::BadValue => Error::BadArgument,
    })?;
    crate::budget::charge(caller, PORT_CHARGE_PAGES)?;
    let new = match cap::insert_root(caller, Object::Port { kind: kind as u8, value }, Rights::ALL) {
        Ok(new) => new as u64,
        Err(e) => {
            crate::budget::refund(caller, PORT_CHARGE_PAGES);
            return Err(e);
        }
    };
    net.ports.insert(kind, value, Holder { id: caller, slot: new });
    Ok((new, value))
}

/// `net_filter_install`: returns the filter's id.
pub fn install(caller: u64, port_slot: u64, bytes: &[u8], ring_slot: u64, flags: u64) -> Result<u64, Error> {
    let (kind, value) = port(caller, port_slot, abi::net::PORT_RECEIVE)?;
    if flags & !FILTER_FLAGS != 0 {
        return Err(Error::BadArgument);
    }
    let ring_key = (env_index(caller), ring_slot);
    let mut net = NET.lock();
    let fresh_ring = match net.rings.get(&ring_key) {
        Some(_) => None,
        None => Some(Ring::open(caller, ring_slot)?),
    };
    if fresh_ring.is_none() {
        // Already a ring: the capability must still give `WRITE` (it does: the record goes with it).
        cap::check(caller, ring_slot, Rights::WRITE)?;
    }
    if net.filters.len() >= MAX_FILTERS {
        return Err(Error::QuotaExceeded);
    }
    crate::budget::charge(caller, FILTER_CHARGE_PAGES)?;
    let key = match net.classifier.insert(caller, kind, value, bytes) {
        Ok(key) => key,
        Err(e) => {
            crate::budget::refund(caller, FILTER_CHARGE_PAGES);
            return Err(e);
        }
    };
    let ring = net.rings.entry(ring_key).or_insert_with(|| fresh_ring.expect("a new ring was opened"));
    ring.users += 1;
    net.filters.insert(key, Filter { owner: caller, port_slot, ring: ring_key, arp: flags & FILTER_ARP != 0, handler: None });
    Ok(u64::from(key))
}

/// `net_filter_remove`.
pub fn remove(caller: u64, id: u64) -> Result<(), Error> {
    let mut net = NET.lock();
    let Ok(id) = classify::Key::try_from(id) else { return Err(Error::BadArgument) };
    match net.filters.get(&id) {
        None => Err(Error::BadArgument),
        Some(f) if f.owner != caller => Err(Error::NoRights),
        Some(_) => {
            drop_filter(&mut net, id);
            Ok(())
        }
    }
}

/// Takes filter `id` out of the classifier, releases its ring and refunds it.
fn drop_filter(net: &mut Net, id: classify::Key) {
    let Some(filter) = net.filters.remove(&id) else { return };
    if filter.handler.is_some() {
        crate::budget::refund(filter.owner, ASH_CHARGE_PAGES);
    }
    net.classifier.remove(id);
    release_ring(net, filter.ring);
    crate::budget::refund(filter.owner, FILTER_CHARGE_PAGES);
}

fn release_ring(net: &mut Net, key: (usize, u64)) {
    if let Some(ring) = net.rings.get_mut(&key) {
        ring.users -= 1;
        if ring.users == 0 {
            net.rings.remove(&key);
        }
    }
}

/// Why `net_filter_ash` failed.
pub enum BindError {
    Refused(Error),
    /// The verifier refused the program at instruction `pc` by rule `rule`.
    Unverified { pc: u32, rule: u32 },
}

impl From<Error> for BindError {
    fn from(e: Error) -> BindError {
        BindError::Refused(e)
    }
}

/// `net_filter_ash`: verifies `program` and binds it to `caller`'s filter `id` (empty: unbinds).
/// The region and the verification come first, outside this module's lock.
pub fn bind_handler(caller: u64, id: u64, program: &[u8], region_slot: u64) -> Result<(), BindError> {
    let Ok(id) = classify::Key::try_from(id) else { return Err(Error::BadArgument.into()) };
    let port_slot = {
        let net = NET.lock();
        let filter = net.filters.get(&id).ok_or(Error::BadArgument)?;
        if filter.owner != caller {
            return Err(Error::NoRights.into());
        }
        filter.port_slot
    };
    let handler = if program.is_empty() {
        None
    } else {
        let region = handler::Region::open(caller, region_slot)?;
        let port = port(caller, port_slot, abi::net::PORT_RECEIVE)?;
        let can_send = port_capability_sends(caller, port_slot);
        let handler = handler::Handler::new(program, region, region_slot, port, can_send)
            .map_err(|(pc, rule)| BindError::Unverified { pc, rule })?;
        Some(handler)
    };
    let mut net = NET.lock();
    let filter = net.filters.get_mut(&id).filter(|f| f.owner == caller).ok_or(Error::BadArgument)?;
    match (&filter.handler, &handler) {
        (None, Some(_)) => crate::budget::charge(caller, ASH_CHARGE_PAGES)?,
        (Some(_), None) => crate::budget::refund(caller, ASH_CHARGE_PAGES),
        _ => {}
    }
    filter.handler = handler;
    Ok(())
}

/// Whether `caller`'s port capability `slot` gives `PORT_SEND` (a handler's replies need it).
fn port_capability_sends(caller: u64, slot: u64) -> bool {
    port(caller, slot, abi::net::PORT_SEND).is_ok()
}

/// `net_default`: makes `caller` the default owner (`ring_slot` = `u64::MAX`: gives the role up).
pub fn set_default(caller: u64, nic_slot: u64, ring_slot: u64) -> Result<(), Error> {
    nic(caller, nic_slot, abi::net::NIC_CONFIG)?;
    let mut net = NET.lock();
    let mine = |key: (usize, u64)| key.0 == env_index(caller);
    if let Some(current) = net.default
        && !mine(current)
    {
        return Err(Error::Busy);
    }
    let key = (env_index(caller), ring_slot);
    // Every check before anything changes: the ring's capability still gives `WRITE`.
    let fresh = if ring_slot == u64::MAX {
        None
    } else if net.rings.contains_key(&key) {
        cap::check(caller, ring_slot, Rights::WRITE)?;
        None
    } else {
        Some(Ring::open(caller, ring_slot)?)
    };
    if net.default == Some(key) {
        return Ok(());
    }
    if let Some(current) = net.default.take() {
        release_ring(&mut net, current);
    }
    if ring_slot != u64::MAX {
        // `key` is not the old default's ring, so releasing that one left this one as it was.
        let ring = net.rings.entry(key).or_insert_with(|| fresh.expect("a ring not yet known was opened"));
        ring.users += 1;
        net.default = Some(key);
    }
    Ok(())
}

/// A capability went (revoked, deleted, its holder ended): frees the port it claimed (a root Port
/// capability), removes the filters installed through it or delivering into its memory, and drops
/// the default-owner role it carried. Called by `bind` for every removed capability.
pub fn cap_removed(env: usize, slot: u64, object: Object, root: bool) {
    if !matches!(object, Object::Port { .. } | Object::Page(_) | Object::Extent { .. }) {
        return;
    }
    let mut net = NET.lock();
    if net.filters.is_empty() && net.ports.is_empty() && net.default.is_none() {
        return;
    }
    // Only a port capability or a ring's memory has anything here (a map lookup for the pages and
    // extents every teardown removes).
    let is_port = matches!(object, Object::Port { .. });
    if !is_port && !net.rings.contains_key(&(env, slot)) {
        return;
    }
    if let (Object::Port { kind, value }, true) = (object, root)
        && let Some(holder) = net.ports.release(kind, value, |h| env_index(h.id) == env && h.slot == slot)
    {
        crate::budget::refund(holder.id, PORT_CHARGE_PAGES);
    }
    let doomed: Vec<classify::Key> = net.filters.iter()
        .filter(|(_, f)| env_index(f.owner) == env && (f.port_slot == slot || f.ring.1 == slot))
        .map(|(&id, _)| id)
        .collect();
    for id in doomed {
        drop_filter(&mut net, id);
    }
    for f in net.filters.values_mut() {
        if env_index(f.owner) == env && f.handler.as_ref().is_some_and(|h| h.region_slot == slot) {
            f.handler = None;
            crate::budget::refund(f.owner, ASH_CHARGE_PAGES);
        }
    }
    if net.default == Some((env, slot)) {
        net.default = None;
        release_ring(&mut net, (env, slot));
    }
}

/// `net_send`: checks `frame` against `caller`'s port `slot` and hands it to the device.
pub fn send(caller: u64, slot: u64, frame: &[u8]) -> Result<(), Error> {
    let (kind, value) = port(caller, slot, abi::net::PORT_SEND)?;
    let mut net = NET.lock();
    let nic = Interface { mac: net.mac, ip: net.ip };
    if let Err(refusal) = kcore::net::check_send(frame, kind, value, &nic) {
        log::debug!("net: env {caller} send refused: {refusal:?}");
        net.info.tx_refused += 1;
        stats::count(Counter::NetTxRefused);
        return Err(Error::OutsidePort);
    }
    crate::dev::virtio_net::transmit(frame)?;
    net.info.tx_frames += 1;
    stats::count(Counter::NetTxFrames);
    Ok(())
}

/// The NIC's interrupt: every received frame is demultiplexed into its rings, then the owners that
/// got frames are notified.
pub fn interrupt() {
    let start = crate::arch::x86_64::cpu::rdtsc();
    stats::count(Counter::NetInterrupts);
    let mut owners = Vec::new();
    crate::dev::virtio_net::poll(|frame| receive(frame, &mut owners));
    let (_, failed) = handler::flush();
    if failed > 0 {
        let mut net = NET.lock();
        net.info.tx_refused += failed;
    }
    wake(&owners);
    let mut net = NET.lock();
    net.info.interrupts += 1;
    net.info.rx_cycles += crate::arch::x86_64::cpu::rdtsc() - start;
}

/// Brings the NIC up if the machine has one.
pub fn init() {
    if let Some(mac) = crate::dev::virtio_net::init() {
        attach(mac);
    }
}

/// Demultiplexes one received frame into the rings that should get it; returns the owners to
/// notify (added to `wake`, without duplicates).
fn receive(frame: &[u8], wake: &mut Vec<u64>) {
    let mut net = NET.lock();
    let net = &mut *net;
    net.info.rx_frames += 1;
    stats::count(Counter::NetRxFrames);
    let mut targets: Vec<(usize, u64)> = Vec::new();
    if frame.get(12..14) == Some(&[0x08, 0x06]) {
        for f in net.filters.values().filter(|f| f.arp) {
            if !targets.contains(&f.ring) {
                targets.push(f.ring);
            }
        }
    }
    // The classifier's cost is published (cycles; under -icount, guest instructions).
    let start = crate::arch::x86_64::cpu::rdtsc();
    let key = net.classifier.classify(frame);
    let spent = crate::arch::x86_64::cpu::rdtsc().wrapping_sub(start);
    stats::count(Counter::NetClassified);
    stats::add(Counter::NetClassifyCycles, spent);
    let claimed = key.and_then(|key| net.filters.get(&key));
    // A bound handler runs first, before any scheduling; it may consume the frame.
    let mut handled = false;
    if let Some(f) = claimed
        && let Some(h) = &f.handler
    {
        let nic = Interface { mac: net.mac, ip: net.ip };
        let (action, outcome) = handler::run(h, frame, net.rings.get_mut(&f.ring), nic);
        stats::count(Counter::NetHandlerRuns);
        if matches!(action, ash::Action::Fault(_)) {
            stats::count(Counter::NetHandlerFaults);
        }
        stats::add(Counter::NetHandlerReplies, outcome.sent);
        handled = matches!(action, ash::Action::Consumed | ash::Action::Drop);
        net.info.tx_frames += outcome.sent;
        net.info.tx_refused += outcome.refused;
        net.info.rx_delivered += outcome.delivered;
        net.info.rx_ring_full += outcome.full;
        for _ in 0..outcome.sent {
            stats::count(Counter::NetTxFrames);
        }
        if outcome.delivered > 0
            && let Some(ring) = net.rings.get(&f.ring)
            && !wake.contains(&ring.owner)
        {
            wake.push(ring.owner);
        }
    }
    let claimed = if handled { None } else { claimed.map(|f| f.ring) };
    if handled && targets.is_empty() {
        // Consumed or dropped by its owner's handler: neither unclaimed nor the default owner's.
        return;
    }
    match claimed.or(if targets.is_empty() && !handled { net.default } else { None }) {
        Some(ring) if !targets.contains(&ring) => targets.push(ring),
        Some(_) => {}
        None if targets.is_empty() => {
            net.info.rx_unclaimed += 1;
            stats::count(Counter::NetRxUnclaimed);
        }
        None => {}
    }
    for key in targets {
        let Some(ring) = net.rings.get_mut(&key) else { continue };
        match ring.offer(frame) {
            Delivery::Delivered => {
                net.info.rx_delivered += 1;
                stats::count(Counter::NetRxDelivered);
                if !wake.contains(&ring.owner) {
                    wake.push(ring.owner);
                }
            }
            Delivery::Full => {
                net.info.rx_ring_full += 1;
                stats::count(Counter::NetRxRingFull);
            }
        }
    }
}

/// Notifies the owners that got frames (after the table lock is released).
fn wake(owners: &[u64]) {
    for &owner in owners {
        crate::wait::notify(owner, NOTIFY_NET);
    }
}
