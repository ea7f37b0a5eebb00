//! `WHERE` relations and `IF` conditions.

use crate::input::choice;
use nom::combinator::map;
use nom::sequence::{delimited, pair, preceded, tuple};

use crate::ast::{Condition, ConditionLhs, Conditions, Operator, Relation, RelationLhs, Term};
use crate::input::{bracketed_list, comma_list1, flag, kw, nested, opt_, sep1, sym, Input, PResult};
use crate::names::cident;
use crate::terms::{bind_marker, term, tuple_literal};

/// `relation AND relation …`
pub(crate) fn where_clause(i: Input<'_>) -> PResult<'_, Vec<Relation>> {
    sep1(relation, kw("AND"))(i)
}

/// `WHERE relations`, if present.
pub(crate) fn opt_where(i: Input<'_>) -> PResult<'_, Vec<Relation>> {
    map(opt_(preceded(kw("WHERE"), where_clause)), Option::unwrap_or_default)(i)
}

/// `=`, `<`, `<=`, `>`, `>=` or `!=`.
pub(crate) fn relation_type(i: Input<'_>) -> PResult<'_, Operator> {
    choice((
        map(sym("="), |_| Operator::Eq),
        map(sym("<"), |_| Operator::Lt),
        map(sym("<="), |_| Operator::Lte),
        map(sym(">"), |_| Operator::Gt),
        map(sym(">="), |_| Operator::Gte),
        map(sym("!="), |_| Operator::Neq),
    ))(i)
}

fn relation(i: Input<'_>) -> PResult<'_, Relation> {
    choice((
        token_relation,
        multi_column_relation,
        nested(delimited(sym("("), relation, sym(")"))),
        element_relation,
        single_column_relation,
    ))(i)
}

/// `c op term`, `c LIKE term`, `c IS NOT NULL`, `c IN …`, `c CONTAINS [KEY] term`
fn single_column_relation(i: Input<'_>) -> PResult<'_, Relation> {
    let (i, column) = cident(i)?;
    let (i, (op, rhs)) = choice((
        pair(relation_type, term),
        map(preceded(kw("LIKE"), term), |t| (Operator::Like, t)),
        map(tuple((kw("IS"), kw("NOT"), kw("NULL"))), |_| (Operator::IsNotNull, Term::Null)),
        map(preceded(kw("IN"), in_values), |t| (Operator::In, t)),
        contains,
    ))(i)?;
    Ok((i, Relation { lhs: RelationLhs::Column(column), op, rhs }))
}

/// `CONTAINS term` or `CONTAINS KEY term`
fn contains(i: Input<'_>) -> PResult<'_, (Operator, Term)> {
    let (i, _) = kw("CONTAINS")(i)?;
    let (i, key) = flag(kw("KEY"))(i)?;
    let (i, t) = term(i)?;
    Ok((i, (if key { Operator::ContainsKey } else { Operator::Contains }, t)))
}

/// `m[key] op term`
fn element_relation(i: Input<'_>) -> PResult<'_, Relation> {
    let (i, column) = cident(i)?;
    let (i, key) = delimited(sym("["), term, sym("]"))(i)?;
    let (i, op) = relation_type(i)?;
    let (i, rhs) = term(i)?;
    Ok((i, Relation { lhs: RelationLhs::Element(column, key), op, rhs }))
}

/// `token(a, b) op term`
fn token_relation(i: Input<'_>) -> PResult<'_, Relation> {
    let (i, _) = kw("TOKEN")(i)?;
    let (i, columns) = tuple_of_identifiers(i)?;
    let (i, op) = relation_type(i)?;
    let (i, rhs) = term(i)?;
    Ok((i, Relation { lhs: RelationLhs::Token(columns), op, rhs }))
}

/// `(a, b) op (…)`, `(a, b) op ?`, `(a, b) IN (…)`, `(a, b) IN ?`
fn multi_column_relation(i: Input<'_>) -> PResult<'_, Relation> {
    let (i, columns) = tuple_of_identifiers(i)?;
    let (i, (op, rhs)) = choice((
        map(preceded(kw("IN"), multi_column_in_values), |t| (Operator::In, t)),
        pair(relation_type, choice((map(tuple_literal, Term::Tuple), map(bind_marker, Term::BindMarker)))),
    ))(i)?;
    Ok((i, Relation { lhs: RelationLhs::Tuple(columns), op, rhs }))
}

fn tuple_of_identifiers(i: Input<'_>) -> PResult<'_, Vec<String>> {
    delimited(sym("("), comma_list1(cident), sym(")"))(i)
}

/// The values of a single-column `IN`: `(a, b, …)` as a list, or a bind marker.
pub(crate) fn in_values(i: Input<'_>) -> PResult<'_, Term> {
    choice((map(bracketed_list("(", term, ")"), Term::List), map(bind_marker, Term::BindMarker)))(i)
}

/// The values of a multi-column `IN`: a list of tuples or of markers, or a bind marker.
fn multi_column_in_values(i: Input<'_>) -> PResult<'_, Term> {
    choice((
        map(pair(sym("("), sym(")")), |_| Term::List(Vec::new())),
        map(bind_marker, Term::BindMarker),
        map(delimited(sym("("), comma_list1(map(tuple_literal, Term::Tuple)), sym(")")), Term::List),
        map(delimited(sym("("), comma_list1(map(bind_marker, Term::BindMarker)), sym(")")), Term::List),
    ))(i)
}

/// `IF EXISTS` or `IF condition AND …`, if present.
pub(crate) fn opt_conditions(i: Input<'_>) -> PResult<'_, Option<Conditions>> {
    opt_(preceded(
        kw("IF"),
        choice((map(sep1(condition, kw("AND")), Conditions::Columns), map(kw("EXISTS"), |_| Conditions::Exists))),
    ))(i)
}

fn condition(i: Input<'_>) -> PResult<'_, Condition> {
    let (i, column) = cident(i)?;
    let (i, lhs) = choice((
        map(delimited(sym("["), term, sym("]")), |key| ConditionLhs::Element(column.clone(), key)),
        map(preceded(sym("."), crate::names::ident), |field| ConditionLhs::Field(column.clone(), field)),
        |i| Ok((i, ConditionLhs::Column(column.clone()))),
    ))(i)?;
    let simple = matches!(lhs, ConditionLhs::Column(_));
    let (i, (op, rhs)) =
        choice((pair(relation_type, term), map(preceded(kw("IN"), in_values), |t| (Operator::In, t)), |i| {
            if simple {
                contains(i)
            } else {
                crate::input::backtrack(i)
            }
        }))(i)?;
    Ok((i, Condition { lhs, op, rhs }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{BindMarker, Literal};
    use crate::input::Ctx;
    use crate::lexer::{lex, TokenKind};
    use cql_types::LiteralKind;

    fn parse(src: &str) -> Option<Vec<Relation>> {
        let lexed = lex(src);
        let ctx = Ctx::new(src, &lexed.tokens);
        match where_clause(ctx.start(0)) {
            Ok((rest, r)) if rest.token().kind == TokenKind::Eof => Some(r),
            _ => None,
        }
    }

    fn int(text: &str) -> Term {
        Term::Literal(Literal { kind: LiteralKind::Integer, text: text.to_string() })
    }

    fn marker(index: usize) -> Term {
        Term::BindMarker(BindMarker { index, name: None })
    }

    fn rel(lhs: RelationLhs, op: Operator, rhs: Term) -> Relation {
        Relation { lhs, op, rhs }
    }

    fn col(c: &str) -> RelationLhs {
        RelationLhs::Column(c.to_string())
    }

    #[test]
    fn relations_joined_by_and() {
        assert_eq!(
            parse("a = 1 AND b >= ? AND c != 2"),
            Some(vec![
                rel(col("a"), Operator::Eq, int("1")),
                rel(col("b"), Operator::Gte, marker(0)),
                rel(col("c"), Operator::Neq, int("2"))
            ])
        );
    }

    #[test]
    fn in_with_a_list_or_a_marker() {
        assert_eq!(parse("a IN (1, 2)"), Some(vec![rel(col("a"), Operator::In, Term::List(vec![int("1"), int("2")]))]));
        assert_eq!(parse("a IN ()"), Some(vec![rel(col("a"), Operator::In, Term::List(vec![]))]));
        assert_eq!(parse("a IN ?"), Some(vec![rel(col("a"), Operator::In, marker(0))]));
    }

    #[test]
    fn multi_column_relations() {
        let ab = || RelationLhs::Tuple(vec!["a".into(), "b".into()]);
        assert_eq!(
            parse("(a, b) > (1, 2)"),
            Some(vec![rel(ab(), Operator::Gt, Term::Tuple(vec![int("1"), int("2")]))])
        );
        assert_eq!(
            parse("(a, b) IN ((1, 2), (3, 4))"),
            Some(vec![rel(
                ab(),
                Operator::In,
                Term::List(vec![Term::Tuple(vec![int("1"), int("2")]), Term::Tuple(vec![int("3"), int("4")])])
            )])
        );
        assert_eq!(
            parse("(a, b) IN (?, ?)"),
            Some(vec![rel(ab(), Operator::In, Term::List(vec![marker(0), marker(1)]))])
        );
        assert_eq!(parse("(a, b) = ?"), Some(vec![rel(ab(), Operator::Eq, marker(0))]));
    }

    #[test]
    fn token_relations() {
        assert_eq!(
            parse("token(a, b) > ?"),
            Some(vec![rel(RelationLhs::Token(vec!["a".into(), "b".into()]), Operator::Gt, marker(0))])
        );
    }

    #[test]
    fn contains_like_and_is_not_null() {
        assert_eq!(parse("c CONTAINS 1"), Some(vec![rel(col("c"), Operator::Contains, int("1"))]));
        assert_eq!(parse("c CONTAINS KEY 1"), Some(vec![rel(col("c"), Operator::ContainsKey, int("1"))]));
        assert_eq!(parse("c IS NOT NULL"), Some(vec![rel(col("c"), Operator::IsNotNull, Term::Null)]));
        assert!(parse("c LIKE 'a%'").is_some());
    }

    #[test]
    fn map_element_relations() {
        assert_eq!(
            parse("m['k'] = 1").map(|r| r[0].lhs.clone()),
            Some(RelationLhs::Element(
                "m".into(),
                Term::Literal(Literal { kind: LiteralKind::String, text: "k".into() })
            ))
        );
    }

    #[test]
    fn a_relation_may_be_parenthesised() {
        assert_eq!(parse("(a = 1)"), Some(vec![rel(col("a"), Operator::Eq, int("1"))]));
    }

    #[test]
    fn keywords_usable_as_column_names() {
        assert!(parse("key = 1 AND type = 'x' AND values CONTAINS 1").is_some());
    }
}
