//! `SELECT`.
//!
//! Selectors follow Cassandra's grammar: columns, constants and markers, function calls (`count(*)`,
//! `writetime(c)`, `ttl(c)`, `token(k)`, aggregates…), `CAST(x AS type)`, field and element/slice
//! selection, arithmetic (as `system._add`… calls, see [`crate::terms`]) and parenthesised selectors.
//! Collection, tuple and type-hint selectors are kept when they are plain values; built from columns,
//! the tree cannot represent them and they are rejected with an explicit message.

use crate::input::choice;
use nom::combinator::map;
use nom::sequence::{delimited, pair, preceded, tuple};

use crate::ast::{Order, QualifiedName, Select, Selector, SelectorExpr, Statement, Term};
use crate::input::{attempt, bracketed_list, chain, comma_list1, fatal, flag, kw, nested, opt_, sym, Input, PResult};
use crate::names::{cident, function_name, ident, table_name};
use crate::relations::opt_where;
use crate::terms::{
    additive_op, bind_marker, constant, int_value, multiplicative_op, native_function, negate, null, term,
};
use crate::types::{comparator_type, native_type};

/// `SELECT [JSON] [DISTINCT] selectors FROM table [WHERE …] [GROUP BY …] [ORDER BY …]
/// [PER PARTITION LIMIT n] [LIMIT n] [ALLOW FILTERING]`
pub(crate) fn select_statement(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = kw("SELECT")(i)?;
    // `json` and `distinct` are also valid column names: try them as keywords first.
    let (i, (json, (distinct, selectors))) =
        choice((map(preceded(kw("JSON"), select_clause), |c| (true, c)), map(select_clause, |c| (false, c))))(i)?;
    let (i, _) = kw("FROM")(i)?;
    let (i, table) = table_name(i)?;
    let (i, where_clause) = opt_where(i)?;
    let (i, group_by) = opt_(preceded(pair(kw("GROUP"), kw("BY")), comma_list1(unaliased_selector)))(i)?;
    let (i, orderings) = opt_(preceded(pair(kw("ORDER"), kw("BY")), comma_list1(ordering)))(i)?;
    let mut order_by = Vec::new();
    let mut ann = Vec::new();
    for (pos, (column, vector, order)) in orderings.unwrap_or_default().into_iter().enumerate() {
        if let Some(v) = vector {
            ann.push((pos, v));
        }
        order_by.push((column, order));
    }
    let (i, per_partition_limit) = opt_(preceded(tuple((kw("PER"), kw("PARTITION"), kw("LIMIT"))), int_value))(i)?;
    let (i, limit) = opt_(preceded(kw("LIMIT"), int_value))(i)?;
    let (i, allow_filtering) = flag(pair(kw("ALLOW"), kw("FILTERING")))(i)?;
    Ok((
        i,
        Statement::Select(Select {
            json,
            distinct,
            selectors,
            table,
            where_clause,
            group_by: group_by.unwrap_or_default(),
            order_by,
            ann,
            per_partition_limit,
            limit,
            allow_filtering,
        }),
    ))
}

