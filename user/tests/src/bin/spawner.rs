//! ExOS's own loader: programs started from the boot archive with arguments and environment
//! variables, waited for, and every refusal a clear error.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use exos::proc::process::{self, Status};
use exos::proc::spawn::{spawn, SpawnError};
use user::Checks;

fn main() -> i64 {
    let mut c = Checks::new("spawner");
    let child = spawn("/test/echoargs", &["echoargs", "one", "two words"], &["GREETING=hello from the parent", "OTHER=x"]);
    c.check("spawn echoargs", child.is_ok());
    if let Ok(pid) = child {
        c.equal("it exits with its argc", process::wait(pid), Ok(Status::Exited(3)));
    }
    c.equal("no such program", spawn("nosuchprogram", &[], &[]), Err(SpawnError::NotFound));
    c.check("a bad ELF is refused with the loader's reason", matches!(spawn("bad_machine", &[], &[]), Err(SpawnError::BadElf(_))));
    let long = alloc::string::String::from_utf8(alloc::vec![b'x'; 5000]).unwrap_or_default();
    c.equal("arguments too long", spawn("echoargs", &[&long], &[]), Err(SpawnError::TooLong));
    // Ten at once, each with its own arguments.
    let pids: alloc::vec::Vec<_> = (0..10).filter_map(|i| {
        let args = ["echoargs"; 12];
        spawn("echoargs", &args[..=i], &[]).ok()
    }).collect();
    c.equal("ten children", pids.len(), 10);
    for (i, pid) in pids.iter().enumerate() {
        c.equal("each exits with its argc", process::wait(*pid), Ok(Status::Exited(i as i64 + 1)));
    }
    c.finish()
}

exos::main!(main);
