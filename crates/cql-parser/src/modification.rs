//! `INSERT`, `UPDATE`, `DELETE` and `BEGIN … APPLY BATCH`.

use crate::input::choice;
use nom::combinator::map;
use nom::sequence::{delimited, preceded, terminated, tuple};

use crate::ast::{
    Assignment, Batch, BatchKind, Delete, DeleteTarget, Insert, InsertValues, Literal, Statement, Term, Update,
    UsingParam,
};
use crate::input::{comma_list1, fail, fatal, flag, kw, many_, opt_, quietly, sep1, sym, Expect, Input, PResult};
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
        return Ok((
            i.advance(),
            Term::Literal(Literal { kind: cql_types::LiteralKind::Duration, text: t.text.clone() }),
        ));
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
    let (i, kind) =
        opt_(choice((map(kw("UNLOGGED"), |_| BatchKind::Unlogged), map(kw("COUNTER"), |_| BatchKind::Counter))))(i)?;
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

#[cfg(test)]
mod tests {
    use crate::ast::{
        Assignment, BatchKind, BindMarker, Conditions, DeleteTarget, InsertValues, Literal, Statement, Term, UsingParam,
    };
    use crate::parse_statement;
    use cql_types::LiteralKind;

    fn parse(src: &str) -> Statement {
        parse_statement(src).unwrap_or_else(|e| panic!("{src}: {e}"))
    }

    fn int(text: &str) -> Term {
        Term::Literal(Literal { kind: LiteralKind::Integer, text: text.to_string() })
    }

    fn marker(index: usize) -> Term {
        Term::BindMarker(BindMarker { index, name: None })
    }

    fn assignments(src: &str) -> Vec<Assignment> {
        match parse(src) {
            Statement::Update(u) => u.assignments,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn insert_values_with_options() {
        let Statement::Insert(i) =
            parse("INSERT INTO t (k, v) VALUES (?, 2) IF NOT EXISTS USING TTL 5 AND TIMESTAMP ?")
        else {
            panic!()
        };
        assert_eq!(
            i.values,
            InsertValues::Values { columns: vec!["k".into(), "v".into()], values: vec![marker(0), int("2")] }
        );
        assert!(i.if_not_exists);
        assert_eq!(i.using, vec![UsingParam::Ttl(int("5")), UsingParam::Timestamp(marker(1))]);
    }

    #[test]
    fn insert_json_with_default_unset() {
        let Statement::Insert(i) = parse("INSERT INTO t JSON '{}' DEFAULT UNSET") else { panic!() };
        assert!(matches!(i.values, InsertValues::Json { default_unset: true, .. }));
    }

    #[test]
    fn plain_and_collection_assignments() {
        assert_eq!(
            assignments("UPDATE t SET a = 1, b = b + 2, c = c - 3, d = [4] + d, e += 5, f -= 6 WHERE k = 0"),
            vec![
                Assignment::Set { column: "a".into(), value: int("1") },
                Assignment::Add { column: "b".into(), value: int("2") },
                Assignment::Subtract { column: "c".into(), value: int("3") },
                Assignment::Prepend { column: "d".into(), value: Term::List(vec![int("4")]) },
                Assignment::Add { column: "e".into(), value: int("5") },
                Assignment::Subtract { column: "f".into(), value: int("6") },
            ]
        );
    }

    #[test]
    fn a_negative_number_right_after_the_column_is_an_addition() {
        assert_eq!(
            assignments("UPDATE t SET c = c -1 WHERE k = 0"),
            vec![Assignment::Add { column: "c".into(), value: int("-1") }]
        );
    }

    #[test]
    fn element_and_field_assignments() {
        assert_eq!(
            assignments("UPDATE t SET m[1] = 2, u.f = 3 WHERE k = 0"),
            vec![
                Assignment::SetElement { column: "m".into(), key: int("1"), value: int("2") },
                Assignment::SetField { column: "u".into(), field: "f".into(), value: int("3") },
            ]
        );
    }

    #[test]
    fn adding_to_another_column_is_refused() {
        let e = parse_statement("UPDATE t SET a = b + 1 WHERE k = 0").unwrap_err();
        assert_eq!(e.message, "Only expressions of the form X = X + <value> are supported.");
    }

    #[test]
    fn update_conditions() {
        let Statement::Update(u) = parse("UPDATE t SET a = 1 WHERE k = 0 IF EXISTS") else { panic!() };
        assert_eq!(u.conditions, Some(Conditions::Exists));
        let Statement::Update(u) = parse("UPDATE t SET a = 1 WHERE k = 0 IF a = 0 AND b IN (1, 2)") else { panic!() };
        assert!(matches!(u.conditions, Some(Conditions::Columns(c)) if c.len() == 2));
    }

    #[test]
    fn delete_targets() {
        let Statement::Delete(d) = parse("DELETE a, m[1], u.f FROM t USING TIMESTAMP 1 WHERE k = 0") else { panic!() };
        assert_eq!(
            d.targets,
            vec![
                DeleteTarget::Column("a".into()),
                DeleteTarget::Element("m".into(), int("1")),
                DeleteTarget::Field("u".into(), "f".into())
            ]
        );
        assert_eq!(d.using, vec![UsingParam::Timestamp(int("1"))]);
    }

    #[test]
    fn delete_does_not_take_a_ttl() {
        assert!(parse_statement("DELETE FROM t USING TTL 1 WHERE k = 0").is_err());
    }

    #[test]
    fn an_empty_batch_is_valid() {
        let Statement::Batch(b) = parse("BEGIN BATCH APPLY BATCH") else { panic!() };
        assert_eq!((b.kind, b.statements.len()), (BatchKind::Logged, 0));
    }

    #[test]
    fn batch_markers_are_numbered_across_statements() {
        let Statement::Batch(b) =
            parse("BEGIN UNLOGGED BATCH INSERT INTO t (k) VALUES (?); UPDATE t SET v = ? WHERE k = ? APPLY BATCH")
        else {
            panic!()
        };
        assert_eq!(b.kind, BatchKind::Unlogged);
        let Statement::Update(u) = &b.statements[1] else { panic!() };
        assert_eq!(u.where_clause[0].rhs, marker(2));
    }

    #[test]
    fn a_batch_holds_only_modifications() {
        assert!(parse_statement("BEGIN BATCH SELECT * FROM t APPLY BATCH").is_err());
    }
}
