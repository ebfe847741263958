//! Tests of the line editor: each feeds bytes and checks the events, the line and the exact echo.
use crate::edit::{Editor, Event};
use alloc::vec;
use alloc::vec::Vec;

const UP: &[u8] = b"\x1b[A";
const DOWN: &[u8] = b"\x1b[B";
const LEFT: &[u8] = b"\x1b[D";
const RIGHT: &[u8] = b"\x1b[C";

/// Feeds `input`; returns the events and the echo.
fn run(editor: &mut Editor, input: &[u8]) -> (Vec<Event>, Vec<u8>) {
    let mut out = Vec::new();
    let events = editor.feed_all(input, &mut out);
    (events, out)
}

fn line(s: &str) -> Event {
    Event::Line(s.into())
}

/// An editor whose history holds `entries` (entered as lines).
fn with_history(entries: &[&str]) -> Editor {
    let mut editor = Editor::new(8);
    for entry in entries {
        run(&mut editor, entry.as_bytes());
        run(&mut editor, b"\r");
    }
    editor
}

#[test]
fn typing_echoes_and_enter_returns_the_line() {
    let mut e = Editor::new(4);
    assert_eq!(run(&mut e, b"ls -l"), (vec![], b"ls -l".to_vec()));
    assert_eq!(e.line(), "ls -l");
    assert_eq!(run(&mut e, b"\r"), (vec![line("ls -l")], b"\r\n".to_vec()));
    assert_eq!(e.line(), "");
}

#[test]
fn newline_also_ends_a_line_and_crlf_counts_once() {
    let mut e = Editor::new(4);
    assert_eq!(
        run(&mut e, b"a\nb\r\nc\r\r").0,
        vec![line("a"), line("b"), line("c"), line("")]
    );
}

#[test]
fn backspace_at_the_end() {
    let mut e = Editor::new(4);
    let (_, out) = run(&mut e, b"abc\x7f\x08d");
    assert_eq!(out, b"abc\x08 \x08\x08 \x08d".to_vec());
    assert_eq!(e.line(), "ad");
}

#[test]
fn backspace_on_an_empty_line_does_nothing() {
    let mut e = Editor::new(4);
    assert_eq!(run(&mut e, b"\x7f\x7f"), (vec![], vec![]));
}

#[test]
fn ctrl_u_kills_the_line() {
    let mut e = Editor::new(4);
    let (_, out) = run(&mut e, b"abc\x15");
    assert_eq!(out, b"abc\x08\x08\x08   \x08\x08\x08".to_vec());
    assert_eq!(e.line(), "");
    assert_eq!(run(&mut e, b"x\r").0, vec![line("x")]);
}

#[test]
fn ctrl_c_interrupts() {
    let mut e = Editor::new(4);
    assert_eq!(
        run(&mut e, b"abc\x03"),
        (vec![Event::Interrupted], b"abc^C\r\n".to_vec())
    );
    assert_eq!(e.line(), "");
    assert_eq!(e.history().count(), 0);
}

#[test]
fn ctrl_d_is_eof_only_on_an_empty_line() {
    let mut e = Editor::new(4);
    assert_eq!(run(&mut e, b"a\x04"), (vec![], b"a".to_vec()));
    assert_eq!(
        run(&mut e, b"\x7f\x04"),
        (vec![Event::Eof], b"\x08 \x08".to_vec())
    );
}

#[test]
fn other_control_characters_are_ignored() {
    let mut e = Editor::new(4);
    assert_eq!(run(&mut e, b"a\x00\x02\tb\x1f"), (vec![], b"ab".to_vec()));
}

#[test]
fn utf8_characters_insert_and_delete_whole() {
    let mut e = Editor::new(4);
    let (_, out) = run(&mut e, "é€".as_bytes());
    assert_eq!(out, "é€".as_bytes());
    let (_, out) = run(&mut e, b"\x7f");
    assert_eq!(out, b"\x08 \x08".to_vec());
    assert_eq!(e.line(), "é");
    // A stray continuation byte is dropped.
    assert_eq!(run(&mut e, b"\x80x"), (vec![], b"x".to_vec()));
}

#[test]
fn history_keeps_no_empty_lines_nor_repeats() {
    let e = with_history(&["a", "b", "b", "", "a"]);
    assert_eq!(e.history().collect::<Vec<_>>(), vec!["a", "b", "a"]);
}

#[test]
fn history_drops_the_oldest_beyond_capacity() {
    let mut e = Editor::new(2);
    for l in [&b"1\r"[..], b"2\r", b"3\r"] {
        run(&mut e, l);
    }
    assert_eq!(e.history().collect::<Vec<_>>(), vec!["2", "3"]);
}

#[test]
fn up_shows_the_newest_entry() {
    let mut e = with_history(&["ls", "echo hi"]);
    let (_, out) = run(&mut e, UP);
    assert_eq!(out, b"echo hi".to_vec());
    assert_eq!(e.line(), "echo hi");
    // A shorter entry blanks the rest of the longer one.
    let (_, out) = run(&mut e, UP);
    assert_eq!(
        out,
        b"\x08\x08\x08\x08\x08\x08\x08ls     \x08\x08\x08\x08\x08".to_vec()
    );
    assert_eq!(e.line(), "ls");
    // At the oldest entry, up does nothing.
    assert_eq!(run(&mut e, UP), (vec![], vec![]));
    assert_eq!(run(&mut e, b"\r").0, vec![line("ls")]);
}

