//! The lexer: a command line into words (with their quoting and `$` pieces) and operators.
//!
//! Words keep their variable references unexpanded ([`Piece`]) so that expansion happens later,
//! once per execution, against the environment of that moment. Quotes and backslashes are
//! removed here: single quotes keep everything literal, double quotes keep everything but `$`
//! and the backslash escapes `\$ \" \\ \newline`, and an unquoted backslash makes the next
//! character literal (`\newline` joins lines). `#` at the start of a word starts a comment.
//! Positions are byte offsets into the line.
use crate::error::{ErrorKind, SyntaxError};
use alloc::string::String;
use alloc::vec::Vec;

/// One piece of a word before expansion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Literal text, quotes and escapes already removed.
    Lit(String),
    /// `$NAME` or `${NAME}`.
    Var(String),
    /// `$?`: the status of the last foreground pipeline.
    Status,
}

/// A word: the pieces it expands from, and how it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// Literal and variable pieces, in order; adjacent literals are merged.
    pub pieces: Vec<Piece>,
    /// Some part was quoted or escaped: the word stays an argument even if it expands to "".
    pub quoted: bool,
    /// The word starts with an unquoted `NAME=` (an assignment if it comes before the command name).
    pub assign: bool,
    /// Byte offset of the word's first character.
    pub pos: usize,
}

impl Word {
    /// The word's text if it holds no variable (for tests and messages).
    pub fn literal(&self) -> Option<String> {
        let mut text = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Lit(s) => text.push_str(s),
                _ => return None,
            }
        }
        Some(text)
    }
}

/// Which file descriptor a redirection changes and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirOp {
    /// `< file`: stdin from a file.
    In,
    /// `> file`: stdout to a file, truncated.
    Out,
    /// `>> file`: stdout appended to a file.
    Append,
    /// `2> file`: stderr to a file, truncated.
    ErrOut,
    /// `2>> file`: stderr appended to a file.
    ErrAppend,
    /// `2>&1`: stderr to where stdout goes now.
    ErrToOut,
    /// `>&2`: stdout to where stderr goes now.
    OutToErr,
}

impl RedirOp {
    /// The operator as written.
    pub fn text(self) -> &'static str {
        match self {
            RedirOp::In => "<",
            RedirOp::Out => ">",
            RedirOp::Append => ">>",
            RedirOp::ErrOut => "2>",
            RedirOp::ErrAppend => "2>>",
            RedirOp::ErrToOut => "2>&1",
            RedirOp::OutToErr => ">&2",
        }
    }

    /// Whether a file name follows the operator (the dups take none).
    pub fn takes_file(self) -> bool {
        !matches!(self, RedirOp::ErrToOut | RedirOp::OutToErr)
    }
}

/// A control or redirection operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `|`
    Pipe,
    /// `&&`
    AndIf,
    /// `||`
    OrIf,
    /// `;`
    Semi,
    /// `&`
    Amp,
    /// A line break (a separator like `;`, but empty lines are allowed).
    Newline,
    /// A redirection operator.
    Redir(RedirOp),
}

impl Op {
    /// The operator as written (`newline` for a line break, as in messages).
    pub fn text(self) -> &'static str {
        match self {
            Op::Pipe => "|",
            Op::AndIf => "&&",
            Op::OrIf => "||",
            Op::Semi => ";",
            Op::Amp => "&",
            Op::Newline => "newline",
            Op::Redir(r) => r.text(),
        }
    }
}

/// A token and where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    /// A word.
    Word(Word),
    /// An operator at a byte offset.
    Op(Op, usize),
}

/// Splits a line into tokens, or reports the first lexical error.
pub fn tokenize(line: &str) -> Result<Vec<Token>, SyntaxError> {
    let mut lexer = Lexer {
        bytes: line.as_bytes(),
        at: 0,
    };
    let mut tokens = Vec::new();
    while let Some(token) = lexer.next_token()? {
        tokens.push(token);
    }
    Ok(tokens)
}

/// Whether `name` is a variable name: a letter or `_`, then letters, digits and `_`.
pub fn is_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(is_name_byte)
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

