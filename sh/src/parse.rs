//! The parser: tokens into a [`Script`], the shell's syntax tree.
//!
//! ```text
//! script   := sep* (and_or (sep+ and_or)* sep*)?      sep := ';' | '&' | newline
//! and_or   := pipeline (('&&' | '||') newline* pipeline)*
//! pipeline := command ('|' newline* command)*
//! command  := (assignment | word | redirect)+          assignments only before the first word
//! redirect := ('<' | '>' | '>>' | '2>' | '2>>') word | '2>&1' | '>&2'
//! ```
//! `&` after an and-or chain runs it in the background; `;` and newline run it in the
//! foreground. Builtins are ordinary commands here; the executor recognizes them by name.
use crate::error::{ErrorKind, SyntaxError};
use crate::lex::{self, Op, Piece, RedirOp, Token, Word};
use alloc::string::String;
use alloc::vec::Vec;

/// A parsed line: its and-or chains in order.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Script {
    /// The chains, each with its `&` flag.
    pub items: Vec<Item>,
}

/// One and-or chain and whether it runs in the background (`&`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// The chain.
    pub and_or: AndOr,
    /// Ended by `&`.
    pub background: bool,
}

/// `p1 && p2 || p3`: a first pipeline, then each further one with the connector before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AndOr {
    /// The pipeline that always runs.
    pub first: Pipeline,
    /// The pipelines that run depending on the status so far.
    pub rest: Vec<(Connector, Pipeline)>,
}

/// How a pipeline joins the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connector {
    /// `&&`: run if the status so far is 0.
    And,
    /// `||`: run if the status so far is not 0.
    Or,
}

/// `c1 | c2 | c3`: commands whose stdout feeds the next one's stdin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pipeline {
    /// At least one command.
    pub commands: Vec<Command>,
}

/// A simple command: assignments, argument words and redirections, all unexpanded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// `NAME=value` words before the first argument word.
    pub assigns: Vec<Assign>,
    /// The argument words; the first names the program or builtin.
    pub argv: Vec<Word>,
    /// Redirections in the order written (it matters for `2>&1`).
    pub redirects: Vec<Redirect>,
    /// Byte offset of the command's first token.
    pub pos: usize,
}

/// `NAME=value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assign {
    /// The variable name.
    pub name: String,
    /// The value, unexpanded (may have no pieces: `X=`).
    pub value: Word,
}

/// A redirection: its operator and, except for `2>&1`/`>&2`, its file word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// The operator.
    pub op: RedirOp,
    /// The file name word, for operators that take one.
    pub file: Option<Word>,
    /// Byte offset of the operator.
    pub pos: usize,
}

/// Parses a line (or several, separated by newlines).
pub fn parse(line: &str) -> Result<Script, SyntaxError> {
    let tokens = lex::tokenize(line)?;
    let mut parser = Parser { tokens, next: 0 };
    let mut items = Vec::new();
    loop {
        parser.skip_newlines();
        if parser.peek().is_none() {
            break;
        }
        let and_or = parser.and_or()?;
        let background = match parser.peek() {
            None => false,
            Some(&Token::Op(op @ (Op::Semi | Op::Newline | Op::Amp), _)) => {
                parser.next += 1;
                op == Op::Amp
            }
            Some(token) => return Err(unexpected(token)),
        };
        items.push(Item { and_or, background });
    }
    Ok(Script { items })
}

fn unexpected(token: &Token) -> SyntaxError {
    match token {
        Token::Op(op, pos) => SyntaxError::new(*pos, ErrorKind::Unexpected(op.text().into())),
        Token::Word(word) => {
            let text = word.literal().unwrap_or_else(|| "$".into());
            SyntaxError::new(word.pos, ErrorKind::Unexpected(text))
        }
    }
}

struct Parser {
    tokens: Vec<Token>,
    next: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn skip_newlines(&mut self) {
        while let Some(Token::Op(Op::Newline, _)) = self.peek() {
            self.next += 1;
        }
    }

    /// After `op` at `pos`: skips line breaks and fails if the input ends there.
    fn continuation(&mut self, op: Op, pos: usize) -> Result<(), SyntaxError> {
        self.skip_newlines();
        match self.peek() {
            None => Err(SyntaxError::new(pos, ErrorKind::MissingCommand(op.text()))),
            Some(_) => Ok(()),
        }
    }

    fn and_or(&mut self) -> Result<AndOr, SyntaxError> {
        let first = self.pipeline()?;
        let mut rest = Vec::new();
        while let Some(&Token::Op(op @ (Op::AndIf | Op::OrIf), pos)) = self.peek() {
            self.next += 1;
            self.continuation(op, pos)?;
            let connector = if op == Op::AndIf {
                Connector::And
            } else {
                Connector::Or
            };
            rest.push((connector, self.pipeline()?));
        }
        Ok(AndOr { first, rest })
    }

    fn pipeline(&mut self) -> Result<Pipeline, SyntaxError> {
        let mut commands = alloc::vec![self.command()?];
        while let Some(&Token::Op(Op::Pipe, pos)) = self.peek() {
            self.next += 1;
            self.continuation(Op::Pipe, pos)?;
            commands.push(self.command()?);
        }
        Ok(Pipeline { commands })
    }

    fn command(&mut self) -> Result<Command, SyntaxError> {
        let pos = match self.peek() {
            Some(Token::Word(w)) => w.pos,
            Some(Token::Op(_, pos)) => *pos,
            None => 0,
        };
        let mut command = Command {
            assigns: Vec::new(),
            argv: Vec::new(),
            redirects: Vec::new(),
            pos,
        };
        loop {
            match self.peek() {
                Some(Token::Word(word)) => {
                    let word = word.clone();
                    self.next += 1;
                    if command.argv.is_empty() && word.assign {
                        command.assigns.push(split_assign(word));
                    } else {
                        command.argv.push(word);
                    }
                }
                Some(&Token::Op(Op::Redir(op), pos)) => {
                    self.next += 1;
                    let file = if op.takes_file() {
                        Some(self.file_word(op, pos)?)
                    } else {
                        None
                    };
                    command.redirects.push(Redirect { op, file, pos });
                }
                _ => break,
            }
        }
        if command.assigns.is_empty() && command.argv.is_empty() && command.redirects.is_empty() {
            return Err(match self.peek() {
                Some(token) => unexpected(token),
                None => SyntaxError::new(pos, ErrorKind::Unexpected("newline".into())),
            });
        }
        Ok(command)
    }

    fn file_word(&mut self, op: RedirOp, pos: usize) -> Result<Word, SyntaxError> {
        match self.peek() {
            Some(Token::Word(word)) => {
                let word = word.clone();
                self.next += 1;
                Ok(word)
            }
            Some(token) => Err(unexpected(token)),
            None => Err(SyntaxError::new(pos, ErrorKind::MissingFile(op.text()))),
        }
    }
}

/// Splits a word the lexer marked `assign` (its first piece starts with `NAME=`).
fn split_assign(mut word: Word) -> Assign {
    let mut name = String::new();
    if let Some(Piece::Lit(first)) = word.pieces.first_mut() {
        let eq = first.find('=').unwrap_or(first.len());
        name = first[..eq].into();
        *first = first[(eq + 1).min(first.len())..].into();
        if first.is_empty() {
            word.pieces.remove(0);
        }
    }
    word.pos += name.len() + 1;
    word.assign = false;
    Assign { name, value: word }
}
