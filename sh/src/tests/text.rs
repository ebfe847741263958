//! Tests of the text utilities' algorithms.
use crate::text::{
    Cksum, Counts, GrepOptions, SortOptions, WcFlags, format_wc, grep, head, leading_number, sort, tail,
    uniq, wc,
};

const TEXT: &[u8] = b"one two\n  three\n\nfour five six\n";

#[test]
fn wc_counts() {
    assert_eq!(
        wc(TEXT),
        Counts {
            lines: 4,
            words: 6,
            bytes: 31
        }
    );
    assert_eq!(wc(b""), Counts::default());
    assert_eq!(
        wc(b"no newline"),
        Counts {
            lines: 0,
            words: 2,
            bytes: 10
        }
    );
    assert_eq!(
        wc(b" \t\r\x0b\x0c\n"),
        Counts {
            lines: 1,
            words: 0,
            bytes: 6
        }
    );
    assert_eq!(
        wc("é à".as_bytes()),
        Counts {
            lines: 0,
            words: 2,
            bytes: 5
        }
    );
}

#[test]
fn wc_totals_add() {
    let mut total = wc(b"a\n");
    total.add(&wc(b"b c\n"));
    assert_eq!(
        total,
        Counts {
            lines: 2,
            words: 3,
            bytes: 6
        }
    );
}

#[test]
fn wc_format() {
    let counts = Counts {
        lines: 3,
        words: 5,
        bytes: 20,
    };
    assert_eq!(
        format_wc(&counts, WcFlags::default(), None),
        "      3       5      20\n"
    );
    assert_eq!(
        format_wc(&counts, WcFlags::default(), Some("f")),
        "      3       5      20 f\n"
    );
    let lines = WcFlags {
        lines: true,
        ..WcFlags::default()
    };
    assert_eq!(format_wc(&counts, lines, None), "3\n");
    assert_eq!(format_wc(&counts, lines, Some("f")), "3 f\n");
    let words_bytes = WcFlags {
        words: true,
        bytes: true,
        ..WcFlags::default()
    };
    assert_eq!(format_wc(&counts, words_bytes, None), "      5      20\n");
    let all = WcFlags {
        lines: true,
        words: true,
        bytes: true,
    };
    assert_eq!(format_wc(&counts, all, None), "      3       5      20\n");
    let big = Counts {
        lines: 0,
        words: 0,
        bytes: 123_456_789,
    };
    assert_eq!(
        format_wc(&big, WcFlags::default(), None),
        "      0       0 123456789\n"
    );
}

#[test]
fn head_lines() {
    assert_eq!(head(TEXT, 2), b"one two\n  three\n");
    assert_eq!(head(TEXT, 0), b"");
    assert_eq!(head(TEXT, 4), TEXT);
    assert_eq!(head(TEXT, 10), TEXT);
    assert_eq!(head(b"a\nb", 5), b"a\nb");
    assert_eq!(head(b"", 3), b"");
}

#[test]
fn tail_lines() {
    assert_eq!(tail(TEXT, 2), b"\nfour five six\n");
    assert_eq!(tail(TEXT, 1), b"four five six\n");
    assert_eq!(tail(TEXT, 0), b"");
    assert_eq!(tail(TEXT, 4), TEXT);
    assert_eq!(tail(TEXT, 9), TEXT);
    assert_eq!(tail(b"a\nb\nc", 2), b"b\nc");
    assert_eq!(tail(b"a\n\n", 1), b"\n");
    assert_eq!(tail(b"", 2), b"");
}

#[test]
fn grep_fixed_strings() {
    let input = "apple\nBanana\ncherry pie\napple pie";
    let plain = grep(input, "pie", GrepOptions::default());
    assert_eq!(
        (plain.output.as_str(), plain.selected),
        ("cherry pie\napple pie\n", 2)
    );
    let none = grep(input, "kiwi", GrepOptions::default());
    assert_eq!((none.output.as_str(), none.selected), ("", 0));
    let all = grep(input, "", GrepOptions::default());
    assert_eq!(all.selected, 4);
}

