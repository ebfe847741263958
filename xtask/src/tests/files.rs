//! Integration tests of the boot file system and file descriptors, and of the kernel refusing a
//! malformed boot archive (broken copies `bootfs.rs` writes next to the real one).
use super::{checks, IntegrationTest};
use crate::bootfs::{DOTDOT_INITRD, DUPLICATE_INITRD};

pub const FILES: &[IntegrationTest] = &[
    IntegrationTest {
        name: "files_and_descriptors",
        cmdline_run: "files,hello",
        expect: &[
            "files: /bin lists ",
            checks!("files"),
            "'files' exited with code 0",
            "hello from ring 3",
            "exo: all programs finished",
        ],
        forbid: &["FAIL", "'files' killed", "fd_cat:", "panic"],
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "initrd_with_dotdot_path_refused",
        cmdline_run: "hello",
        expect: &["exo: bad initrd at ", ": cpio entry at 0x0: its path has a `..` component"],
        forbid: &["hello from ring 3"],
        exit_status: 5,
        initrd: Some(DOTDOT_INITRD),
        ..IntegrationTest::DEFAULT
    },
    IntegrationTest {
        name: "initrd_with_duplicate_path_refused",
        cmdline_run: "hello",
        expect: &["exo: bad initrd at ", "its path is already stored by the entry at 0x0"],
        forbid: &["hello from ring 3"],
        exit_status: 5,
        initrd: Some(DUPLICATE_INITRD),
        ..IntegrationTest::DEFAULT
    },
];
