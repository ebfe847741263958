//! Tests of the `help` text and of the tool table against the programs installed in /bin.
use crate::exec_plan::Builtin;
use crate::help::{TOOLS, text, tool_line};
extern crate std;
use std::string::String;
use std::vec::Vec;

/// The programs cargo builds from `user/tools/src/bin` (files `NAME.rs`, folders `NAME/main.rs`),
/// which the build installs in /bin.
fn installed_tools() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../user/tools/src/bin");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            if path.extension().is_some_and(|ext| ext == "rs") {
                Some(path.file_stem()?.to_str()?.into())
            } else if path.join("main.rs").is_file() {
                Some(path.file_name()?.to_str()?.into())
            } else {
                None
            }
        })
        .collect();
    names.sort();
    names
}

#[test]
fn every_tool_in_bin_has_exactly_one_line() {
    let listed: Vec<String> = TOOLS.iter().map(|(name, _)| String::from(*name)).collect();
    assert_eq!(listed, installed_tools(), "sh/src/help.rs TOOLS must name the programs of user/tools/src/bin, sorted");
    for (name, line) in TOOLS {
        assert!(!line.is_empty() && !line.contains('\n'), "{name}");
    }
}

#[test]
fn help_lists_builtins_then_tools_aligned() {
    let out = text(["cat", "sh", "newtool"].into_iter());
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "builtins:");
    assert_eq!(lines.len(), 1 + Builtin::ALL.len() + 1 + 3);
    let width = Builtin::ALL.iter().map(|b| b.usage().len()).max().unwrap();
    assert_eq!(lines[1], std::format!("  {:width$}  {}", "cd [DIR]", Builtin::Cd.summary()));
    assert_eq!(lines[1 + Builtin::ALL.len()], "tools in /bin:");
    let cat = std::format!("  {:width$}  {}", "cat", tool_line("cat").unwrap());
    assert_eq!(lines[2 + Builtin::ALL.len()], cat);
    assert_eq!(*lines.last().unwrap(), std::format!("  {:width$}  (no description)", "newtool"));
    assert_eq!(tool_line("bad_kernel_write"), None);
}
