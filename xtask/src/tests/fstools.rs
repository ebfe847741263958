//! Integration test of the file tools (issue 20 item 4) on the session's `/tmp` and the boot
//! archive: `cp`, `mv` (an atomic rename, replacing its target; `EXDEV` across file systems),
//! `rm` (`-f`), `touch`, `mkdir`/`rmdir` (refused with a precise error where the file system has
//! no directories to make or is read-only), `df`, `du` and the shell's `>>`.
use super::IntegrationTest;

pub const FSTOOLS: &[IntegrationTest] = &[IntegrationTest {
    name: "fs_tools",
    cmdline_run: "sh -- echo one > /tmp/a; echo two >> /tmp/a; cp /tmp/a /tmp/b; echo cp=$?; cat /tmp/b; \
                  mv /tmp/b /tmp/a2; echo mv=$?; ls /tmp; cat /tmp/b; touch /tmp/t /tmp/a; ls -l /tmp; \
                  echo new > /tmp/n; mv /tmp/n /tmp/a; cat /tmp/a; cp /bin/echo /tmp/e; cksum /bin/echo /tmp/e; \
                  rm /tmp/a /tmp/missing; echo rm=$?; rm -f /tmp/missing; echo rmf=$?; \
                  mkdir /tmp/d; mkdir /etc; mkdir /etc/x; rmdir /etc; rmdir /tmp/a2; mv /tmp/a2 /etc/a2; \
                  du -s /tmp; df; rm /tmp/a2 /tmp/t /tmp/e; ls /tmp; echo done",
    expect: &[
        "cp=0",
        "two",
        "mv=0",
        "a2",
        "cat: /tmp/b: ENOENT",
        "-rw-r--r--        0 t",
        "new",
        "rm: /tmp/missing: ENOENT",
        "rm=1",
        "rmf=0",
        "mkdir: /tmp/d: EOPNOTSUPP",
        "mkdir: /etc: EEXIST",
        "mkdir: /etc/x: EROFS",
        "rmdir: /etc: EROFS",
        "rmdir: /tmp/a2: ENOTDIR",
        "mv: /tmp/a2: EXDEV",
        "/tmp",
        "bootfs",
        "tmpfs ",
        "done",
        "exo: all programs finished",
    ],
    forbid: &["panic", "killed"],
    ..IntegrationTest::DEFAULT
}];
