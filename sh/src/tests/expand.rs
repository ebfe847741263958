//! Tests of expansion against a map environment.
use crate::expand::{self, Env, split_name_value};
use crate::parse::{Command, parse};
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// A map of variables and a status, as the shell keeps them.
pub struct MapEnv {
    pub vars: BTreeMap<String, String>,
    pub status: i32,
}

impl MapEnv {
    pub fn new(vars: &[(&str, &str)], status: i32) -> Self {
        MapEnv {
            vars: vars.iter().map(|&(k, v)| (k.into(), v.into())).collect(),
            status,
        }
    }
}

impl Env for MapEnv {
    fn get(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }
    fn status(&self) -> i32 {
        self.status
    }
}

fn env() -> MapEnv {
    MapEnv::new(
        &[
            ("HOME", "/home/u"),
            ("SP", "a  b"),
            ("EMPTY", ""),
            ("X", "1"),
        ],
        3,
    )
}

fn first_command(line: &str) -> Command {
    parse(line)
        .unwrap()
        .items
        .remove(0)
        .and_or
        .first
        .commands
        .remove(0)
}

fn argv(line: &str) -> Vec<String> {
    expand::argv(&first_command(line).argv, &env())
}

#[test]
fn literals_pass_through() {
    assert_eq!(argv("echo a 'b c' \"d\""), vec!["echo", "a", "b c", "d"]);
}

#[test]
fn variables_and_status() {
    assert_eq!(
        argv("echo $HOME ${HOME}/x \"$X$X\" $? x$?y"),
        vec!["echo", "/home/u", "/home/u/x", "11", "3", "x3y"]
    );
}

#[test]
fn negative_status() {
    let env = MapEnv::new(&[], -2);
    assert_eq!(
        expand::argv(&first_command("echo $?").argv, &env),
        vec!["echo", "-2"]
    );
}

#[test]
fn no_expansion_in_single_quotes() {
    assert_eq!(argv("echo '$HOME' \\$HOME"), vec!["echo", "$HOME", "$HOME"]);
}

#[test]
fn no_word_splitting() {
    assert_eq!(argv("echo $SP"), vec!["echo", "a  b"]);
    assert_eq!(argv("echo \"$SP\""), vec!["echo", "a  b"]);
}

#[test]
fn unquoted_empty_expansions_vanish() {
    assert_eq!(argv("echo $UNSET x $EMPTY ${EMPTY}"), vec!["echo", "x"]);
    assert_eq!(argv("$EMPTY echo"), vec!["echo"]);
}

#[test]
fn quoted_empty_words_stay() {
    assert_eq!(
        argv("echo \"$UNSET\" '' \"\" x"),
        vec!["echo", "", "", "", "x"]
    );
    assert_eq!(argv("echo a$UNSET"), vec!["echo", "a"]);
}

#[test]
fn assignments_expand_their_values() {
    let command = first_command("A=$HOME/b B= C=\"$SP\" cmd");
    let (argv, assigns) = expand::command(&command, &env());
    assert_eq!(argv, vec!["cmd"]);
    assert_eq!(
        assigns,
        vec![
            ("A".into(), "/home/u/b".into()),
            ("B".into(), String::new()),
            ("C".into(), "a  b".into()),
        ]
    );
}

#[test]
fn export_argument_split() {
    assert_eq!(split_name_value("X=1"), ("X", Some("1")));
    assert_eq!(split_name_value("X=a=b"), ("X", Some("a=b")));
    assert_eq!(split_name_value("X="), ("X", Some("")));
    assert_eq!(split_name_value("X"), ("X", None));
    assert_eq!(argv("export P=$HOME"), vec!["export", "P=/home/u"]);
}
