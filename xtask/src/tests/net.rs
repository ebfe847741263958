//! Network tests (issue 18, kernel side): the raw path through the kernel's calls (`net_ping`:
//! ARP and ICMP echo with the slirp gateway, replies through a ring, sleeping in `env_wait`), and
//! the hostile tests of the downloaded packet filters' ownership, port claims and transmit checks
//! (`bad_dpf_*`). Each boots with a NIC on QEMU's user-mode network; traffic goes only to the
//! gateway 10.0.2.2 inside QEMU.
use super::{checks, IntegrationTest};

pub const NET: &[IntegrationTest] = &[
    IntegrationTest {
        name: "net_ping_raw",
        cmdline_run: "net_ping",
        expect: &["3 packets transmitted, 3 received", checks!("net_ping"), "'net_ping' exited with code 0"],
        forbid: &["FAIL"],
        nic: true,
        ..IntegrationTest::DEFAULT
    },
];
