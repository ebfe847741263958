//! Tests of lex.
