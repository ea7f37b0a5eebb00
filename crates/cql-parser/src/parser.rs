//! Entry points: text to statements, and syntax errors worded and placed as Cassandra's.

use crate::ast::Statement;
use crate::ddl::{alter_statement, create_statement, drop_statement, truncate_statement, use_statement};
use crate::describe::describe_statement;
use crate::input::{eof, fail, many_, sym, Ctx, Expect, Input, PErr, PResult};
use crate::lexer::{lex, Lexed, Token, TokenKind};
use crate::modification::{batch_statement, delete_statement, insert_statement, update_statement};
use crate::select::select_statement;

/// A syntax error, at the offending token: `line` is 1-based and `column` 0-based, as in Cassandra's
/// `SyntaxException` messages (`line 1:0 no viable alternative at input 'SELEC' ([SELEC]...)`).
///
/// At the end of the input, Cassandra reports the position as `0:-1`; here it is the position just
/// after the last character.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}:{column} {message}")]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Parses one statement, optionally followed by `;`.
pub fn parse_statement(input: &str) -> Result<Statement, ParseError> {
    let lexed = lex(input);
    let ctx = Ctx::new(input, &lexed.tokens);
    let result = (|| {
        let (i, statement) = statement(ctx.start(0))?;
        let (i, _) = many_(sym(";"))(i)?;
        let (i, _) = eof(i)?;
        Ok((i, statement))
    })();
    result.map(|(_, s)| s).map_err(|e| syntax_error(&ctx, &lexed, e))
}

/// Parses `;`-separated statements (empty ones are skipped). Bind markers are numbered from 0 in each.
pub fn parse_statements(input: &str) -> Result<Vec<Statement>, ParseError> {
    let lexed = lex(input);
    let ctx = Ctx::new(input, &lexed.tokens);
    let mut statements = Vec::new();
    let mut i = ctx.start(0);
    loop {
        let step = (|| {
            let (i, _) = many_(sym(";"))(i)?;
            if eof(i).is_ok() {
                return Ok((i, None));
            }
            let (i, s) = statement(Input { markers: 0, ..i })?;
            if !i.is_sym(";") {
                eof(i)?;
            }
            Ok((i, Some(s)))
        })();
        match step {
            Ok((_, None)) => return Ok(statements),
            Ok((rest, Some(s))) => {
                statements.push(s);
                i = rest;
            }
            Err(e) => return Err(syntax_error(&ctx, &lexed, e)),
        }
    }
}

/// Any statement, chosen by its first keyword.
fn statement(i: Input<'_>) -> PResult<'_, Statement> {
    const STARTS: &[&str] =
        &["SELECT", "INSERT", "UPDATE", "BEGIN", "DELETE", "USE", "TRUNCATE", "CREATE", "DROP", "ALTER", "DESCRIBE", "DESC"];
    let t = i.token();
    if t.kind == TokenKind::Ident {
        match t.text.to_ascii_uppercase().as_str() {
            "SELECT" => return select_statement(i),
            "INSERT" => return insert_statement(i),
            "UPDATE" => return update_statement(i),
            "BEGIN" => return batch_statement(i),
            "DELETE" => return delete_statement(i),
            "USE" => return use_statement(i),
            "TRUNCATE" => return truncate_statement(i),
            "CREATE" => return create_statement(i),
            "DROP" => return drop_statement(i),
            "ALTER" => return alter_statement(i),
            "DESCRIBE" | "DESC" => return describe_statement(i),
            _ => {}
        }
    }
    for word in &STARTS[1..] {
        i.ctx.record(i.pos, Expect::Kw(word));
    }
    fail(i, Expect::Kw(STARTS[0]))
}

fn syntax_error(ctx: &Ctx<'_>, lexed: &Lexed, err: nom::Err<PErr>) -> ParseError {
    let at = |pos: usize| &lexed.tokens[pos.min(lexed.tokens.len() - 1)];
    if let nom::Err::Failure(PErr { pos, message: Some(message) }) = err {
        let t = at(pos);
        return ParseError { line: t.line, column: t.column, message };
    }
    let stuck = ctx.furthest();
    let t = at(stuck.pos);
    let message = match t.kind {
        TokenKind::Error => lexed.error.clone().unwrap_or_else(|| "invalid input".to_string()),
        TokenKind::Eof => describe_failure("<EOF>", &stuck),
        _ => format!("{}{}", describe_failure(&t.text, &stuck), snippet(ctx.src, lexed, t)),
    };
    ParseError { line: t.line, column: t.column, message }
}

fn describe_failure(input: &str, stuck: &crate::input::Stuck) -> String {
    match stuck.single_expectation() {
        Some(expected) => format!("mismatched input '{input}' expecting {expected}"),
        None => format!("no viable alternative at input '{input}'"),
    }
}

/// Cassandra's query snippet: up to ten tokens (hidden ones included) before the offending token, which
/// is put in brackets, with `...` where the query goes on; line breaks are dropped.
fn snippet(src: &str, lexed: &Lexed, offending: &Token) -> String {
    let from = lexed.raw_starts.get(offending.raw_index.saturating_sub(10)).copied().unwrap_or(0);
    let before = src.get(from..offending.start).unwrap_or("");
    let token = src.get(offending.start..offending.end).unwrap_or("");
    let after = src.get(offending.end..).unwrap_or("");
    let mut s = String::from(" (");
    if from > 0 {
        s.push_str("...");
    }
    s.extend(before.chars().filter(|c| *c != '\n'));
    s.push('[');
    s.extend(token.chars().filter(|c| *c != '\n'));
    s.push(']');
    if !after.chars().all(|c| c == '\n') {
        s.push_str("...");
    }
    s.push(')');
    s
}
