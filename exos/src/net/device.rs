//! smoltcp's `Device` over the kernel link: a received frame is read in place from the receive
//! ring (no copy before smoltcp parses it) and its slot given back when smoltcp is done; a frame
//! to send is built in a buffer on the stack and handed to `net_send` through the port it
//! belongs to.
use super::link::Link;
use abi::net::MAX_FRAME;
use core::cell::Cell;
use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

/// The stack's device: the link, and the frames counted both ways.
pub struct Device {
    pub link: Link,
    pub rx_frames: Cell<u64>,
    pub tx_frames: Cell<u64>,
}

impl Device {
    pub fn new(link: Link) -> Device {
        Device { link, rx_frames: Cell::new(0), tx_frames: Cell::new(0) }
    }
}

/// One received frame: the ring slot at the consumer index.
pub struct RxToken<'a> {
    link: &'a Link,
    frame: &'static [u8],
}

/// Room to send one frame.
pub struct TxToken<'a> {
    link: &'a Link,
    sent: &'a Cell<u64>,
}

impl phy::RxToken for RxToken<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        let result = f(self.frame);
        self.link.pop();
        result
    }
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = [0u8; MAX_FRAME];
        let len = len.min(MAX_FRAME);
        let result = f(&mut buf[..len]);
        if self.link.send(&buf[..len]).is_ok() {
            self.sent.set(self.sent.get() + 1);
        }
        result
    }
}

impl phy::Device for Device {
    type RxToken<'a> = RxToken<'a>;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, _now: Instant) -> Option<(RxToken<'_>, TxToken<'_>)> {
        let frame = self.link.peek()?;
        self.rx_frames.set(self.rx_frames.get() + 1);
        Some((RxToken { link: &self.link, frame }, TxToken { link: &self.link, sent: &self.tx_frames }))
    }

    fn transmit(&mut self, _now: Instant) -> Option<TxToken<'_>> {
        Some(TxToken { link: &self.link, sent: &self.tx_frames })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MAX_FRAME;
        caps
    }
}
