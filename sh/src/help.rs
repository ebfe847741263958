//! What the `help` builtin prints: every builtin ([`Builtin::ALL`], its synopsis and line) and
//! every tool in /bin with one line from [`TOOLS`]. A host test checks that [`TOOLS`] names
//! exactly the programs in `user/tools/src/bin` (the programs installed in /bin), so a tool added
//! without its line fails `cargo test`; the `sh_help_and_path` integration test checks the output against
//! the real /bin.
use crate::exec_plan::Builtin;
use alloc::format;
use alloc::string::String;

/// One line for each tool in /bin (the programs of `user/tools/src/bin`), sorted by name.
pub const TOOLS: &[(&str, &str)] = &[
    ("cat", "copy files (or stdin) to stdout"),
    ("cksum", "the POSIX checksum and byte count of files or stdin"),
    ("cp", "copy files (cp SOURCE TARGET, cp SOURCE... DIR)"),
    ("df", "space used and free on each file system"),
    ("du", "space the files under a path take (du -s for totals)"),
    ("echo", "print the arguments"),
    ("env", "print the environment"),
    ("exostat", "the kernel's per-mechanism counters and each environment's resources"),
    ("false", "do nothing, unsuccessfully"),
    ("free", "physical memory in use and free"),
    ("grep", "the lines containing a fixed string"),
    ("head", "the first lines of files"),
    ("httpd", "serve the file system over HTTP on a port (read-only)"),
    ("ifconfig", "the network interface: address, MAC, counters"),
    ("init", "the demo tour of what a program sees in its environment"),
    ("ls", "list directories"),
    ("memtouch", "allocate and write N MiB, and say how long it took"),
    ("mkdir", "make directories"),
    ("mv", "rename or move files"),
    ("nc", "TCP/UDP client and listener (nc HOST PORT, nc -l PORT, -u)"),
    ("ping", "send ICMP echo requests (ping -c N ADDRESS)"),
    ("ps", "the process table"),
    ("rm", "remove files (rm -f: ignore missing ones)"),
    ("rmdir", "remove empty directories"),
    ("sh", "the shell (sh -c LINE, sh FILE)"),
    ("sleep", "wait some seconds"),
    ("sort", "sort lines"),
    ("tail", "the last lines of files"),
    ("touch", "create empty files, or update their times"),
    ("true", "do nothing, successfully"),
    ("udpecho", "echo UDP datagrams on a port"),
    ("uniq", "collapse adjacent equal lines"),
    ("uptime", "time since boot and the number of environments"),
    ("wc", "count lines, words and bytes"),
    ("wget", "fetch an http:// URL into a file (-O FILE, -O - for stdout)"),
];

/// The line of tool `name`, if it has one.
pub fn tool_line(name: &str) -> Option<&'static str> {
    TOOLS.iter().find(|(tool, _)| *tool == name).map(|(_, line)| *line)
}

/// The help text for the tools `bin` (the names in /bin, in the order to print them): the
/// builtins, then the tools, one `  NAME  LINE` each with the lines aligned; a tool without a
/// line in [`TOOLS`] is listed with `(no description)`.
pub fn text<'a>(bin: impl Iterator<Item = &'a str> + Clone) -> String {
    let width = Builtin::ALL
        .iter()
        .map(|b| b.usage().len())
        .chain(bin.clone().map(str::len))
        .max()
        .unwrap_or(0);
    let mut out = String::from("builtins:\n");
    for b in Builtin::ALL {
        out += &format!("  {:width$}  {}\n", b.usage(), b.summary());
    }
    out += "tools in /bin:\n";
    for name in bin {
        out += &format!("  {name:width$}  {}\n", tool_line(name).unwrap_or("(no description)"));
    }
    out
}
