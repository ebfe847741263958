//! The virtio-net driver: `virtio-drivers`' `VirtIONetRaw` over the modern PCI transport, with
//! Exo's own buffers. Receive: `RX_BUFFERS` buffers of `BUFFER_LEN` bytes are always posted; the
//! device's interrupt (legacy INTx through the IOAPIC, level-triggered, vector [`VECTOR`]) makes
//! [`poll`] hand each received frame to its caller and post the buffer again (at most
//! `QUEUE_SIZE` frames per interrupt: bounded with interrupts off). Transmit: [`transmit`] copies the
//! frame into a free one of `TX_BUFFERS` buffers and notifies the device; there is no transmit
//! interrupt: finished buffers are reclaimed at the next send.
//!
//! The device knows Ethernet framing only; protection (who may send what, who gets what) is `net/`.
use super::hal::{self, ExoHal};
use super::{ioapic, pci};
use crate::arch::x86_64::lapic;
use crate::mem::phys;
use abi::Error;
use virtio_drivers::device::net::VirtIONetRaw;
use virtio_drivers::transport::pci::PciTransport;

/// The vector the NIC's interrupt arrives on (above the 8259's `0x30..0x40`).
pub const VECTOR: u8 = 0x40;
/// Descriptors per queue.
const QUEUE_SIZE: usize = 64;
const RX_BUFFERS: usize = QUEUE_SIZE;
/// Transmit buffers in flight at once (each frame takes one descriptor).
const TX_BUFFERS: usize = 32;
/// Bytes of one buffer: the 12-byte virtio-net header and a 1514-byte frame fit.
const BUFFER_LEN: usize = 2048;

struct Nic {
    dev: VirtIONetRaw<ExoHal, PciTransport, QUEUE_SIZE>,
    /// Physical address of the buffers: receive ones first, then transmit ones.
    buffers: u64,
    /// Which receive buffer each token (descriptor) holds.
    rx_of_token: [u16; QUEUE_SIZE],
    /// Which token each transmit buffer is in flight as, and its length (`None`: free).
    tx_token: [Option<(u16, u16)>; TX_BUFFERS],
    irq: u8,
}

static NIC: spin::Mutex<Option<Nic>> = spin::Mutex::new(None);

// SAFETY (for the buffer views below): the buffers are kernel-owned DMA frames reached through the
// direct map; a receive buffer is viewed by the kernel only while the device does not own it
// (before `receive_begin`, after `receive_complete`), a transmit buffer only while it is free;
// the kernel runs on one CPU with interrupts off and never holds a view across those points.
fn buffer(base: u64, index: usize) -> &'static mut [u8] {
    let pa = base + (index * BUFFER_LEN) as u64;
    // SAFETY: see above: inside the DMA allocation, exclusively the kernel's at this point.
    unsafe { core::slice::from_raw_parts_mut(phys::to_virt(pa) as *mut u8, BUFFER_LEN) }
}

/// Finds a virtio-net device on PCI bus 0, brings it up, posts the receive buffers and routes its
/// interrupt; returns its MAC address (`None`: no NIC, or it failed, said in the log).
pub fn init() -> Option<[u8; 6]> {
    // Transitional (0x1000) or modern (0x1041) virtio-net.
    let found = pci::find(0x1af4, &[0x1000, 0x1041])?;
    pci::enable(found.function, false);
    let mut root = pci::root();
    let transport = match PciTransport::new::<ExoHal, _>(&mut root, found.function) {
        Ok(t) => t,
        Err(e) => {
            log::warn!("net: virtio-net transport: {e:?}");
            return None;
        }
    };
    let dev = match VirtIONetRaw::<ExoHal, PciTransport, QUEUE_SIZE>::new(transport) {
        Ok(d) => d,
        Err(e) => {
            log::warn!("net: virtio-net init: {e:?}");
            return None;
        }
    };
    let pages = ((RX_BUFFERS + TX_BUFFERS) * BUFFER_LEN).div_ceil(abi::layout::PAGE_SIZE as usize) as u64;
    let buffers = hal::dma_pages(pages)?;
    let mut nic = Nic { dev, buffers, rx_of_token: [0; QUEUE_SIZE], tx_token: [None; TX_BUFFERS], irq: found.irq_line };
    for i in 0..RX_BUFFERS {
        post(&mut nic, i).ok()?;
    }
    let mac = nic.dev.mac_address();
    if found.irq_line >= 16 || !ioapic::route(found.irq_line, VECTOR, true, lapic::id()) {
        log::warn!("net: virtio-net has no usable interrupt line ({})", found.irq_line);
        return None;
    }
    nic.dev.enable_interrupts();
    log::info!("net: virtio-net at {:02x}:{:02x}.{} MAC {:02x?}, IRQ {} -> IOAPIC pin {} -> vector {VECTOR:#x}",
        found.function.bus, found.function.device, found.function.function, mac, nic.irq, nic.irq);
    *NIC.lock() = Some(nic);
    Some(mac)
}

