//! PCI configuration space through the legacy mechanism #1 (ports 0xCF8 address / 0xCFC data), as
//! `virtio-drivers`' `ConfigurationAccess`, and a scan of bus 0 for a device by vendor and device
//! id. The kernel runs on one CPU with interrupts off, so an address/data pair is never interleaved.
use crate::arch::x86_64::cpu::{inl, outl};
use virtio_drivers::transport::pci::bus::{ConfigurationAccess, DeviceFunction, PciRoot};

const ADDRESS_PORT: u16 = 0xcf8;
const DATA_PORT: u16 = 0xcfc;

/// Configuration access through ports 0xCF8/0xCFC.
pub struct PortCam;

fn address(df: DeviceFunction, offset: u8) -> u32 {
    0x8000_0000 | u32::from(df.bus) << 16 | u32::from(df.device) << 11 | u32::from(df.function) << 8 | u32::from(offset & 0xfc)
}

impl ConfigurationAccess for PortCam {
    fn read_word(&self, df: DeviceFunction, offset: u8) -> u32 {
        // SAFETY: mechanism #1: writing an enabled address to 0xCF8 selects a configuration
        // register and 0xCFC reads it; nothing else uses these ports, and reads have no side effect
        // on the registers `virtio-drivers` and this file read.
        unsafe {
            outl(ADDRESS_PORT, address(df, offset));
            inl(DATA_PORT)
        }
    }

    fn write_word(&mut self, df: DeviceFunction, offset: u8, data: u32) {
        // SAFETY: as for `read_word`; the callers write only the command register, BARs of a
        // device the kernel drives, and capability registers of that device.
        unsafe {
            outl(ADDRESS_PORT, address(df, offset));
            outl(DATA_PORT, data);
        }
    }

    // SAFETY: `PortCam` holds no state; port I/O is serialised by the kernel's single CPU with
    // interrupts off, so two copies cannot interleave an address/data pair.
    unsafe fn unsafe_clone(&self) -> Self {
        PortCam
    }
}

/// The PCI root over port access.
pub fn root() -> PciRoot<PortCam> {
    PciRoot::new(PortCam)
}

/// A device found on bus 0: where it is and its legacy interrupt line (the ISA IRQ the firmware
/// routed its INTx pin to; 0xff: none).
#[derive(Clone, Copy, Debug)]
pub struct Found {
    pub function: DeviceFunction,
    pub irq_line: u8,
}

/// The first function on bus 0 with `vendor` and one of `devices`.
pub fn find(vendor: u16, devices: &[u16]) -> Option<Found> {
    let cam = PortCam;
    for device in 0..32 {
        for function in 0..8 {
            let df = DeviceFunction { bus: 0, device, function };
            let id = cam.read_word(df, 0);
            if id == 0xffff_ffff {
                if function == 0 {
                    break;
                }
                continue;
            }
            if id as u16 == vendor && devices.contains(&((id >> 16) as u16)) {
                let irq_line = cam.read_word(df, 0x3c) as u8;
                return Some(Found { function: df, irq_line });
            }
        }
    }
    None
}

/// Enables memory decoding and bus mastering (DMA) for `df`, and masks its legacy INTx
/// (`disable_intx`) or lets it through.
pub fn enable(df: DeviceFunction, disable_intx: bool) {
    let mut cam = PortCam;
    let command = cam.read_word(df, 4) & 0xffff;
    let mut command = command | 0x2 | 0x4;
    if disable_intx {
        command |= 1 << 10;
    } else {
        command &= !(1 << 10);
    }
    cam.write_word(df, 4, command);
}
