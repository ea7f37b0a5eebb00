//! Values: constants, bind markers, collection/tuple/UDT literals, function calls, type hints and
//! arithmetic (Cassandra's `term`).
//!
//! Arithmetic has no node of its own: like Cassandra, `a + b` is a call of the native function
//! `system._add` (`_substract`, `_multiply`, `_divide`, `_modulo`), and `CAST(x AS type)` in a value is
//! a call of `system.castAs<Type>` (e.g. `castAsInt`). `-x` is [`Term::Negate`], except that a numeric
//! literal just changes sign.

use crate::input::choice;
use cql_types::{LiteralKind, NativeType};
use nom::combinator::map;
use nom::sequence::{delimited, preceded};

use crate::ast::{BindMarker, Literal, QualifiedName, Term};
use crate::input::{bracketed_list, chain, comma_list1, fail, kw, many_, nested, sym, Expect, Input, PResult};
use crate::lexer::TokenKind;
use crate::names::{function_name, ident};
use crate::types::{comparator_type, native_type};

/// A constant (Cassandra's `constant`).
pub(crate) fn constant(i: Input<'_>) -> PResult<'_, Literal> {
    let t = i.token();
    let (kind, text) = match t.kind {
        TokenKind::Str => (LiteralKind::String, t.text.clone()),
        TokenKind::Integer => (LiteralKind::Integer, t.text.clone()),
        TokenKind::Float => (LiteralKind::Float, t.text.clone()),
        TokenKind::Boolean => (LiteralKind::Boolean, t.text.clone()),
        TokenKind::Duration => (LiteralKind::Duration, t.text.clone()),
        TokenKind::Uuid => (LiteralKind::Uuid, t.text.clone()),
        TokenKind::Hex => (LiteralKind::Blob, t.text.get(2..).unwrap_or("").to_string()),
        TokenKind::NegNan => (LiteralKind::Float, "NaN".to_string()),
        TokenKind::NegInfinity => (LiteralKind::Float, "-Infinity".to_string()),
        TokenKind::Ident if t.text.eq_ignore_ascii_case("nan") => (LiteralKind::Float, "NaN".to_string()),
        TokenKind::Ident if t.text.eq_ignore_ascii_case("infinity") => (LiteralKind::Float, "Infinity".to_string()),
        _ => return fail(i, Expect::Constant),
    };
    Ok((i.advance(), Literal { kind, text }))
}

/// `?` or `:name`, numbered by its position among the statement's markers.
pub(crate) fn bind_marker(i: Input<'_>) -> PResult<'_, BindMarker> {
    let index = i.markers;
    if i.is_sym("?") {
        let rest = i.advance();
        return Ok((Input { markers: index + 1, ..rest }, BindMarker { index, name: None }));
    }
    if i.is_sym(":") {
        let (rest, name) = ident(i.advance())?;
        return Ok((Input { markers: index + 1, ..rest }, BindMarker { index, name: Some(name) }));
    }
    i.ctx.record(i.pos, Expect::Sym("?"));
    fail(i, Expect::Sym(":"))
}

/// An integer or a bind marker (Cassandra's `intValue`: limits, TTLs, timestamps).
pub(crate) fn int_value(i: Input<'_>) -> PResult<'_, Term> {
    let t = i.token();
    if t.kind == TokenKind::Integer {
        return Ok((i.advance(), Term::Literal(Literal { kind: LiteralKind::Integer, text: t.text.clone() })));
    }
    i.ctx.record(i.pos, Expect::Integer);
    map(bind_marker, Term::BindMarker)(i)
}

/// `null`
pub(crate) fn null(i: Input<'_>) -> PResult<'_, Term> {
    map(kw("NULL"), |_| Term::Null)(i)
}

/// A value, with arithmetic.
pub(crate) fn term(i: Input<'_>) -> PResult<'_, Term> {
    nested(|i| chain(i, term_multiplication, |i| arith_step(i, additive_op, term_multiplication), apply_arith))(i)
}

fn term_multiplication(i: Input<'_>) -> PResult<'_, Term> {
    chain(i, term_group, |i| arith_step(i, multiplicative_op, term_group), apply_arith)
}

type ArithStep<T> = (&'static str, T);

fn arith_step<'t, T>(
    i: Input<'t>,
    op: fn(Input<'t>) -> PResult<'t, &'static str>,
    mut operand: impl FnMut(Input<'t>) -> PResult<'t, T>,
) -> PResult<'t, ArithStep<T>> {
    let (i, name) = op(i)?;
    let (i, t) = operand(i)?;
    Ok((i, (name, t)))
}

fn apply_arith(left: Term, (name, right): ArithStep<Term>) -> Term {
    Term::FunctionCall { name: native_function(name), args: vec![left, right] }
}

/// `+` or `-`, as the name of the native function doing the operation.
pub(crate) fn additive_op(i: Input<'_>) -> PResult<'_, &'static str> {
    choice((map(sym("+"), |_| "_add"), map(sym("-"), |_| "_substract")))(i)
}

/// `*`, `/` or `%`, as the name of the native function doing the operation.
pub(crate) fn multiplicative_op(i: Input<'_>) -> PResult<'_, &'static str> {
    choice((map(sym("*"), |_| "_multiply"), map(sym("/"), |_| "_divide"), map(sym("%"), |_| "_modulo")))(i)
}

/// A function of the `system` keyspace (where Cassandra's native functions live).
pub(crate) fn native_function(name: &str) -> QualifiedName {
    QualifiedName { keyspace: Some("system".to_string()), name: name.to_string() }
}

fn term_group(i: Input<'_>) -> PResult<'_, Term> {
    choice((simple_term, map(preceded(sym("-"), simple_term), negate)))(i)
}

/// `-t`: a numeric literal changes sign, anything else is negated.
pub(crate) fn negate(t: Term) -> Term {
    match t {
        Term::Literal(Literal { kind: kind @ (LiteralKind::Integer | LiteralKind::Float), text }) => {
            let text = match text.strip_prefix('-') {
                Some(positive) => positive.to_string(),
                None if text == "NaN" => text,
                None => format!("-{text}"),
            };
            Term::Literal(Literal { kind, text })
        }
        other => Term::Negate(Box::new(other)),
    }
}

fn simple_term(i: Input<'_>) -> PResult<'_, Term> {
    choice((value, cast_term, function_call, type_hint))(i)
}

/// `(type) term`
fn type_hint(i: Input<'_>) -> PResult<'_, Term> {
    nested(|i| {
        let (i, _) = sym("(")(i)?;
        let (i, t) = comparator_type(i)?;
        let (i, _) = sym(")")(i)?;
        let (i, value) = simple_term(i)?;
        Ok((i, Term::TypeHint(t, Box::new(value))))
    })(i)
}

/// `CAST(term AS type)`, the call of Cassandra's cast function for that type.
fn cast_term(i: Input<'_>) -> PResult<'_, Term> {
    nested(|i| {
        let (i, _) = kw("CAST")(i)?;
        let (i, _) = sym("(")(i)?;
        let (i, value) = simple_term(i)?;
        let (i, _) = kw("AS")(i)?;
        let type_pos = i.pos;
        let (i, target) = native_type(i)?;
        let (i, _) = sym(")")(i)?;
        let name = cast_function_name(&i.ctx.tokens[type_pos].text, target);
        Ok((i, Term::FunctionCall { name: native_function(&name), args: vec![value] }))
    })(i)
}

/// `castAs` followed by the capitalised type name (`castAsInt`, `castAsText`, …).
fn cast_function_name(written: &str, target: NativeType) -> String {
    let lower = if target == NativeType::Text { "text".to_string() } else { written.to_ascii_lowercase() };
    let mut name = String::from("castAs");
    let mut chars = lower.chars();
    if let Some(first) = chars.next() {
        name.push(first.to_ascii_uppercase());
        name.extend(chars);
    }
    name
}

/// `f(args)` or `ks.f(args)`
fn function_call(i: Input<'_>) -> PResult<'_, Term> {
    let (i, name) = function_name(i)?;
    let (i, args) = bracketed_list("(", term, ")")(i)?;
    Ok((i, Term::FunctionCall { name, args }))
}

/// A value without operators (Cassandra's `value`).
fn value(i: Input<'_>) -> PResult<'_, Term> {
    choice((
        map(constant, Term::Literal),
        list_literal,
        udt_literal,
        set_or_map_literal,
        map(tuple_literal, Term::Tuple),
        null,
        map(bind_marker, Term::BindMarker),
    ))(i)
}

/// `[a, b, …]`
fn list_literal(i: Input<'_>) -> PResult<'_, Term> {
    map(bracketed_list("[", term, "]"), Term::List)(i)
}

/// `(a, b, …)`, at least one element.
pub(crate) fn tuple_literal(i: Input<'_>) -> PResult<'_, Vec<Term>> {
    delimited(sym("("), comma_list1(term), sym(")"))(i)
}

/// `{field: value, …}` where every key is an identifier.
fn udt_literal(i: Input<'_>) -> PResult<'_, Term> {
    let field = |i| {
        let (i, name) = ident(i)?;
        let (i, _) = sym(":")(i)?;
        let (i, v) = term(i)?;
        Ok((i, (name, v)))
    };
    map(delimited(sym("{"), comma_list1(field), sym("}")), Term::Udt)(i)
}

/// `{}`, `{k: v, …}` or `{a, b, …}`.
fn set_or_map_literal(i: Input<'_>) -> PResult<'_, Term> {
    let (i, _) = sym("{")(i)?;
    if i.is_sym("}") {
        return Ok((i.advance(), Term::Map(Vec::new())));
    }
    let (i, first) = term(i)?;
    if i.is_sym(":") {
        let (i, first_value) = term(i.advance())?;
        let entry = |i| {
            let (i, _) = sym(",")(i)?;
            let (i, k) = term(i)?;
            let (i, _) = sym(":")(i)?;
            let (i, v) = term(i)?;
            Ok((i, (k, v)))
        };
        let (i, mut rest) = many_(entry)(i)?;
        let (i, _) = sym("}")(i)?;
        rest.insert(0, (first, first_value));
        return Ok((i, Term::Map(rest)));
    }
    i.ctx.record(i.pos, Expect::Sym(":"));
    let (i, mut rest) = many_(preceded(sym(","), term))(i)?;
    let (i, _) = sym("}")(i)?;
    rest.insert(0, first);
    Ok((i, Term::Set(rest)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Ctx;
    use crate::lexer::lex;

    fn parse(src: &str) -> Option<Term> {
        let lexed = lex(src);
        let ctx = Ctx::new(src, &lexed.tokens);
        match term(ctx.start(0)) {
            Ok((rest, t)) if rest.token().kind == TokenKind::Eof => Some(t),
            _ => None,
        }
    }

    fn lit(kind: LiteralKind, text: &str) -> Term {
        Term::Literal(Literal { kind, text: text.to_string() })
    }

    fn int(text: &str) -> Term {
        lit(LiteralKind::Integer, text)
    }

    fn marker(index: usize, name: Option<&str>) -> Term {
        Term::BindMarker(BindMarker { index, name: name.map(str::to_string) })
    }

    #[test]
    fn constants_of_every_kind() {
        assert_eq!(parse("'a''b'"), Some(lit(LiteralKind::String, "a'b")));
        assert_eq!(parse("$$x$$"), Some(lit(LiteralKind::String, "x")));
        assert_eq!(parse("-42"), Some(int("-42")));
        assert_eq!(parse("4.5e-1"), Some(lit(LiteralKind::Float, "4.5e-1")));
        assert_eq!(parse("False"), Some(lit(LiteralKind::Boolean, "false")));
        assert_eq!(parse("1h30m"), Some(lit(LiteralKind::Duration, "1h30m")));
        assert_eq!(parse("0xCAFE"), Some(lit(LiteralKind::Blob, "CAFE")));
        let uuid = "123e4567-e89b-12d3-a456-426614174000";
        assert_eq!(parse(uuid), Some(lit(LiteralKind::Uuid, uuid)));
    }

    #[test]
    fn nan_and_infinities_are_floats() {
        assert_eq!(parse("NaN"), Some(lit(LiteralKind::Float, "NaN")));
        assert_eq!(parse("-NaN"), Some(lit(LiteralKind::Float, "NaN")));
        assert_eq!(parse("Infinity"), Some(lit(LiteralKind::Float, "Infinity")));
        assert_eq!(parse("-Infinity"), Some(lit(LiteralKind::Float, "-Infinity")));
    }

    #[test]
    fn null_is_a_term() {
        assert_eq!(parse("NULL"), Some(Term::Null));
    }

    #[test]
    fn bind_markers_are_numbered_in_order() {
        assert_eq!(
            parse("[?, :Name, ?]"),
            Some(Term::List(vec![marker(0, None), marker(1, Some("name")), marker(2, None)]))
        );
    }

    #[test]
    fn an_empty_brace_pair_is_an_empty_map() {
        assert_eq!(parse("{}"), Some(Term::Map(vec![])));
    }

    #[test]
    fn sets_maps_and_udts_are_told_apart() {
        assert_eq!(parse("{1, 2}"), Some(Term::Set(vec![int("1"), int("2")])));
        assert_eq!(parse("{1: 2}"), Some(Term::Map(vec![(int("1"), int("2"))])));
        assert_eq!(parse("{a: 1, \"B\": 2}"), Some(Term::Udt(vec![("a".into(), int("1")), ("B".into(), int("2"))])));
    }

    #[test]
    fn tuples_and_lists() {
        assert_eq!(parse("(1, [2])"), Some(Term::Tuple(vec![int("1"), Term::List(vec![int("2")])])));
        assert_eq!(parse("[]"), Some(Term::List(vec![])));
    }

    #[test]
    fn function_calls_with_optional_keyspace() {
        assert_eq!(
            parse("ks.f(1, now())"),
            Some(Term::FunctionCall {
                name: QualifiedName { keyspace: Some("ks".into()), name: "f".into() },
                args: vec![
                    int("1"),
                    Term::FunctionCall { name: QualifiedName { keyspace: None, name: "now".into() }, args: vec![] }
                ],
            })
        );
    }

    #[test]
    fn type_hints() {
        assert_eq!(
            parse("(int) ?"),
            Some(Term::TypeHint(crate::ast::TypeExpr::Native(NativeType::Int), Box::new(marker(0, None))))
        );
    }

    #[test]
    fn negating_a_number_changes_its_sign() {
        assert_eq!(parse("- 5"), Some(int("-5")));
        assert_eq!(parse("- -5"), Some(int("5")));
        assert_eq!(parse("-?"), Some(Term::Negate(Box::new(marker(0, None)))));
    }

    #[test]
    fn arithmetic_is_native_function_calls_with_precedence() {
        let call = |name: &str, args| Term::FunctionCall { name: native_function(name), args };
        assert_eq!(parse("1 + 2 * 3"), Some(call("_add", vec![int("1"), call("_multiply", vec![int("2"), int("3")])])));
        assert_eq!(
            parse("1 - 2 - 3"),
            Some(call("_substract", vec![call("_substract", vec![int("1"), int("2")]), int("3")]))
        );
    }

    #[test]
    fn cast_in_a_value_calls_the_cast_function() {
        assert_eq!(
            parse("CAST(1 AS varchar)"),
            Some(Term::FunctionCall { name: native_function("castAsText"), args: vec![int("1")] })
        );
    }

    #[test]
    fn identifiers_alone_are_not_terms() {
        assert_eq!(parse("a"), None);
    }
}