/// Gives receive buffer `index` to the device.
fn post(nic: &mut Nic, index: usize) -> Result<(), Error> {
    let buf = buffer(nic.buffers, index);
    // SAFETY: the buffer is DMA memory the kernel will not touch until the device returns it
    // through `poll_receive` (it is then passed back to `receive_complete` unchanged).
    let token = unsafe { nic.dev.receive_begin(buf) }.map_err(|_| Error::Busy)?;
    nic.rx_of_token[usize::from(token)] = index as u16;
    Ok(())
}

/// Acknowledges the device's interrupt and hands every received frame (at most `QUEUE_SIZE`) to
/// `deliver`, re-posting each buffer.
pub fn poll(mut deliver: impl FnMut(&[u8])) {
    let mut guard = NIC.lock();
    let Some(nic) = guard.as_mut() else { return };
    nic.dev.ack_interrupt();
    for _ in 0..QUEUE_SIZE {
        let Some(token) = nic.dev.poll_receive() else { break };
        let index = usize::from(nic.rx_of_token[usize::from(token)]);
        let buf = buffer(nic.buffers, index);
        // SAFETY: `buf` is the buffer posted as `token` (recorded in `rx_of_token`).
        match unsafe { nic.dev.receive_complete(token, buf) } {
            Ok((header, len)) => deliver(&buf[header..header + len.min(BUFFER_LEN - header)]),
            Err(e) => log::warn!("net: receive: {e:?}"),
        }
        if post(nic, index).is_err() {
            log::warn!("net: could not re-post receive buffer {index}");
        }
    }
}

/// Queues `frame` for transmission (reclaiming finished buffers first); `Busy` when every
/// transmit buffer is still the device's.
pub fn transmit(frame: &[u8]) -> Result<(), Error> {
    let mut guard = NIC.lock();
    let nic = guard.as_mut().ok_or(Error::Busy)?;
    while let Some(token) = nic.dev.poll_transmit() {
        let Some(i) = nic.tx_token.iter().position(|t| t.is_some_and(|(k, _)| k == token)) else { break };
        let len = nic.tx_token[i].map_or(0, |(_, len)| usize::from(len));
        let buf = buffer(nic.buffers, RX_BUFFERS + i);
        // SAFETY: the buffer (first `len` bytes) was passed to `transmit_begin` as `token`.
        let _ = unsafe { nic.dev.transmit_complete(token, &buf[..len]) };
        nic.tx_token[i] = None;
    }
    let i = nic.tx_token.iter().position(Option::is_none).ok_or(Error::Busy)?;
    if !nic.dev.can_send() {
        return Err(Error::Busy);
    }
    let buf = buffer(nic.buffers, RX_BUFFERS + i);
    let header = nic.dev.fill_buffer_header(buf).map_err(|_| Error::Busy)?;
    let len = header + frame.len();
    buf[header..len].copy_from_slice(frame);
    // SAFETY: the buffer is not touched until `poll_transmit` returns its token (above, at a later
    // send), when it is passed to `transmit_complete` with the same length.
    let token = unsafe { nic.dev.transmit_begin(&buf[..len]) }.map_err(|_| Error::Busy)?;
    nic.tx_token[i] = Some((token, len as u16));
    Ok(())
}
