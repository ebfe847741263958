//! Networking in the library OS: each process runs its own TCP/IP stack (smoltcp) over the
//! kernel's network calls, with no stack state shared between environments.
//!
//! - `link.rs`: the kernel's side: the NIC capability, the ports this process claimed (port
//!   capabilities) with their packet filters, the receive ring the kernel fills, `net_send`;
//! - `filter.rs`: the ports held, the filters installed in them, the port each outgoing frame goes
//!   through;
//! - `device.rs`: smoltcp's device over the link (frames read in place from the ring);
//! - `iface.rs`: the clock, the address configuration, building a smoltcp interface;
//! - `dhcp.rs`: configuring the NIC by DHCP (`net_config`), by a holder of the configuring right;
//! - `table.rs`: the stack's sockets by index;
//! - `stack.rs`: the process's interface and sockets, made on first use; blocking in `env_wait`;
//! - `socket.rs`: TCP, UDP and ICMP echo sockets over the stack;
//! - `fd.rs`: sockets as file descriptors, and the entry the descriptor layer (`fs/fd/socket.rs`)
//!   calls for `read`, `write`, `close`, `dup` and `poll`, registered with the first socket, so a
//!   program without sockets links no network code.
//!
//! May call: `sys/` (system calls, waits, shared views), `proc::process` (ids, signals), `fs::errno`.
//! Pure logic (URLs, HTTP heads, frame bindings, `ping` statistics) is in `exoscore::net`.
pub mod device;
pub mod dhcp;
pub mod fd;
pub mod filter;
pub mod iface;
pub mod link;
pub mod socket;
pub mod stack;
pub mod table;

pub use abi::net::NetInfo;
pub use link::info;
