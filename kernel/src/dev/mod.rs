//! Devices beyond the legacy PC ones (`arch::x86_64::legacy`): PCI configuration space (`pci`),
//! interrupt routing through the IOAPIC (`ioapic`), the `virtio-drivers` glue (`hal`: DMA memory
//! and address translation) and the virtio-net driver (`virtio_net`). `pci`, `ioapic` and `hal` are
//! device-neutral (a virtio-blk driver reuses them). This folder holds unsafe code (port I/O, MMIO,
//! DMA memory), each block with its `// SAFETY:` reasoning; the protection logic above the device
//! is `net/`.
pub mod hal;
pub mod ioapic;
pub mod pci;
pub mod virtio_net;