#[test]
fn down_returns_to_the_draft() {
    let mut e = with_history(&["first", "second"]);
    run(&mut e, b"dr");
    let (_, out) = run(&mut e, UP);
    assert_eq!(out, b"\x08\x08second".to_vec());
    run(&mut e, UP);
    assert_eq!(e.line(), "first");
    let (_, out) = run(&mut e, DOWN);
    assert_eq!(out, b"\x08\x08\x08\x08\x08second".to_vec());
    let (_, out) = run(&mut e, DOWN);
    assert_eq!(
        out,
        b"\x08\x08\x08\x08\x08\x08dr    \x08\x08\x08\x08".to_vec()
    );
    assert_eq!(e.line(), "dr");
    // Down past the draft does nothing.
    assert_eq!(run(&mut e, DOWN), (vec![], vec![]));
}

#[test]
fn up_with_no_history_does_nothing() {
    let mut e = Editor::new(4);
    assert_eq!(run(&mut e, b"x\x1b[A\x1bOA"), (vec![], b"x".to_vec()));
}

#[test]
fn editing_a_recalled_entry_and_entering_it() {
    let mut e = with_history(&["echo a"]);
    run(&mut e, UP);
    run(&mut e, b"\x7fb");
    assert_eq!(run(&mut e, b"\r").0, vec![line("echo b")]);
    assert_eq!(e.history().collect::<Vec<_>>(), vec!["echo a", "echo b"]);
    // Browsing starts again from the newest entry.
    run(&mut e, UP);
    assert_eq!(e.line(), "echo b");
}

#[test]
fn ss3_arrows_work_too() {
    let mut e = with_history(&["abc"]);
    run(&mut e, b"\x1bOA");
    assert_eq!(e.line(), "abc");
}

#[test]
fn left_right_and_insert_in_the_middle() {
    let mut e = Editor::new(4);
    run(&mut e, b"ac");
    let (_, out) = run(&mut e, LEFT);
    assert_eq!(out, b"\x08".to_vec());
    assert_eq!(e.cursor(), 1);
    let (_, out) = run(&mut e, b"b");
    assert_eq!(out, b"bc\x08".to_vec());
    assert_eq!(e.line(), "abc");
    let (_, out) = run(&mut e, RIGHT);
    assert_eq!(out, b"c".to_vec());
    assert_eq!(run(&mut e, RIGHT), (vec![], vec![]));
    assert_eq!(
        run(&mut e, b"\x1b[D\x1b[D\x1b[D\x1b[D"),
        (vec![], b"\x08\x08\x08".to_vec())
    );
}

#[test]
fn backspace_in_the_middle_redraws_the_tail() {
    let mut e = Editor::new(4);
    run(&mut e, b"abcd");
    run(&mut e, LEFT);
    run(&mut e, LEFT);
    let (_, out) = run(&mut e, b"\x7f");
    assert_eq!(out, b"\x08cd \x08\x08\x08".to_vec());
    assert_eq!(e.line(), "acd");
    assert_eq!(e.cursor(), 1);
}

#[test]
fn home_and_end() {
    let mut e = Editor::new(4);
    run(&mut e, b"abc");
    assert_eq!(run(&mut e, b"\x01").1, b"\x08\x08\x08".to_vec());
    assert_eq!(run(&mut e, b"\x05").1, b"abc".to_vec());
    assert_eq!(run(&mut e, b"\x1b[H").1, b"\x08\x08\x08".to_vec());
    assert_eq!(run(&mut e, b"\x1b[F").1, b"abc".to_vec());
    assert_eq!(run(&mut e, b"\x1b[1~").1, b"\x08\x08\x08".to_vec());
    assert_eq!(run(&mut e, b"\x1b[4~").1, b"abc".to_vec());
}

#[test]
fn ctrl_u_and_enter_with_the_cursor_in_the_middle() {
    let mut e = Editor::new(4);
    run(&mut e, b"abc");
    run(&mut e, LEFT);
    assert_eq!(run(&mut e, b"\x15").1, b"\x08\x08   \x08\x08\x08".to_vec());
    run(&mut e, b"xy");
    run(&mut e, LEFT);
    assert_eq!(run(&mut e, b"\r").0, vec![line("xy")]);
}

#[test]
fn unknown_escape_sequences_are_swallowed() {
    // Delete (ESC [3~) is not bound, Ctrl-Right (ESC [1;5C) moves right (nothing at the end),
    // and a lone ESC takes the byte after it.
    let mut e = Editor::new(4);
    assert_eq!(
        run(&mut e, b"\x1b[3~\x1b[1;5Ca\x1bxb"),
        (vec![], b"ab".to_vec())
    );
    assert_eq!(e.line(), "ab");
}
