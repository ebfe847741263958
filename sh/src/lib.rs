//! The shell's pure logic, unit-tested on the host with `cargo test -p sh`.
//!
//! `lex` and `parse` turn a command line into a [`parse::Script`] (see docs/SHELL.md for the
//! grammar), `error` words syntax errors, `expand` substitutes variables against an
//! [`expand::Env`], `exec_plan` wires a pipeline's stages to pipes and files, `edit` is the
//! raw-mode line editor with history, `help` the `help` builtin's text (builtins and tools), and
//! `text` holds the core utilities' algorithms (wc, head, tail, grep, sort, uniq) with `args` for
//! their options. Nothing here does I/O: the
//! programs in user/ feed it bytes and write what it returns.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod args;
pub mod edit;
pub mod error;
pub mod exec_plan;
pub mod expand;
pub mod help;
pub mod lex;
pub mod parse;
#[cfg(test)]
mod tests;
pub mod text;
