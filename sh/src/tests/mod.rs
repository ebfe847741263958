//! Host unit tests, a file per module.
mod args;
mod edit;
mod expand;
mod lex;
mod parse;
mod plan;
mod text;
