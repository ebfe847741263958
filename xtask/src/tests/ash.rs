//! Tests of downloaded packet filters (`dpf`) and handlers (`ash`) through the real system calls,
//! each booted with a virtio-net NIC on QEMU's user-mode network (the guest talks only to the
//! slirp gateway 10.0.2.2 inside QEMU).
use super::{checks, IntegrationTest};

pub const ASH: &[IntegrationTest] = &[
    IntegrationTest {
        name: "bad_ash_loop",
        cmdline_run: "bad_ash_loop,hello",
        expect: &[checks!("bad_ash_loop"), "hello from ring 3", "exo: all programs finished"],
        forbid: &["FAIL"],
        nic: true,
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_ash_oob",
        cmdline_run: "bad_ash_oob,hello",
        expect: &[checks!("bad_ash_oob"), "hello from ring 3", "exo: all programs finished"],
        forbid: &["FAIL"],
        nic: true,
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "ash_pingpong",
        cmdline_run: "ash_pingpong",
        expect: &[checks!("ash_pingpong"), "exo: all programs finished"],
        forbid: &["FAIL"],
        nic: true,
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_ash_spoof",
        cmdline_run: "bad_ash_spoof",
        expect: &[checks!("bad_ash_spoof"), "exo: all programs finished"],
        forbid: &["FAIL"],
        nic: true,
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_ash_foreign",
        cmdline_run: "bad_ash_foreign",
        expect: &[checks!("bad_ash_foreign"), "exo: all programs finished"],
        forbid: &["FAIL"],
        nic: true,
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_dpf_steal",
        cmdline_run: "bad_dpf_steal",
        expect: &[checks!("bad_dpf_steal"), "exo: all programs finished"],
        forbid: &["FAIL"],
        nic: true,
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "bad_dpf_decode",
        cmdline_run: "bad_dpf_decode",
        expect: &[checks!("bad_dpf_decode"), "exo: all programs finished"],
        forbid: &["FAIL"],
        nic: true,
        ..IntegrationTest::DEFAULT
    },
];
