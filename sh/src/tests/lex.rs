//! Tests of the lexer: words, quoting, escapes, `$` pieces, operators, comments, errors.
use crate::error::{ErrorKind, SyntaxError};
use crate::lex::{Op, Piece, RedirOp, Token, Word, is_name, tokenize};
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

fn lit(s: &str) -> Piece {
    Piece::Lit(s.into())
}

fn var(s: &str) -> Piece {
    Piece::Var(s.into())
}

/// The words' pieces, failing on operators.
fn words(line: &str) -> Vec<Vec<Piece>> {
    tokenize(line)
        .unwrap()
        .into_iter()
        .map(|t| match t {
            Token::Word(w) => w.pieces,
            Token::Op(op, _) => panic!("unexpected operator {op:?}"),
        })
        .collect()
}

fn only_word(line: &str) -> Word {
    match tokenize(line).unwrap().as_slice() {
        [Token::Word(w)] => w.clone(),
        other => panic!("not one word: {other:?}"),
    }
}

/// Tokens as short strings: words by their literal text, operators as `<op@pos>`.
fn shapes(line: &str) -> Vec<String> {
    tokenize(line)
        .unwrap()
        .into_iter()
        .map(|t| match t {
            Token::Word(w) => w.literal().unwrap_or_else(|| "<var>".into()),
            Token::Op(op, pos) => alloc::format!("<{}@{pos}>", op.text()),
        })
        .collect()
}

fn error(line: &str) -> SyntaxError {
    tokenize(line).unwrap_err()
}

#[test]
fn blanks_separate_words() {
    assert_eq!(
        words("  ls \t -l   /bin "),
        vec![vec![lit("ls")], vec![lit("-l")], vec![lit("/bin")]]
    );
    assert_eq!(tokenize("").unwrap(), vec![]);
    assert_eq!(tokenize("   \t ").unwrap(), vec![]);
}

#[test]
fn word_positions_are_byte_offsets() {
    let tokens = tokenize("ab  cd").unwrap();
    let positions: Vec<usize> = tokens
        .iter()
        .map(|t| match t {
            Token::Word(w) => w.pos,
            Token::Op(_, p) => *p,
        })
        .collect();
    assert_eq!(positions, vec![0, 4]);
}

