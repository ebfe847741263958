//! Tests of pipeline plans: pipes, redirections in order, builtins, expansion of file names.
use super::expand::MapEnv;
use crate::exec_plan::{Builtin, DEFAULT_PATH, Io, Mode, Plan, PlanError, budget_pages, builtin, plan, search_path};
use crate::parse::parse;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

fn plan_of(line: &str) -> Result<Plan, PlanError> {
    let script = parse(line).unwrap();
    let env = MapEnv::new(&[("F", "out.txt"), ("D", "/tmp")], 0);
    plan(&script.items[0].and_or.first, &env)
}

fn file(path: &str, mode: Mode) -> Io {
    Io::File {
        path: path.into(),
        mode,
    }
}

fn fds(line: &str) -> Vec<[Io; 3]> {
    plan_of(line)
        .unwrap()
        .stages
        .into_iter()
        .map(|s| s.fds)
        .collect()
}

#[test]
fn single_command_inherits_everything() {
    let plan = plan_of("ls -l").unwrap();
    assert_eq!(plan.pipes, 0);
    assert_eq!(plan.stages.len(), 1);
    assert_eq!(plan.stages[0].argv, vec!["ls", "-l"]);
    assert_eq!(plan.stages[0].fds, [Io::Inherit, Io::Inherit, Io::Inherit]);
    assert_eq!(plan.stages[0].builtin, None);
}

#[test]
fn pipes_join_neighbours() {
    let plan = plan_of("a | b | c").unwrap();
    assert_eq!(plan.pipes, 2);
    let fds: Vec<_> = plan.stages.into_iter().map(|s| s.fds).collect();
    assert_eq!(
        fds,
        vec![
            [Io::Inherit, Io::PipeWrite(0), Io::Inherit],
            [Io::PipeRead(0), Io::PipeWrite(1), Io::Inherit],
            [Io::PipeRead(1), Io::Inherit, Io::Inherit],
        ]
    );
}

#[test]
fn file_redirections() {
    assert_eq!(
        fds("sort < in > $F 2>> err"),
        vec![[
            file("in", Mode::Read),
            file("out.txt", Mode::Truncate),
            file("err", Mode::Append),
        ]]
    );
    assert_eq!(
        fds("a >> log 2> e"),
        vec![[
            Io::Inherit,
            file("log", Mode::Append),
            file("e", Mode::Truncate)
        ]]
    );
}

#[test]
fn later_redirection_wins() {
    assert_eq!(
        fds("a > x > y"),
        vec![[Io::Inherit, file("y", Mode::Truncate), Io::Inherit]]
    );
}

#[test]
fn redirection_overrides_the_pipe() {
    assert_eq!(
        fds("a > f | b < g"),
        vec![
            [Io::Inherit, file("f", Mode::Truncate), Io::Inherit],
            [file("g", Mode::Read), Io::Inherit, Io::Inherit],
        ]
    );
}

#[test]
fn dups_copy_the_current_target() {
    assert_eq!(
        fds("a > f 2>&1"),
        vec![[
            Io::Inherit,
            file("f", Mode::Truncate),
            file("f", Mode::Truncate)
        ]]
    );
    assert_eq!(
        fds("a 2>&1 > f"),
        vec![[Io::Inherit, file("f", Mode::Truncate), Io::Inherit]]
    );
    assert_eq!(
        fds("a 2>&1 | b"),
        vec![
            [Io::Inherit, Io::PipeWrite(0), Io::PipeWrite(0)],
            [Io::PipeRead(0), Io::Inherit, Io::Inherit],
        ]
    );
    assert_eq!(
        fds("a 2> e >&2"),
        vec![[
            Io::Inherit,
            file("e", Mode::Truncate),
            file("e", Mode::Truncate)
        ]]
    );
}

#[test]
fn builtins_are_recognized() {
    assert_eq!(
        plan_of("cd $D").unwrap().stages[0].builtin,
        Some(Builtin::Cd)
    );
    assert_eq!(plan_of("cd $D").unwrap().stages[0].argv, vec!["cd", "/tmp"]);
    let names = ["cd", "pwd", "exit", "export", "unset", "jobs", "fg"];
    let found: Vec<_> = names.iter().map(|n| builtin(n)).collect();
    assert_eq!(
        found,
        vec![
            Some(Builtin::Cd),
            Some(Builtin::Pwd),
            Some(Builtin::Exit),
            Some(Builtin::Export),
            Some(Builtin::Unset),
            Some(Builtin::Jobs),
            Some(Builtin::Fg),
        ]
    );
    assert_eq!(builtin("ls"), None);
    assert_eq!(builtin("CD"), None);
    assert_eq!(builtin("wait"), Some(Builtin::Wait));
    assert_eq!(builtin("kill"), Some(Builtin::Kill));
    assert_eq!(builtin("help"), Some(Builtin::Help));
    assert_eq!(builtin(""), None);
}

#[test]
fn every_builtin_has_a_name_and_a_help_line() {
    for (i, b) in Builtin::ALL.into_iter().enumerate() {
        assert_eq!(builtin(b.name()), Some(b), "{b:?} is recognized by its name");
        assert!(!b.summary().is_empty() && !b.summary().contains('\n'), "{b:?}");
        assert!(b.usage().starts_with(b.name()), "{b:?}");
        assert!(!Builtin::ALL[..i].contains(&b), "{b:?} listed once");
    }
}

#[test]
fn assignment_only_stage() {
    let plan = plan_of("X=1 Y=$D").unwrap();
    assert_eq!(plan.stages[0].argv, Vec::<String>::new());
    assert_eq!(plan.stages[0].builtin, None);
    assert_eq!(
        plan.stages[0].assigns,
        vec![("X".into(), "1".into()), ("Y".into(), "/tmp".into())]
    );
}

#[test]
fn empty_file_name_is_an_error() {
    assert_eq!(plan_of("echo > $NONE"), Err(PlanError { pos: 5 }));
    assert_eq!(
        PlanError { pos: 5 }.to_string(),
        "sh: empty file name for redirection at column 6"
    );
    assert_eq!(
        fds("echo > \"\"x"),
        vec![[Io::Inherit, file("x", Mode::Truncate), Io::Inherit]]
    );
}

#[test]
fn the_search_path_is_tried_in_order() {
    let found = |name, path| search_path(name, path).collect::<Vec<_>>();
    assert_eq!(found("cat", DEFAULT_PATH), ["/bin/cat"]);
    assert_eq!(found("echoargs", "/bin:/test/::rel"), ["/bin/echoargs", "/test/echoargs", "rel/echoargs"]);
    assert_eq!(found("cat", ""), Vec::<String>::new());
    assert_eq!(found("/bin/cat", "/bin"), Vec::<String>::new(), "a path is not searched");
    assert_eq!(found("./x", "/bin"), Vec::<String>::new());
    assert_eq!(found("", "/bin"), Vec::<String>::new());
}

#[test]
fn budgets_in_pages_or_bytes() {
    assert_eq!(budget_pages("512"), Some(512));
    assert_eq!(budget_pages("64M"), Some(16384));
    assert_eq!(budget_pages("1k"), Some(1), "bytes round up to a whole page");
    assert_eq!(budget_pages("2G"), Some(524_288));
    for bad in ["", "M", "-1", "1.5M", "12Q", "99999999999999999999", "18446744073709551615G"] {
        assert_eq!(budget_pages(bad), None, "{bad}");
    }
}
