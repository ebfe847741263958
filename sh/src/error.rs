//! Syntax errors: what went wrong and at which byte of the line, worded as the shell prints them.
use alloc::string::String;
use core::fmt;

/// What is wrong with a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// An operator where it cannot stand (`| a`, `a ;; b`, `a > |`); holds its text.
    Unexpected(String),
    /// A quote (`'` or `"`) without its closing partner; the position is the opening quote.
    UnterminatedQuote(char),
    /// `${` without `}`.
    UnterminatedBrace,
    /// `${...}` whose inside is not a name or `?`; holds the inside.
    BadSubstitution(String),
    /// A backslash as the last character of the input.
    TrailingBackslash,
    /// `|`, `&&` or `||` with no command after it before the end of the input.
    MissingCommand(&'static str),
    /// A redirection operator with no file name after it before the end of the input.
    MissingFile(&'static str),
}

/// A syntax error at a byte offset of the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset (0-based) where the error is detected.
    pub pos: usize,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl SyntaxError {
    /// An error of `kind` at byte `pos`.
    pub fn new(pos: usize, kind: ErrorKind) -> Self {
        SyntaxError { pos, kind }
    }

    /// Whether more input could complete the line (an open quote, a trailing `|`, `\`, ...),
    /// so an interactive shell may prompt for a continuation line instead of failing.
    pub fn incomplete(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::UnterminatedQuote(_)
                | ErrorKind::TrailingBackslash
                | ErrorKind::MissingCommand(_)
        )
    }
}

impl fmt::Display for SyntaxError {
    /// `sh: syntax error near '|' at column 5` and so on; the column is `pos + 1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sh: ")?;
        match &self.kind {
            ErrorKind::Unexpected(text) => write!(f, "syntax error near '{text}'")?,
            ErrorKind::UnterminatedQuote(q) => write!(f, "unterminated quote {q}")?,
            ErrorKind::UnterminatedBrace => write!(f, "unterminated ${{")?,
            ErrorKind::BadSubstitution(inner) => write!(f, "bad substitution ${{{inner}}}")?,
            ErrorKind::TrailingBackslash => write!(f, "backslash at end of input")?,
            ErrorKind::MissingCommand(op) => write!(f, "missing command after {op}")?,
            ErrorKind::MissingFile(op) => write!(f, "missing file name after {op}")?,
        }
        write!(f, " at column {}", self.pos + 1)
    }
}
