//! Host unit tests, a file per module.
mod args;
mod edit;
pub mod expand;
mod help;
mod lex;
mod parse;
mod plan;
mod text;
