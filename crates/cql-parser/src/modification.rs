//! `INSERT`, `UPDATE`, `DELETE` and `BEGIN … APPLY BATCH`.

use crate::input::choice;
use nom::combinator::map;
use nom::sequence::{delimited, preceded, terminated, tuple};

use crate::ast::{
    Assignment, Batch, BatchKind, Delete, DeleteTarget, Insert, InsertValues, Literal, Statement, Term, Update,
    UsingParam,
};
use crate::input::{
    comma_list1, fail, fatal, flag, kw, many_, opt_, quietly, sep1, sym, Expect, Input, PResult,
};
use crate::lexer::TokenKind;
use crate::names::{cident, ident, table_name};
use crate::relations::{opt_conditions, where_clause};
use crate::terms::{additive_op, bind_marker, int_value, term};

/// What a `USING` clause may set.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Using {
    /// `TTL` and `TIMESTAMP` (and `TIMEOUT`)
    TtlAndTimestamp,
    /// `TIMESTAMP` only (and `TIMEOUT`), for `DELETE`
    Timestamp,
}

/// `USING param AND param …`, if present.
fn opt_using(allowed: Using) -> impl Fn(Input<'_>) -> PResult<'_, Vec<UsingParam>> {
    move |i| {
        let param = |i| {
            let ttl = |i| {
                if allowed == Using::TtlAndTimestamp {
                    map(preceded(kw("TTL"), int_value), UsingParam::Ttl)(i)
                } else {
                    crate::input::backtrack(i)
                }
            };
            choice((
                map(preceded(kw("TIMESTAMP"), int_value), UsingParam::Timestamp),
                ttl,
                map(preceded(kw("TIMEOUT"), timeout_value), UsingParam::Timeout),
            ))(i)
        };
        map(opt_(preceded(kw("USING"), sep1(param, kw("AND")))), Option::unwrap_or_default)(i)
    }
}

/// A duration literal or a bind marker.
fn timeout_value(i: Input<'_>) -> PResult<'_, Term> {
    let t = i.token();
    if t.kind == TokenKind::Duration {
        return Ok((i.advance(), Term::Literal(Literal { kind: cql_types::LiteralKind::Duration, text: t.text.clone() })));
    }
    i.ctx.record(i.pos, Expect::Constant);
    map(bind_marker, Term::BindMarker)(i)
}

/// `IF NOT EXISTS`, if present.
pub(crate) fn if_not_exists_clause(i: Input<'_>) -> PResult<'_, bool> {
    flag(tuple((kw("IF"), kw("NOT"), kw("EXISTS"))))(i)
}

/// `INSERT INTO t (cols) VALUES (values) …` or `INSERT INTO t JSON '…' …`
pub(crate) fn insert_statement(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = kw("INSERT")(i)?;
    let (i, _) = kw("INTO")(i)?;
    let (i, table) = table_name(i)?;
    let (i, values) = choice((normal_insert, preceded(kw("JSON"), json_insert)))(i)?;
    let (i, if_not_exists) = if_not_exists_clause(i)?;
    let (i, using) = opt_using(Using::TtlAndTimestamp)(i)?;
    Ok((i, Statement::Insert(Insert { table, values, if_not_exists, using })))
}

fn normal_insert(i: Input<'_>) -> PResult<'_, InsertValues> {
    let (i, columns) = delimited(sym("("), comma_list1(cident), sym(")"))(i)?;
    let (i, _) = kw("VALUES")(i)?;
    let (i, values) = delimited(sym("("), comma_list1(term), sym(")"))(i)?;
    Ok((i, InsertValues::Values { columns, values }))
}

/// `'json' [DEFAULT NULL | DEFAULT UNSET]` (the JSON may be a bind marker)
fn json_insert(i: Input<'_>) -> PResult<'_, InsertValues> {
    let t = i.token();
    let (i, json) = if t.kind == TokenKind::Str {
        (i.advance(), Term::Literal(Literal { kind: cql_types::LiteralKind::String, text: t.text.clone() }))
    } else {
        i.ctx.record(i.pos, Expect::Str);
        map(bind_marker, Term::BindMarker)(i)?
    };
    let (i, default) =
        opt_(preceded(kw("DEFAULT"), choice((map(kw("NULL"), |_| false), map(kw("UNSET"), |_| true)))))(i)?;
    Ok((i, InsertValues::Json { json, default_unset: default.unwrap_or(false) }))
}

/// `UPDATE t [USING …] SET assignments WHERE … [IF …]`
pub(crate) fn update_statement(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = kw("UPDATE")(i)?;
    let (i, table) = table_name(i)?;
    let (i, using) = opt_using(Using::TtlAndTimestamp)(i)?;
    let (i, _) = kw("SET")(i)?;
    let (i, assignments) = comma_list1(assignment)(i)?;
    let (i, _) = kw("WHERE")(i)?;
    let (i, where_clause) = where_clause(i)?;
    let (i, conditions) = opt_conditions(i)?;
    Ok((i, Statement::Update(Update { table, using, assignments, where_clause, conditions })))
}

/// `c = v`, `c = c + v`, `c = v + c`, `c = c - v`, `c += v`, `c -= v`, `c[k] = v`, `c.f = v`
fn assignment(i: Input<'_>) -> PResult<'_, Assignment> {
    let (i, column) = cident(i)?;
    let col = column.clone();
    let shorthand = move |i| {
        let (i, add) = choice((map(sym("+="), |_| true), map(sym("-="), |_| false)))(i)?;
        let (i, value) = term(i)?;
        let column = col.clone();
        Ok((i, if add { Assignment::Add { column, value } } else { Assignment::Subtract { column, value } }))
    };
    let col = column.clone();
    let element = move |i| {
        let (i, key) = delimited(sym("["), term, sym("]"))(i)?;
        let (i, value) = preceded(sym("="), term)(i)?;
        Ok((i, Assignment::SetElement { column: col.clone(), key, value }))
    };
    let col = column.clone();
    let field = move |i| {
        let (i, field) = preceded(sym("."), ident)(i)?;
        let (i, value) = preceded(sym("="), term)(i)?;
        Ok((i, Assignment::SetField { column: col.clone(), field, value }))
    };
    let normal = move |i| {
        let (i, _) = sym("=")(i)?;
        normal_assignment(i, &column)
    };
    choice((normal, shorthand, element, field))(i)
}

/// What follows `column =`.
fn normal_assignment<'t>(i: Input<'t>, column: &str) -> PResult<'t, Assignment> {
    let column = column.to_string();
    // `c = c + v` / `c = c - v`
    if let Ok((after, other)) = quietly(i, cident) {
        if let Ok((after_op, op)) = quietly(after, additive_op) {
            let (rest, value) = term(after_op)?;
            if other != column {
                let sign = if op == "_add" { "+" } else { "-" };
                return fatal(i.pos, format!("Only expressions of the form X = X {sign} <value> are supported."));
            }
            return Ok((
                rest,
                if op == "_add" { Assignment::Add { column, value } } else { Assignment::Subtract { column, value } },
            ));
        }
        // `c = c -3` lexes as `c`, `-3`: an addition of a negative number.
        let t = after.token();
        if t.kind == TokenKind::Integer {
            if other != column {
                let sign = if t.text.starts_with('-') { '-' } else { '+' };
                return fatal(i.pos, format!("Only expressions of the form X = X {sign} <value> are supported."));
            }
            let value = Term::Literal(Literal { kind: cql_types::LiteralKind::Integer, text: t.text.clone() });
            return Ok((after.advance(), Assignment::Add { column, value }));
        }
    }
    // `c = v` / `c = v + c`
    let (i, value) = term(i)?;
    let (rest, prepend) = opt_(preceded(sym("+"), cident))(i)?;
    match prepend {
        None => Ok((rest, Assignment::Set { column, value })),
        Some(other) if other == column => Ok((rest, Assignment::Prepend { column, value })),
        Some(_) => fatal(i.pos, "Only expressions of the form X = <value> + X are supported."),
    }
}

/// `DELETE [targets] FROM t [USING TIMESTAMP …] WHERE … [IF …]`
pub(crate) fn delete_statement(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = kw("DELETE")(i)?;
    let (i, targets) = opt_(comma_list1(delete_target))(i)?;
    let (i, _) = kw("FROM")(i)?;
    let (i, table) = table_name(i)?;
    let (i, using) = opt_using(Using::Timestamp)(i)?;
    let (i, _) = kw("WHERE")(i)?;
    let (i, where_clause) = where_clause(i)?;
    let (i, conditions) = opt_conditions(i)?;
    Ok((i, Statement::Delete(Delete { table, targets: targets.unwrap_or_default(), using, where_clause, conditions })))
}

/// `c`, `c[k]` or `c.f`
fn delete_target(i: Input<'_>) -> PResult<'_, DeleteTarget> {
    let (i, column) = cident(i)?;
    let (i, element) = opt_(delimited(sym("["), term, sym("]")))(i)?;
    if let Some(key) = element {
        return Ok((i, DeleteTarget::Element(column, key)));
    }
    let (i, field) = opt_(preceded(sym("."), ident))(i)?;
    Ok((
        i,
        match field {
            Some(f) => DeleteTarget::Field(column, f),
            None => DeleteTarget::Column(column),
        },
    ))
}

/// `BEGIN [UNLOGGED | COUNTER] BATCH [USING …] statements APPLY BATCH`, each statement optionally
/// followed by `;`. Bind markers are numbered across the whole batch.
pub(crate) fn batch_statement(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = kw("BEGIN")(i)?;
    let (i, kind) = opt_(choice((map(kw("UNLOGGED"), |_| BatchKind::Unlogged), map(kw("COUNTER"), |_| BatchKind::Counter))))(i)?;
    let (i, _) = kw("BATCH")(i)?;
    let (i, using) = opt_using(Using::TtlAndTimestamp)(i)?;
    let (i, statements) = many_(terminated(batch_member, opt_(sym(";"))))(i)?;
    let (i, _) = kw("APPLY")(i)?;
    let (i, _) = kw("BATCH")(i)?;
    Ok((i, Statement::Batch(Batch { kind: kind.unwrap_or(BatchKind::Logged), using, statements })))
}

fn batch_member(i: Input<'_>) -> PResult<'_, Statement> {
    if i.is_kw("INSERT") {
        insert_statement(i)
    } else if i.is_kw("UPDATE") {
        update_statement(i)
    } else if i.is_kw("DELETE") {
        delete_statement(i)
    } else {
        i.ctx.record(i.pos, Expect::Kw("INSERT"));
        i.ctx.record(i.pos, Expect::Kw("UPDATE"));
        fail(i, Expect::Kw("DELETE"))
    }
}
