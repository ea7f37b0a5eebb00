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
            if !i.is_sym(";") && i.token().kind != TokenKind::Eof {
                return fail(i, Expect::Sym(";"));
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
    const STARTS: &[&str] = &[
        "SELECT", "INSERT", "UPDATE", "BEGIN", "DELETE", "USE", "TRUNCATE", "CREATE", "DROP", "ALTER", "DESCRIBE",
        "DESC", "GRANT", "REVOKE", "LIST",
    ];
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
            "GRANT" => return crate::auth::grant_statement(i),
            "REVOKE" => return crate::auth::revoke_statement(i),
            "LIST" => return crate::auth::list_statement(i),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{Relation, Term};

    fn error(src: &str) -> ParseError {
        parse_statement(src).expect_err(src)
    }

    #[test]
    fn keywords_are_case_insensitive_and_a_trailing_semicolon_is_optional() {
        assert_eq!(parse_statement("sElEcT * FrOm t;"), parse_statement("SELECT * FROM t"));
    }

    #[test]
    fn an_unknown_statement_is_no_viable_alternative_with_a_snippet() {
        assert_eq!(error("SELEC * FROM t").to_string(), "line 1:0 no viable alternative at input 'SELEC' ([SELEC]...)");
    }

    #[test]
    fn a_single_expected_token_is_a_mismatch() {
        assert_eq!(
            error("SELECT a FRM t").to_string(),
            "line 1:9 mismatched input 'FRM' expecting K_FROM (SELECT a [FRM]...)"
        );
    }

    #[test]
    fn trailing_input_expects_the_end() {
        assert_eq!(
            error("SELECT * FROM t LIMT 1").message,
            "mismatched input 'LIMT' expecting EOF (SELECT * FROM t [LIMT]...)"
        );
    }

    #[test]
    fn errors_on_later_lines_report_their_line() {
        let e = error("SELECT *\nFROM t\nWHERE k = = 1");
        assert_eq!((e.line, e.column), (3, 10));
    }

    #[test]
    fn the_end_of_input_is_reported_after_the_last_character() {
        let e = error("SELECT * FROM t WHERE");
        assert_eq!((e.line, e.column, e.message.as_str()), (1, 21, "no viable alternative at input '<EOF>'"));
    }

    #[test]
    fn empty_input_is_an_error() {
        assert_eq!(error("").to_string(), "line 1:0 no viable alternative at input '<EOF>'");
        assert!(parse_statement("  -- nothing\n").is_err());
        assert!(parse_statement(";").is_err());
    }

    #[test]
    fn a_reserved_keyword_is_not_an_identifier() {
        let e = error("CREATE TABLE t (select int PRIMARY KEY)");
        assert_eq!((e.column, e.message.starts_with("no viable alternative at input 'select'")), (16, true));
    }

    #[test]
    fn a_lexical_error_is_reported_where_it_is() {
        assert_eq!(
            error("SELECT * FROM t WHERE k = 'x").to_string(),
            "line 1:28 mismatched character '<EOF>' expecting '''"
        );
        assert_eq!(error("SELECT # FROM t").to_string(), "line 1:7 no viable alternative at character '#'");
    }

    #[test]
    fn a_syntax_error_before_a_lexical_error_wins() {
        assert_eq!(error("SELEC * FROM t WHERE a = 'x").column, 0);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("INSERT INTO t (k) VALUES ({}1{})", "[".repeat(100_000), "]".repeat(100_000));
        assert!(error(&deep).message.starts_with("nesting too deep"));
        let chain = format!("SELECT * FROM t WHERE k = 1{}", " + 1".repeat(100_000));
        assert!(error(&chain).message.starts_with("nesting too deep"));
        let fields = format!("SELECT a{} FROM t", ".b".repeat(100_000));
        assert!(error(&fields).message.starts_with("nesting too deep"));
    }

    #[test]
    fn nesting_below_the_limit_is_accepted() {
        let n = crate::input::MAX_DEPTH - 2;
        assert!(parse_statement(&format!("INSERT INTO t (k) VALUES ({}1{})", "[".repeat(n), "]".repeat(n))).is_ok());
    }

    #[test]
    fn several_statements() {
        let all = parse_statements("USE ks; SELECT * FROM t WHERE k = ?;; INSERT INTO t (k) VALUES (?)").unwrap();
        assert_eq!(all.len(), 3);
    }

    #[test]
    fn markers_are_numbered_per_statement() {
        let all = parse_statements("SELECT * FROM t WHERE k = ?; SELECT * FROM t WHERE k = ?").unwrap();
        for s in all {
            let Statement::Select(s) = s else { panic!() };
            assert!(matches!(&s.where_clause[..], [Relation { rhs: Term::BindMarker(m), .. }] if m.index == 0));
        }
    }

    #[test]
    fn a_script_without_statements_is_empty() {
        assert_eq!(parse_statements(" ; -- nothing\n"), Ok(vec![]));
    }

    #[test]
    fn statements_must_be_separated() {
        let e = parse_statements("USE a USE b").unwrap_err();
        assert_eq!((e.column, e.message.as_str()), (6, "mismatched input 'USE' expecting ';' (USE a [USE]...)"));
    }

    #[test]
    fn a_batch_within_several_statements() {
        let all = parse_statements("BEGIN BATCH INSERT INTO t (k) VALUES (1); APPLY BATCH; SELECT * FROM t").unwrap();
        assert_eq!(all.len(), 2);
    }
}
