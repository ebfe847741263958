//! Tests of args.
