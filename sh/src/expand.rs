//! Expansion: words into argument strings against an [`Env`].
//!
//! Each piece of a word is replaced by its value (`$NAME` by the variable, or "" when unset;
//! `$?` by the last status in decimal) and the pieces are joined. There is no word splitting,
//! no globbing and no tilde expansion: a word always gives exactly one argument, so `$X`
//! holding `a b` is one argument `a b` even unquoted. The one exception follows POSIX: an
//! unquoted word made only of variables that expands to "" gives no argument at all (`echo
//! $UNSET x` runs `echo x`); write `"$UNSET"` to pass an empty argument.
use crate::lex::{Piece, Word};
use crate::parse::{Assign, Command};
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// What expansion reads: variables and the last status.
pub trait Env {
    /// The value of variable `name`, if set.
    fn get(&self, name: &str) -> Option<String>;
    /// The status of the last foreground pipeline (`$?`).
    fn status(&self) -> i32;
}

/// The word's text with every variable replaced.
pub fn word(word: &Word, env: &dyn Env) -> String {
    let mut text = String::new();
    for piece in &word.pieces {
        match piece {
            Piece::Lit(lit) => text.push_str(lit),
            Piece::Var(name) => text.push_str(&env.get(name).unwrap_or_default()),
            Piece::Status => text.push_str(&env.status().to_string()),
        }
    }
    text
}

/// The argument list of `words`, dropping unquoted words that expand to "" (see the module doc).
pub fn argv(words: &[Word], env: &dyn Env) -> Vec<String> {
    words
        .iter()
        .filter_map(|w| {
            let text = word(w, env);
            (!text.is_empty() || w.quoted).then_some(text)
        })
        .collect()
}

/// An assignment as `(name, value)`.
pub fn assign(assign: &Assign, env: &dyn Env) -> (String, String) {
    (assign.name.clone(), word(&assign.value, env))
}

/// A command's expanded argument list and assignments (redirection files are expanded by the plan).
pub fn command(command: &Command, env: &dyn Env) -> (Vec<String>, Vec<(String, String)>) {
    let assigns = command.assigns.iter().map(|a| assign(a, env)).collect();
    (argv(&command.argv, env), assigns)
}

/// Splits an `export`/`X=v` style argument at its first `=`: `("X", Some("v"))`, or `("X", None)`.
pub fn split_name_value(arg: &str) -> (&str, Option<&str>) {
    match arg.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (arg, None),
    }
}