#[test]
fn grep_options() {
    let input = "apple\nBanana\ncherry pie\n";
    let invert = grep(
        input,
        "an",
        GrepOptions {
            invert: true,
            ..Default::default()
        },
    );
    assert_eq!(
        (invert.output.as_str(), invert.selected),
        ("apple\ncherry pie\n", 2)
    );
    let count = grep(
        input,
        "p",
        GrepOptions {
            count: true,
            ..Default::default()
        },
    );
    assert_eq!((count.output.as_str(), count.selected), ("2\n", 2));
    let zero = grep(
        input,
        "zz",
        GrepOptions {
            count: true,
            ..Default::default()
        },
    );
    assert_eq!(zero.output, "0\n");
    let fold = grep(
        input,
        "BAN",
        GrepOptions {
            ignore_case: true,
            ..Default::default()
        },
    );
    assert_eq!(fold.output, "Banana\n");
    let case = grep(input, "BAN", GrepOptions::default());
    assert_eq!(case.selected, 0);
    let all = grep(
        input,
        "a",
        GrepOptions {
            invert: true,
            count: true,
            ignore_case: true,
        },
    );
    assert_eq!(all.output, "1\n");
}

#[test]
fn sort_by_bytes() {
    assert_eq!(sort("b\na\nC\nab", SortOptions::default()), "C\na\nab\nb\n");
    assert_eq!(
        sort(
            "b\na\nC\n",
            SortOptions {
                reverse: true,
                numeric: false
            }
        ),
        "b\na\nC\n"
    );
    assert_eq!(sort("", SortOptions::default()), "");
    assert_eq!(sort("x\nx\n", SortOptions::default()), "x\nx\n");
}

#[test]
fn sort_numeric() {
    let input = "10 ten\n9 nine\n-3 minus\n  2 two\nnone\n100\n";
    let numeric = SortOptions {
        numeric: true,
        reverse: false,
    };
    assert_eq!(
        sort(input, numeric),
        "-3 minus\nnone\n  2 two\n9 nine\n10 ten\n100\n"
    );
    let reverse = SortOptions {
        numeric: true,
        reverse: true,
    };
    assert_eq!(
        sort(input, reverse),
        "100\n10 ten\n9 nine\n  2 two\nnone\n-3 minus\n"
    );
    assert_eq!(sort("1 b\n1 a\n", numeric), "1 a\n1 b\n");
}

#[test]
fn leading_numbers() {
    assert_eq!(leading_number("42abc"), 42);
    assert_eq!(leading_number(" \t-7"), -7);
    assert_eq!(leading_number("-"), 0);
    assert_eq!(leading_number("x1"), 0);
    assert_eq!(leading_number("99999999999999999999999"), i64::MAX);
}

#[test]
fn uniq_adjacent() {
    assert_eq!(uniq("a\na\nb\na\n", false), "a\nb\na\n");
    assert_eq!(
        uniq("a\na\nb\na", true),
        "      2 a\n      1 b\n      1 a\n"
    );
    assert_eq!(uniq("", true), "");
    assert_eq!(uniq("\n\nx\n", true), "      2 \n      1 x\n");
}

#[test]
fn cksum_matches_posix() {
    let sum = |data: &[u8]| {
        let mut c = Cksum::default();
        c.update(data);
        c.finish()
    };
    // What GNU `cksum` prints for these inputs.
    assert_eq!(sum(b""), (4294967295, 0));
    assert_eq!(sum(b"123456789"), (930766865, 9));
    assert_eq!(sum(b"hello\n"), (3015617425, 6));
    let mut pieces = Cksum::default();
    pieces.update(b"1234");
    pieces.update(b"56789");
    assert_eq!(pieces.finish(), (930766865, 9));
}