#[test]
fn single_quotes_are_literal() {
    let w = only_word(r#"'a $X \n "b" ${Y}'"#);
    assert_eq!(w.pieces, vec![lit(r#"a $X \n "b" ${Y}"#)]);
    assert!(w.quoted);
}

#[test]
fn empty_quotes_make_an_empty_quoted_word() {
    let w = only_word("''");
    assert_eq!(w.pieces, vec![]);
    assert!(w.quoted);
    assert!(only_word("\"\"").quoted);
}

#[test]
fn double_quotes_keep_blanks_and_operators() {
    assert_eq!(words(r#""a  b|c;d>e&f""#), vec![vec![lit("a  b|c;d>e&f")]]);
}

#[test]
fn double_quotes_expand_variables() {
    assert_eq!(
        words(r#""x$HOME/y""#),
        vec![vec![lit("x"), var("HOME"), lit("/y")]]
    );
    assert_eq!(
        words(r#""${A}b$?""#),
        vec![vec![var("A"), lit("b"), Piece::Status]]
    );
}

#[test]
fn double_quote_escapes() {
    assert_eq!(
        words(r#""\$X \" \\ \` \n""#),
        vec![vec![lit(r#"$X " \ ` \n"#)]]
    );
    assert_eq!(words("\"a\\\nb\""), vec![vec![lit("ab")]]);
}

#[test]
fn backslash_escapes_outside_quotes() {
    let w = only_word(r"a\ b\$c\'\;\|");
    assert_eq!(w.pieces, vec![lit(r"a b$c';|")]);
    assert!(w.quoted);
    assert_eq!(words(r"\é"), vec![vec![lit("é")]]);
}

#[test]
fn backslash_newline_joins_lines() {
    assert_eq!(words("ec\\\nho a"), vec![vec![lit("echo")], vec![lit("a")]]);
    assert_eq!(words("a \\\n b"), vec![vec![lit("a")], vec![lit("b")]]);
}

#[test]
fn adjacent_quoted_parts_form_one_word() {
    assert_eq!(words(r#"a'b c'"d e"f"#), vec![vec![lit("ab cd ef")]]);
}

#[test]
fn bare_variables() {
    assert_eq!(
        words("$A $B_2x $_ ${C}d $?"),
        vec![
            vec![var("A")],
            vec![var("B_2x")],
            vec![var("_")],
            vec![var("C"), lit("d")],
            vec![Piece::Status],
        ]
    );
    assert_eq!(words("a$A-b"), vec![vec![lit("a"), var("A"), lit("-b")]]);
    assert_eq!(words("${?}"), vec![vec![Piece::Status]]);
}

#[test]
fn dollar_without_a_name_is_literal() {
    assert_eq!(
        words("$ a$ $1 $-"),
        vec![
            vec![lit("$")],
            vec![lit("a$")],
            vec![lit("$1")],
            vec![lit("$-")]
        ]
    );
    assert_eq!(words("'$A'"), vec![vec![lit("$A")]]);
}

#[test]
fn operators_and_their_positions() {
    assert_eq!(
        shapes("a|b||c&&d&e;f\ng"),
        vec![
            "a",
            "<|@1>",
            "b",
            "<||@3>",
            "c",
            "<&&@6>",
            "d",
            "<&@9>",
            "e",
            "<;@11>",
            "f",
            "<newline@13>",
            "g",
        ]
    );
}

#[test]
fn redirection_operators() {
    assert_eq!(
        shapes("<a >b >>c 2>d 2>>e 2>&1 >&2"),
        vec![
            "<<@0>",
            "a",
            "<>@3>",
            "b",
            "<>>@6>",
            "c",
            "<2>@10>",
            "d",
            "<2>>@14>",
            "e",
            "<2>&1@19>",
            "<>&2@24>",
        ]
    );
    assert_eq!(
        shapes("cat<in>out"),
        vec!["cat", "<<@3>", "in", "<>@6>", "out"]
    );
}

#[test]
fn two_only_redirects_at_a_word_start() {
    assert_eq!(shapes("echo a2>f"), vec!["echo", "a2", "<>@7>", "f"]);
    assert_eq!(shapes("echo 2 >f"), vec!["echo", "2", "<>@7>", "f"]);
    assert_eq!(shapes("echo 22>f"), vec!["echo", "22", "<>@7>", "f"]);
    assert_eq!(shapes("echo '2'>f"), vec!["echo", "2", "<>@8>", "f"]);
}

#[test]
fn redir_op_texts() {
    assert!(RedirOp::Out.takes_file());
    assert!(!RedirOp::ErrToOut.takes_file());
    assert!(!RedirOp::OutToErr.takes_file());
    assert_eq!(Op::Redir(RedirOp::ErrAppend).text(), "2>>");
}

#[test]
fn comments_run_to_the_end_of_the_line() {
    assert_eq!(shapes("ls # a comment | x"), vec!["ls"]);
    assert_eq!(shapes("# only a comment"), Vec::<String>::new());
    assert_eq!(
        shapes("a#b 'c#d' #e\nf"),
        vec!["a#b", "c#d", "<newline@12>", "f"]
    );
}

#[test]
fn assignment_words() {
    assert!(only_word("X=1").assign);
    assert!(only_word("_a9=").assign);
    assert!(only_word("X=\"a b\"").assign);
    assert!(only_word("X=$Y").assign);
    assert!(only_word("X=a=b").assign);
    assert!(!only_word("=1").assign);
    assert!(!only_word("9X=1").assign);
    assert!(!only_word("'X'=1").assign);
    assert!(!only_word("\\X=1").assign);
    assert!(!only_word("$X=1").assign);
    assert!(!only_word("a-b=1").assign);
    assert!(!only_word("X").assign);
}

#[test]
fn names() {
    assert!(is_name("PATH") && is_name("_") && is_name("a1_"));
    assert!(!is_name("") && !is_name("1a") && !is_name("a-b") && !is_name("é"));
}

#[test]
fn unterminated_single_quote() {
    assert_eq!(
        error("echo 'abc"),
        SyntaxError::new(5, ErrorKind::UnterminatedQuote('\''))
    );
}

#[test]
fn unterminated_double_quote() {
    assert_eq!(
        error("echo a\"b"),
        SyntaxError::new(6, ErrorKind::UnterminatedQuote('"'))
    );
    assert_eq!(
        error("\"a\\\""),
        SyntaxError::new(0, ErrorKind::UnterminatedQuote('"'))
    );
}

#[test]
fn brace_errors() {
    assert_eq!(
        error("echo ${A"),
        SyntaxError::new(5, ErrorKind::UnterminatedBrace)
    );
    assert_eq!(
        error("x${}"),
        SyntaxError::new(1, ErrorKind::BadSubstitution("".into()))
    );
    assert_eq!(
        error("\"${A-b}\""),
        SyntaxError::new(1, ErrorKind::BadSubstitution("A-b".into()))
    );
}

#[test]
fn trailing_backslash() {
    assert_eq!(
        error("echo a\\"),
        SyntaxError::new(6, ErrorKind::TrailingBackslash)
    );
}

#[test]
fn bad_dup_operators() {
    assert_eq!(
        error("a >&1"),
        SyntaxError::new(2, ErrorKind::Unexpected(">&".into()))
    );
    assert_eq!(
        error("a 2>&2"),
        SyntaxError::new(2, ErrorKind::Unexpected("2>&".into()))
    );
}
