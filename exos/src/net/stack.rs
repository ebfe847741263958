//! This process's TCP/IP stack: one smoltcp `Interface` and `SocketSet` over the kernel link,
//! made on first use and never shared with another environment (a forked child starts without
//! one and makes its own). The address comes from the kernel (`net_info`, set by whoever ran
//! DHCP, [`super::dhcp`]); if there is none yet and this process holds the configuring right, it
//! runs DHCP first.
//!
//! **Waiting** ([`block`]): poll the interface, test the caller's condition, and if it does not
//! hold, sleep in `env_wait` until the next frame (`NOTIFY_NET`, a notification: every ExOS sleep
//! waits for those), smoltcp's next timer (`poll_delay`: a retransmission, an ARP retry) or the
//! caller's deadline. A frame that arrives between the poll and the sleep leaves its notification
//! pending, so the sleep returns at once: no frame is missed and nothing spins.
use super::device::Device;
use super::iface::{addressing, interface, now, Addressing};
use super::link::{self, Link};
use super::table::Table;
use crate::fs::Errno;
use crate::sys::wait;
use smoltcp::iface::{Interface, SocketSet};
use smoltcp::time::Duration;
use spin::Mutex;

/// The process's stack (`None` until first used).
static STACK: Mutex<Option<Stack>> = Mutex::new(None);

pub struct Stack {
    pub iface: Interface,
    pub sockets: SocketSet<'static>,
    pub dev: Device,
    pub table: Table,
    pub addressing: Addressing,
}

impl Stack {
    fn open() -> Result<Stack, Errno> {
        let mut info = link::info()?;
        if info.ip == 0 {
            super::dhcp::configure()?;
            info = link::info()?;
        }
        let addressing = addressing(&info).ok_or(Errno::ENETDOWN)?;
        let mut dev = Device::new(Link::open()?);
        let iface = interface(&mut dev, info.mac, Some(addressing));
        Ok(Stack { iface, sockets: SocketSet::new(alloc::vec::Vec::new()), dev, table: Table::default(), addressing })
    }

    /// Runs the interface: every received frame in, every frame due out.
    pub fn poll(&mut self) {
        self.iface.poll(now(), &mut self.dev, &mut self.sockets);
    }

    /// When smoltcp next needs to run (nanoseconds since boot), if it has a timer pending.
    pub fn next_timer(&mut self) -> Option<u64> {
        let delay: Duration = self.iface.poll_delay(now(), &self.sockets)?;
        Some(wait::now_ns().saturating_add(delay.total_micros().saturating_mul(1000)))
    }
}

/// Runs `f` on the process's stack, making it first if needed.
pub fn with<R>(f: impl FnOnce(&mut Stack) -> Result<R, Errno>) -> Result<R, Errno> {
    let mut guard = STACK.lock();
    if guard.is_none() {
        *guard = Some(Stack::open()?);
    }
    f(guard.as_mut().ok_or(Errno::ENETDOWN)?)
}

/// Whether this process has made its stack.
pub fn exists() -> bool {
    STACK.lock().is_some()
}

/// In a child right after `fork`: the parent's stack (its ring is not mapped here, its port
/// capabilities are not the child's) is forgotten without being dropped, and the child makes its
/// own on first use.
pub fn after_fork() {
    if let Some(parent) = STACK.lock().take() {
        core::mem::forget(parent);
    }
    super::link::after_fork();
}

/// Drops this process's stack (its sockets, ports and ring); the next use makes a new one.
pub fn reset() {
    *STACK.lock() = None;
}

/// Polls the stack and calls `ready` until it gives a result: sleeping (see the module's
/// documentation) between tries, acting on signals, and giving `ETIMEDOUT` once `deadline`
/// (nanoseconds since boot) has passed. `extra` adds `env_wait` events to the sleep (e.g. the
/// console's).
pub fn block<R>(deadline: Option<u64>, mut ready: impl FnMut(&mut Stack) -> Option<Result<R, Errno>>) -> Result<R, Errno> {
    loop {
        let (result, timer) = with(|s| {
            s.poll();
            let result = ready(s);
            if result.is_some() {
                // What the caller did (queued data, closed a socket) goes out now.
                s.poll();
            }
            Ok((result, s.next_timer()))
        })?;
        if let Some(result) = result {
            return result;
        }
        if deadline.is_some_and(|d| wait::now_ns() >= d) {
            return Err(Errno::ETIMEDOUT);
        }
        crate::proc::process::check_signals();
        let wake = match (timer, deadline) {
            (Some(t), Some(d)) => Some(t.min(d)),
            (t, d) => t.or(d),
        };
        wait::sleep(0, wake);
    }
}
