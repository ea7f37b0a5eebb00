//! Types as written (Cassandra's `comparatorType`): native types, collections, tuples, vectors,
//! `frozen<…>`, user type names and custom `'class'` types.

use crate::input::choice;
use cql_types::NativeType;
use nom::combinator::map;

use crate::ast::TypeExpr;
use crate::input::{fail, fatal, kw, nested, sym, Expect, Input, PResult};
use crate::lexer::TokenKind;
use crate::names::{is_native_type_keyword, user_type_name};

/// A type.
pub(crate) fn comparator_type(i: Input<'_>) -> PResult<'_, TypeExpr> {
    nested(|i| {
        choice((
            collection_type,
            tuple_type,
            vector_type,
            frozen_type,
            map(native_type, TypeExpr::Native),
            custom_type,
            map(user_type_name, TypeExpr::UserDefined),
        ))(i)
    })(i)
}

/// A native type name; `varchar` is `text`.
pub(crate) fn native_type(i: Input<'_>) -> PResult<'_, NativeType> {
    let t = i.token();
    if t.kind == TokenKind::Ident && is_native_type_keyword(&t.text) {
        if let Some(native) = NativeType::from_name(&t.text) {
            return Ok((i.advance(), native));
        }
    }
    fail(i, Expect::NativeType)
}

/// `<t1, t2, …>` with exactly `n` types.
fn type_args(i: Input<'_>, n: usize) -> PResult<'_, Vec<TypeExpr>> {
    let (mut i, _) = sym("<")(i)?;
    let mut args = Vec::with_capacity(n);
    for k in 0..n {
        if k > 0 {
            i = sym(",")(i)?.0;
        }
        let (rest, t) = comparator_type(i)?;
        args.push(t);
        i = rest;
    }
    let (i, _) = sym(">")(i)?;
    Ok((i, args))
}

fn collection_type(i: Input<'_>) -> PResult<'_, TypeExpr> {
    if i.is_kw("MAP") {
        let (i, mut args) = type_args(i.advance(), 2)?;
        let value = args.pop();
        let key = args.pop();
        if let (Some(k), Some(v)) = (key, value) {
            return Ok((i, TypeExpr::Map(Box::new(k), Box::new(v))));
        }
    }
    for (word, make) in [("LIST", TypeExpr::List as fn(Box<TypeExpr>) -> TypeExpr), ("SET", TypeExpr::Set)] {
        if i.is_kw(word) {
            let (i, mut args) = type_args(i.advance(), 1)?;
            if let Some(t) = args.pop() {
                return Ok((i, make(Box::new(t))));
            }
        }
    }
    for word in ["MAP", "LIST", "SET"] {
        i.ctx.record(i.pos, Expect::Kw(word));
    }
    crate::input::backtrack(i)
}

fn frozen_type(i: Input<'_>) -> PResult<'_, TypeExpr> {
    let (i, _) = kw("FROZEN")(i)?;
    let (i, mut args) = type_args(i, 1)?;
    match args.pop() {
        Some(t) => Ok((i, TypeExpr::Frozen(Box::new(t)))),
        None => crate::input::backtrack(i),
    }
}

/// `tuple<t1, t2, …>`
fn tuple_type(i: Input<'_>) -> PResult<'_, TypeExpr> {
    let (i, _) = kw("TUPLE")(i)?;
    let (mut i, _) = sym("<")(i)?;
    let mut types = Vec::new();
    loop {
        let (rest, t) = comparator_type(i)?;
        types.push(t);
        if rest.is_sym(",") {
            i = rest.advance();
            continue;
        }
        let (rest, _) = sym(">")(rest)?;
        return Ok((rest, TypeExpr::Tuple(types)));
    }
}

/// `vector<t, n>`
fn vector_type(i: Input<'_>) -> PResult<'_, TypeExpr> {
    let (i, _) = kw("VECTOR")(i)?;
    let (i, _) = sym("<")(i)?;
    let (i, element) = comparator_type(i)?;
    let (i, _) = sym(",")(i)?;
    let t = i.token();
    if t.kind != TokenKind::Integer {
        return fail(i, Expect::Integer);
    }
    let Ok(dimension) = t.text.parse::<i32>() else {
        return fatal(i.pos, format!("Invalid vector dimension: {}", t.text));
    };
    let (i, _) = sym(">")(i.advance())?;
    Ok((i, TypeExpr::Vector(Box::new(element), dimension)))
}

/// `'org.apache.cassandra.db.marshal.…'`
fn custom_type(i: Input<'_>) -> PResult<'_, TypeExpr> {
    let t = i.token();
    if t.kind == TokenKind::Str {
        Ok((i.advance(), TypeExpr::Custom(t.text.clone())))
    } else {
        fail(i, Expect::Str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::QualifiedName;
    use crate::input::Ctx;
    use crate::lexer::lex;

    fn parse(src: &str) -> Option<TypeExpr> {
        let lexed = lex(src);
        let ctx = Ctx::new(src, &lexed.tokens);
        match comparator_type(ctx.start(0)) {
            Ok((rest, t)) if rest.token().kind == TokenKind::Eof => Some(t),
            _ => None,
        }
    }

    fn native(n: NativeType) -> Box<TypeExpr> {
        Box::new(TypeExpr::Native(n))
    }

    #[test]
    fn native_types_by_name_with_varchar_as_text() {
        assert_eq!(parse("INT"), Some(TypeExpr::Native(NativeType::Int)));
        assert_eq!(parse("varchar"), Some(TypeExpr::Native(NativeType::Text)));
    }

    #[test]
    fn collections() {
        assert_eq!(parse("list<int>"), Some(TypeExpr::List(native(NativeType::Int))));
        assert_eq!(parse("set<text>"), Some(TypeExpr::Set(native(NativeType::Text))));
        assert_eq!(parse("map<text, int>"), Some(TypeExpr::Map(native(NativeType::Text), native(NativeType::Int))));
    }

    #[test]
    fn nested_closing_angle_brackets() {
        assert_eq!(
            parse("frozen<list<set<int>>>"),
            Some(TypeExpr::Frozen(Box::new(TypeExpr::List(Box::new(TypeExpr::Set(native(NativeType::Int)))))))
        );
    }

    #[test]
    fn tuples_and_vectors() {
        assert_eq!(
            parse("tuple<int, text>"),
            Some(TypeExpr::Tuple(vec![TypeExpr::Native(NativeType::Int), TypeExpr::Native(NativeType::Text)]))
        );
        assert_eq!(parse("vector<float, 3>"), Some(TypeExpr::Vector(native(NativeType::Float), 3)));
    }

    #[test]
    fn a_negative_vector_dimension_parses_for_the_type_check_to_refuse() {
        assert_eq!(parse("vector<float, -3>"), Some(TypeExpr::Vector(native(NativeType::Float), -3)));
    }

    #[test]
    fn a_vector_dimension_beyond_int_is_rejected() {
        assert_eq!(parse("vector<float, 2147483648>"), None);
    }

    #[test]
    fn user_types_with_or_without_keyspace() {
        let udt = |ks: Option<&str>, n: &str| {
            TypeExpr::UserDefined(QualifiedName { keyspace: ks.map(str::to_string), name: n.to_string() })
        };
        assert_eq!(parse("Address"), Some(udt(None, "address")));
        assert_eq!(parse("ks.address"), Some(udt(Some("ks"), "address")));
        assert_eq!(parse("list"), Some(udt(None, "list")));
    }

    #[test]
    fn custom_types_are_class_names() {
        assert_eq!(parse("'org.example.MyType'"), Some(TypeExpr::Custom("org.example.MyType".into())));
    }
}
