//! Networking in the library OS: each process runs its own TCP/IP stack (smoltcp) over the
//! kernel's network calls, with no stack state shared between environments.
//!
//! - `link.rs`: the kernel's side: the NIC capability, the ports this process claimed (port
//!   capabilities) with their packet filters, the receive ring the kernel fills, `net_send`;
//! - `filter.rs`: the filters installed per port, and the port each outgoing frame goes through;
//! - `device.rs`: smoltcp's device over the link (frames read in place from the ring);
//! - `stack.rs`: the process's interface and sockets, made on first use; blocking in `env_wait`;
//! - `dhcp.rs`: configuring the NIC by DHCP (`net_config`), by a holder of the configuring right;
//! - `socket.rs`: TCP, UDP and ICMP echo sockets over the stack (the descriptor layer,
//!   `fs/fd/`, puts them behind file descriptors; `fs/fd/poll.rs` waits on them with the terminal).
//!
//! May call: `sys/` (system calls, waits, shared views), `proc::process` (ids, signals), `fs::errno`.
//! Pure logic (URLs, HTTP heads, frame bindings, `ping` statistics) is in `exoscore::net`.
pub mod device;
pub mod dhcp;
pub mod filter;
pub mod link;
pub mod socket;
pub mod stack;

pub use abi::net::NetInfo;
pub use link::info;
