//! Network tests (issue 18, kernel side): the raw path through the kernel's calls (`net_ping`:
//! ARP and ICMP echo with the slirp gateway, replies through a ring, sleeping in `env_wait`), and
//! the hostile tests of the downloaded packet filters' ownership, port claims and transmit checks
//! (`bad_dpf_*`). Each boots with a NIC on QEMU's user-mode network; traffic goes only to the
//! gateway 10.0.2.2 inside QEMU.
use super::{checks, IntegrationTest};
use std::time::Duration;

pub const NET: &[IntegrationTest] = &[
    IntegrationTest {
        name: "net_ping_raw",
        cmdline_run: "net_ping",
        expect: &["3 packets transmitted, 3 received", checks!("net_ping"), "'net_ping' exited with code 0"],
        forbid: &["FAIL"],
        nic: true,
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        // The classifier's published cost under -icount (cycles count guest instructions): the
        // raw ping's frames (ARP and ICMP filters installed), then exostat shows the average.
        name: "dpf_classify_icount",
        cmdline_run: "net_ping,exostat",
        expect: &["3 packets transmitted, 3 received", "net frames classified", "net handler runs", "net classify: "],
        forbid: &["FAIL"],
        icount: true,
        nic: true,
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_dpf_steal_port",
        cmdline_run: "bad_dpf_steal_port",
        expect: &[checks!("bad_dpf_steal_port"), "'bad_dpf_steal_port' exited with code 0"],
        forbid: &["FAIL"],
        nic: true,
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_dpf_outside_port",
        cmdline_run: "bad_dpf_outside_port",
        expect: &[checks!("bad_dpf_outside_port"), "'bad_dpf_outside_port' exited with code 0"],
        forbid: &["FAIL"],
        nic: true,
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_dpf_forged_send",
        cmdline_run: "bad_dpf_forged_send",
        expect: &[checks!("bad_dpf_forged_send"), "'bad_dpf_forged_send' exited with code 0"],
        forbid: &["FAIL"],
        nic: true,
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_dpf_ring",
        cmdline_run: "bad_dpf_ring",
        expect: &[checks!("bad_dpf_ring"), "'bad_dpf_ring' exited with code 0"],
        forbid: &["FAIL"],
        nic: true,
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_dpf_nic_rights",
        cmdline_run: "bad_dpf_nic_rights",
        expect: &[checks!("bad_dpf_nic_rights"), "'bad_dpf_nic_rights' exited with code 0"],
        forbid: &["FAIL"],
        nic: true,
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "syscall_fuzzer_net",
        cmdline_run: "fuzz,hello -- 300000",
        expect: &[
            "fuzz: a NIC is attached",
            "fuzz: seed 0x9e3779b97f4a7c15: 300000 calls",
            "fuzz: net calls that succeeded: <N> port claims",
            "fuzz: handlers: <N> bound, <N> refused by the verifier",
            "fuzz: seed 0xdeadbeefcafef00d: 300000 calls",
            "fuzz: seed 0x2a: 300000 calls",
            "fuzz: the stranger's grants into my table: <N> tried, 0 not refused",
            ", under one tick (",
            "fuzz: done",
            "'fuzz' exited with code 0",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["'fuzz' killed", "NOT under one tick"],
        timeout: Duration::from_secs(180),
        icount: true,
        nic: true,
        ..IntegrationTest::DEFAULT
    },
];