struct Lexer<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// A word under construction.
struct WordBuilder {
    pieces: Vec<Piece>,
    lit: Vec<u8>,
    quoted: bool,
    assign: bool,
    seen_eq: bool,
}

impl WordBuilder {
    fn push_lit(&mut self, bytes: &[u8]) {
        self.lit.extend_from_slice(bytes);
    }

    fn flush(&mut self) {
        if !self.lit.is_empty() {
            let bytes = core::mem::take(&mut self.lit);
            // The line was a &str and literals are cut only at ASCII bytes, so this is UTF-8.
            let text = String::from_utf8(bytes).unwrap_or_default();
            match self.pieces.last_mut() {
                Some(Piece::Lit(prev)) => prev.push_str(&text),
                _ => self.pieces.push(Piece::Lit(text)),
            }
        }
    }

    fn push_piece(&mut self, piece: Piece) {
        self.flush();
        self.pieces.push(piece);
    }

    /// Records an unquoted `=`: the first one makes an assignment if all before it is a name.
    fn equals(&mut self) {
        if !self.seen_eq {
            self.seen_eq = true;
            self.assign = self.pieces.is_empty()
                && !self.quoted
                && core::str::from_utf8(&self.lit).is_ok_and(is_name);
        }
        self.lit.push(b'=');
    }
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.at + ahead).copied()
    }

    fn next_token(&mut self) -> Result<Option<Token>, SyntaxError> {
        loop {
            match self.peek(0) {
                None => return Ok(None),
                Some(b' ' | b'\t' | b'\r') => self.at += 1,
                Some(b'\\') if self.peek(1) == Some(b'\n') => self.at += 2,
                Some(b'#') => {
                    while self.peek(0).is_some_and(|b| b != b'\n') {
                        self.at += 1;
                    }
                }
                Some(_) => break,
            }
        }
        let start = self.at;
        if let Some((op, len)) = self.operator()? {
            self.at += len;
            return Ok(Some(Token::Op(op, start)));
        }
        self.word().map(|w| Some(Token::Word(w)))
    }

    /// The operator at the cursor and its length, if one starts here.
    fn operator(&self) -> Result<Option<(Op, usize)>, SyntaxError> {
        let next = |ahead| self.peek(ahead);
        let found = match (next(0), next(1), next(2), next(3)) {
            (Some(b'|'), Some(b'|'), ..) => (Op::OrIf, 2),
            (Some(b'|'), ..) => (Op::Pipe, 1),
            (Some(b'&'), Some(b'&'), ..) => (Op::AndIf, 2),
            (Some(b'&'), ..) => (Op::Amp, 1),
            (Some(b';'), ..) => (Op::Semi, 1),
            (Some(b'\n'), ..) => (Op::Newline, 1),
            (Some(b'<'), ..) => (Op::Redir(RedirOp::In), 1),
            (Some(b'>'), Some(b'>'), ..) => (Op::Redir(RedirOp::Append), 2),
            (Some(b'>'), Some(b'&'), Some(b'2'), _) => (Op::Redir(RedirOp::OutToErr), 3),
            (Some(b'>'), Some(b'&'), ..) => return Err(self.unexpected(">&")),
            (Some(b'>'), ..) => (Op::Redir(RedirOp::Out), 1),
            (Some(b'2'), Some(b'>'), Some(b'>'), _) => (Op::Redir(RedirOp::ErrAppend), 3),
            (Some(b'2'), Some(b'>'), Some(b'&'), Some(b'1')) => (Op::Redir(RedirOp::ErrToOut), 4),
            (Some(b'2'), Some(b'>'), Some(b'&'), _) => return Err(self.unexpected("2>&")),
            (Some(b'2'), Some(b'>'), ..) => (Op::Redir(RedirOp::ErrOut), 2),
            _ => return Ok(None),
        };
        Ok(Some(found))
    }

    fn unexpected(&self, text: &str) -> SyntaxError {
        SyntaxError::new(self.at, ErrorKind::Unexpected(text.into()))
    }

    fn word(&mut self) -> Result<Word, SyntaxError> {
        let pos = self.at;
        let mut w = WordBuilder {
            pieces: Vec::new(),
            lit: Vec::new(),
            quoted: false,
            assign: false,
            seen_eq: false,
        };
        while let Some(b) = self.peek(0) {
            match b {
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'<' | b'>' => break,
                b'\'' => self.single_quoted(&mut w)?,
                b'"' => self.double_quoted(&mut w)?,
                b'\\' => {
                    self.at += 1;
                    match self.peek(0) {
                        None => {
                            return Err(SyntaxError::new(self.at - 1, ErrorKind::TrailingBackslash));
                        }
                        Some(b'\n') => self.at += 1,
                        Some(_) => {
                            // A multi-byte character's tail bytes follow as plain literal bytes.
                            w.quoted = true;
                            w.push_lit(&self.bytes[self.at..self.at + 1]);
                            self.at += 1;
                        }
                    }
                }
                b'$' => self.dollar(&mut w)?,
                b'=' => {
                    w.equals();
                    self.at += 1;
                }
                _ => {
                    w.push_lit(&[b]);
                    self.at += 1;
                }
            }
        }
        w.flush();
        Ok(Word {
            pieces: w.pieces,
            quoted: w.quoted,
            assign: w.assign,
            pos,
        })
    }

    fn single_quoted(&mut self, w: &mut WordBuilder) -> Result<(), SyntaxError> {
        let open = self.at;
        self.at += 1;
        let len = self.bytes[self.at..].iter().position(|&b| b == b'\'');
        let len = len.ok_or(SyntaxError::new(open, ErrorKind::UnterminatedQuote('\'')))?;
        w.quoted = true;
        w.push_lit(&self.bytes[self.at..self.at + len]);
        self.at += len + 1;
        Ok(())
    }

    fn double_quoted(&mut self, w: &mut WordBuilder) -> Result<(), SyntaxError> {
        let open = self.at;
        self.at += 1;
        w.quoted = true;
        loop {
            match self.peek(0) {
                None => return Err(SyntaxError::new(open, ErrorKind::UnterminatedQuote('"'))),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(());
                }
                Some(b'\\') => match self.peek(1) {
                    Some(b'\n') => self.at += 2,
                    Some(c @ (b'$' | b'"' | b'\\' | b'`')) => {
                        w.push_lit(&[c]);
                        self.at += 2;
                    }
                    _ => {
                        w.push_lit(b"\\");
                        self.at += 1;
                    }
                },
                Some(b'$') => self.dollar(w)?,
                Some(c) => {
                    w.push_lit(&[c]);
                    self.at += 1;
                }
            }
        }
    }

    /// `$?`, `$NAME`, `${NAME}`, `${?}`; a `$` before anything else is literal.
    fn dollar(&mut self, w: &mut WordBuilder) -> Result<(), SyntaxError> {
        let start = self.at;
        match self.peek(1) {
            Some(b'?') => {
                self.at += 2;
                w.push_piece(Piece::Status);
            }
            Some(b'{') => {
                let inner = start + 2;
                let Some(len) = self.bytes[inner..].iter().position(|&b| b == b'}') else {
                    return Err(SyntaxError::new(start, ErrorKind::UnterminatedBrace));
                };
                let name = core::str::from_utf8(&self.bytes[inner..inner + len]).unwrap_or("");
                let piece = match name {
                    "?" => Piece::Status,
                    _ if is_name(name) => Piece::Var(name.into()),
                    _ => {
                        return Err(SyntaxError::new(
                            start,
                            ErrorKind::BadSubstitution(name.into()),
                        ));
                    }
                };
                w.push_piece(piece);
                self.at = inner + len + 1;
            }
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => {
                let len = self.bytes[start + 1..]
                    .iter()
                    .take_while(|&&b| is_name_byte(b))
                    .count();
                let name =
                    core::str::from_utf8(&self.bytes[start + 1..start + 1 + len]).unwrap_or("");
                w.push_piece(Piece::Var(name.into()));
                self.at = start + 1 + len;
            }
            _ => {
                w.push_lit(b"$");
                self.at += 1;
            }
        }
        Ok(())
    }
}