/// `[DISTINCT] selectors`
fn select_clause(i: Input<'_>) -> PResult<'_, (bool, Vec<Selector>)> {
    choice((map(preceded(kw("DISTINCT"), selectors), |s| (true, s)), map(selectors, |s| (false, s))))(i)
}

/// `*` (an empty list) or `selector, …`
pub(crate) fn selectors(i: Input<'_>) -> PResult<'_, Vec<Selector>> {
    choice((map(sym("*"), |_| Vec::new()), comma_list1(selector)))(i)
}

/// `c [ANN OF term] [ASC|DESC]`
fn ordering(i: Input<'_>) -> PResult<'_, (String, Option<Term>, Order)> {
    let (i, column) = cident(i)?;
    let (i, vector) = opt_(preceded(pair(kw("ANN"), kw("OF")), term))(i)?;
    let (i, order) = opt_(choice((map(kw("ASC"), |_| Order::Asc), map(kw("DESC"), |_| Order::Desc))))(i)?;
    Ok((i, (column, vector, order.unwrap_or(Order::Asc))))
}

/// `expr [AS alias]`
fn selector(i: Input<'_>) -> PResult<'_, Selector> {
    let (i, expr) = unaliased_selector(i)?;
    let (i, alias) = opt_(preceded(kw("AS"), ident))(i)?;
    Ok((i, Selector { expr, alias }))
}

/// A selector with arithmetic.
pub(crate) fn unaliased_selector(i: Input<'_>) -> PResult<'_, SelectorExpr> {
    nested(|i| {
        chain(i, selection_multiplication, |i| operation(i, additive_op, selection_multiplication), apply_operation)
    })(i)
}

fn selection_multiplication(i: Input<'_>) -> PResult<'_, SelectorExpr> {
    chain(i, selection_group, |i| operation(i, multiplicative_op, selection_group), apply_operation)
}

fn operation<'t>(
    i: Input<'t>,
    op: fn(Input<'t>) -> PResult<'t, &'static str>,
    operand: fn(Input<'t>) -> PResult<'t, SelectorExpr>,
) -> PResult<'t, (&'static str, SelectorExpr)> {
    pair(op, operand)(i)
}

fn apply_operation(left: SelectorExpr, (name, right): (&'static str, SelectorExpr)) -> SelectorExpr {
    SelectorExpr::FunctionCall { name: native_function(name), args: vec![left, right] }
}

/// A selector with field/element selection, or a negated one.
fn selection_group(i: Input<'_>) -> PResult<'_, SelectorExpr> {
    choice((
        |i| chain(i, selection_group_without_field, selector_modifier, apply_modifier),
        map(preceded(sym("-"), nested(selection_group)), |s| match s {
            SelectorExpr::Term(t) => SelectorExpr::Term(negate(t)),
            other => SelectorExpr::FunctionCall { name: native_function("_negate"), args: vec![other] },
        }),
    ))(i)
}

enum Modifier {
    Field(String),
    Element(Term),
    Slice(Option<Term>, Option<Term>),
}

/// `.field`, `[term]` or `[from..to]` (either bound optional).
fn selector_modifier(i: Input<'_>) -> PResult<'_, Modifier> {
    choice((
        map(preceded(sym("."), ident), Modifier::Field),
        delimited(
            sym("["),
            choice((map(preceded(sym(".."), term), |to| Modifier::Slice(None, Some(to))), |i| {
                let (i, from) = term(i)?;
                let (i, range) = opt_(preceded(sym(".."), opt_(term)))(i)?;
                Ok((
                    i,
                    match range {
                        None => Modifier::Element(from),
                        Some(to) => Modifier::Slice(Some(from), to),
                    },
                ))
            })),
            sym("]"),
        ),
    ))(i)
}

fn apply_modifier(s: SelectorExpr, m: Modifier) -> SelectorExpr {
    match m {
        Modifier::Field(f) => SelectorExpr::Field(Box::new(s), f),
        Modifier::Element(t) => SelectorExpr::Element(Box::new(s), Box::new(t)),
        Modifier::Slice(from, to) => SelectorExpr::Slice(Box::new(s), from.map(Box::new), to.map(Box::new)),
    }
}

fn selection_group_without_field(i: Input<'_>) -> PResult<'_, SelectorExpr> {
    choice((
        selection_function,
        map(selection_literal, SelectorExpr::Term),
        map(ident, SelectorExpr::Column),
        selection_type_hint,
        selection_parenthesised,
        selection_list,
        selection_map_or_set,
    ))(i)
}

/// A constant, `null` or a bind marker.
fn selection_literal(i: Input<'_>) -> PResult<'_, Term> {
    choice((map(constant, Term::Literal), null, map(bind_marker, Term::BindMarker)))(i)
}

fn call(name: &str, args: Vec<SelectorExpr>) -> SelectorExpr {
    SelectorExpr::FunctionCall { name: QualifiedName { keyspace: None, name: name.to_string() }, args }
}

fn selection_function(i: Input<'_>) -> PResult<'_, SelectorExpr> {
    choice((
        map(tuple((kw("COUNT"), sym("("), sym("*"), sym(")"))), |_| SelectorExpr::CountStar),
        writetime_or_ttl("MAXWRITETIME"),
        writetime_or_ttl("WRITETIME"),
        writetime_or_ttl("TTL"),
        cast_selector,
        |i| {
            let (i, name) = function_name(i)?;
            let (i, args) = bracketed_list("(", unaliased_selector, ")")(i)?;
            Ok((i, SelectorExpr::FunctionCall { name, args }))
        },
    ))(i)
}

/// `writetime(c)`, `maxwritetime(c)`, `ttl(c)`, where `c` may select a field or an element.
fn writetime_or_ttl<'t>(word: &'static str) -> impl Fn(Input<'t>) -> PResult<'t, SelectorExpr> {
    move |i| {
        let (i, _) = kw(word)(i)?;
        let (i, _) = sym("(")(i)?;
        let (i, column) = nested(|i| chain(i, map(ident, SelectorExpr::Column), selector_modifier, apply_modifier))(i)?;
        let (i, _) = sym(")")(i)?;
        Ok((i, call(&word.to_ascii_lowercase(), vec![column])))
    }
}

/// `CAST(selector AS native_type)`
fn cast_selector(i: Input<'_>) -> PResult<'_, SelectorExpr> {
    let (i, _) = kw("CAST")(i)?;
    let (i, _) = sym("(")(i)?;
    let (i, s) = unaliased_selector(i)?;
    let (i, _) = kw("AS")(i)?;
    let (i, t) = native_type(i)?;
    let (i, _) = sym(")")(i)?;
    Ok((i, SelectorExpr::Cast(Box::new(s), crate::ast::TypeExpr::Native(t))))
}

/// Values only: a selector built from columns inside a literal has no representation in the tree.
fn unsupported<'t, O>(pos: usize, what: &str) -> PResult<'t, O> {
    fatal(pos, format!("{what} selectors are only supported with constant or bind marker elements"))
}

fn terms_of(selectors: Vec<SelectorExpr>) -> Option<Vec<Term>> {
    selectors.into_iter().map(|s| if let SelectorExpr::Term(t) = s { Some(t) } else { None }).collect()
}

/// `(type) selector`
fn selection_type_hint(i: Input<'_>) -> PResult<'_, SelectorExpr> {
    let start = i.pos;
    let (i, (t, s)) =
        attempt(pair(delimited(sym("("), comparator_type, sym(")")), nested(selection_group_without_field)))(i)?;
    match s {
        SelectorExpr::Term(v) => Ok((i, SelectorExpr::Term(Term::TypeHint(t, Box::new(v))))),
        _ => unsupported(start, "Type hint"),
    }
}

/// `(selector)` or a tuple `(a, b, …)`
fn selection_parenthesised(i: Input<'_>) -> PResult<'_, SelectorExpr> {
    let start = i.pos;
    let (i, mut items) = delimited(sym("("), comma_list1(unaliased_selector), sym(")"))(i)?;
    if items.len() == 1 {
        if let Some(s) = items.pop() {
            return Ok((
                i,
                if matches!(s, SelectorExpr::Term(_)) { s } else { SelectorExpr::Parenthesised(Box::new(s)) },
            ));
        }
    }
    match terms_of(items) {
        Some(terms) => Ok((i, SelectorExpr::Term(Term::Tuple(terms)))),
        None => unsupported(start, "Tuple"),
    }
}

/// `[a, b, …]`
fn selection_list(i: Input<'_>) -> PResult<'_, SelectorExpr> {
    let start = i.pos;
    let (i, items) = bracketed_list("[", unaliased_selector, "]")(i)?;
    match terms_of(items) {
        Some(terms) => Ok((i, SelectorExpr::Term(Term::List(terms)))),
        None => unsupported(start, "List"),
    }
}

/// `{}`, `{k: v, …}` (a map, or a UDT literal when every key is a plain name) or `{a, b, …}`
fn selection_map_or_set(i: Input<'_>) -> PResult<'_, SelectorExpr> {
    let start = i.pos;
    let (i, _) = sym("{")(i)?;
    if i.is_sym("}") {
        return Ok((i.advance(), SelectorExpr::Term(Term::Map(Vec::new()))));
    }
    let (i, first) = unaliased_selector(i)?;
    if i.is_sym(":") {
        let (i, first_value) = unaliased_selector(i.advance())?;
        let entry = |i| {
            let (i, _) = sym(",")(i)?;
            let (i, k) = unaliased_selector(i)?;
            let (i, _) = sym(":")(i)?;
            let (i, v) = unaliased_selector(i)?;
            Ok((i, (k, v)))
        };
        let (i, mut entries) = crate::input::many_(entry)(i)?;
        let (i, _) = sym("}")(i)?;
        entries.insert(0, (first, first_value));
        let (keys, values): (Vec<_>, Vec<_>) = entries.into_iter().unzip();
        let Some(values) = terms_of(values) else {
            return unsupported(start, "Map");
        };
        if let Some(keys) = terms_of(keys.clone()) {
            return Ok((i, SelectorExpr::Term(Term::Map(keys.into_iter().zip(values).collect()))));
        }
        let fields: Option<Vec<String>> =
            keys.into_iter().map(|k| if let SelectorExpr::Column(c) = k { Some(c) } else { None }).collect();
        return match fields {
            Some(fields) => Ok((i, SelectorExpr::Term(Term::Udt(fields.into_iter().zip(values).collect())))),
            None => unsupported(start, "Map"),
        };
    }
    let (i, mut items) = crate::input::many_(preceded(sym(","), unaliased_selector))(i)?;
    let (i, _) = sym("}")(i)?;
    items.insert(0, first);
    match terms_of(items) {
        Some(terms) => Ok((i, SelectorExpr::Term(Term::Set(terms)))),
        None => unsupported(start, "Set"),
    }
}

#[cfg(test)]
mod tests {
    use crate::ast::{BindMarker, Literal, Operator, Order, RelationLhs, Select, SelectorExpr, Statement, Term};
    use crate::parse_statement;
    use cql_types::LiteralKind;

    fn select(src: &str) -> Select {
        match parse_statement(src) {
            Ok(Statement::Select(s)) => s,
            other => panic!("{src}: {other:?}"),
        }
    }

    fn exprs(src: &str) -> Vec<SelectorExpr> {
        select(src).selectors.into_iter().map(|s| s.expr).collect()
    }

    fn col(c: &str) -> SelectorExpr {
        SelectorExpr::Column(c.to_string())
    }

    fn int(text: &str) -> Term {
        Term::Literal(Literal { kind: LiteralKind::Integer, text: text.to_string() })
    }

    #[test]
    fn star_is_an_empty_selector_list() {
        let s = select("SELECT * FROM ks.t");
        assert!(s.selectors.is_empty());
        assert_eq!((s.table.keyspace.as_deref(), s.table.name.as_str()), (Some("ks"), "t"));
    }

    #[test]
    fn json_and_distinct_flags() {
        let s = select("SELECT JSON DISTINCT k FROM t");
        assert!(s.json && s.distinct);
    }

    #[test]
    fn json_and_distinct_may_be_column_names() {
        let s = select("SELECT json, distinct FROM t");
        assert!(!s.json && !s.distinct);
        assert_eq!(exprs("SELECT json, distinct FROM t"), vec![col("json"), col("distinct")]);
    }

    #[test]
    fn aliases() {
        let s = select("SELECT a AS x, b AS \"Y\" FROM t");
        let aliases: Vec<_> = s.selectors.iter().map(|s| s.alias.as_deref()).collect();
        assert_eq!(aliases, [Some("x"), Some("Y")]);
    }

    #[test]
    fn count_star_and_count_of_a_value() {
        let e = exprs("SELECT count(*), COUNT(1) FROM t");
        assert_eq!(e[0], SelectorExpr::CountStar);
        assert!(matches!(&e[1], SelectorExpr::FunctionCall { name, args } if name.name == "count" && args.len() == 1));
    }

    #[test]
    fn writetime_and_ttl_are_function_calls() {
        let e = exprs("SELECT writetime(v), TTL(v) FROM t");
        for (expr, name) in e.iter().zip(["writetime", "ttl"]) {
            assert!(
                matches!(expr, SelectorExpr::FunctionCall { name: n, args } if n.name == name && args == &vec![col("v")])
            );
        }
    }

    #[test]
    fn keywords_with_a_syntax_of_their_own_are_still_column_names() {
        assert_eq!(
            exprs("SELECT ttl, writetime, count, key FROM t"),
            vec![col("ttl"), col("writetime"), col("count"), col("key")]
        );
    }

    #[test]
    fn a_parenthesised_selector_is_kept_and_a_parenthesised_term_is_a_term() {
        let e = exprs("SELECT (a), (1) FROM t");
        assert_eq!(e[0], SelectorExpr::Parenthesised(Box::new(col("a"))));
        assert_eq!(e[1], SelectorExpr::Term(int("1")));
    }

    #[test]
    fn cast_selector() {
        let e = exprs("SELECT CAST(v AS text) FROM t");
        assert_eq!(
            e[0],
            SelectorExpr::Cast(Box::new(col("v")), crate::ast::TypeExpr::Native(cql_types::NativeType::Text))
        );
    }

    #[test]
    fn field_element_and_slice_selection() {
        let e = exprs("SELECT u.f, m[1], s[1..2] FROM t");
        assert_eq!(e[0], SelectorExpr::Field(Box::new(col("u")), "f".into()));
        assert_eq!(e[1], SelectorExpr::Element(Box::new(col("m")), Box::new(int("1"))));
        assert_eq!(e[2], SelectorExpr::Slice(Box::new(col("s")), Some(Box::new(int("1"))), Some(Box::new(int("2")))));
    }

    #[test]
    fn constants_and_markers_as_selectors() {
        let e = exprs("SELECT 1, ? FROM t");
        assert_eq!(
            e,
            vec![
                SelectorExpr::Term(int("1")),
                SelectorExpr::Term(Term::BindMarker(BindMarker { index: 0, name: None }))
            ]
        );
    }

    #[test]
    fn selectors_built_from_columns_in_literals_are_rejected() {
        assert!(parse_statement("SELECT [a, 1] FROM t").is_err());
    }

    #[test]
    fn where_group_order_limits_and_filtering() {
        let s = select(
            "SELECT * FROM t WHERE k = 1 GROUP BY k ORDER BY c DESC, d PER PARTITION LIMIT 2 LIMIT ? ALLOW FILTERING",
        );
        assert_eq!(s.where_clause.len(), 1);
        assert_eq!((&s.where_clause[0].lhs, s.where_clause[0].op), (&RelationLhs::Column("k".into()), Operator::Eq));
        assert_eq!(s.group_by, [SelectorExpr::Column("k".into())]);
        assert_eq!(s.order_by, [("c".to_string(), Order::Desc), ("d".to_string(), Order::Asc)]);
        assert_eq!(s.per_partition_limit, Some(int("2")));
        assert_eq!(s.limit, Some(Term::BindMarker(BindMarker { index: 0, name: None })));
        assert!(s.allow_filtering);
    }

    #[test]
    fn ann_ordering_keeps_its_vector_and_position() {
        let s = select("SELECT * FROM t ORDER BY v ANN OF [1.0, 2.5] LIMIT 3");
        assert_eq!(s.order_by, [("v".to_string(), Order::Asc)]);
        assert_eq!(s.ann.len(), 1);
        assert_eq!(s.ann[0].0, 0);
        assert!(matches!(&s.ann[0].1, Term::List(items) if items.len() == 2));
        let s = select("SELECT * FROM t ORDER BY c DESC, v ANN OF ? DESC");
        assert_eq!(s.order_by, [("c".to_string(), Order::Desc), ("v".to_string(), Order::Desc)]);
        assert_eq!(s.ann[0].0, 1);
        assert!(matches!(s.ann[0].1, Term::BindMarker(_)));
    }
}
