//! User-defined functions and aggregates, and triggers: `CREATE [OR REPLACE] FUNCTION | AGGREGATE`,
//! `DROP FUNCTION | AGGREGATE`, `CREATE | DROP TRIGGER`, with the grammar of Cassandra's
//! `createFunctionStatement`, `createAggregateStatement`, `dropFunctionStatement`,
//! `dropAggregateStatement`, `createTriggerStatement` and `dropTriggerStatement`.

use nom::combinator::map;
use nom::sequence::{delimited, pair, preceded, tuple};

use crate::ast::{CreateAggregate, CreateFunction, CreateTrigger, DropFunction, DropTrigger, Statement, TypeExpr};
use crate::ddl::{if_exists_clause, string};
use crate::input::{choice, comma_list1, fail, flag, kw, opt_, sym, Expect, Input, PResult};
use crate::lexer::TokenKind;
use crate::modification::if_not_exists_clause;
use crate::names::{function_name, function_name_part, ident, table_name};
use crate::terms::term;
use crate::types::comparator_type;

/// `[OR REPLACE] FUNCTION …` or `[OR REPLACE] AGGREGATE …` (after `CREATE`).
pub(crate) fn create_function_or_aggregate(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, or_replace) = flag(pair(kw("OR"), kw("REPLACE")))(i)?;
    choice((move |i| create_function(i, or_replace), move |i| create_aggregate(i, or_replace)))(i)
}

/// `FUNCTION [IF NOT EXISTS] f(arg type, …) (CALLED | RETURNS NULL) ON NULL INPUT RETURNS type
/// LANGUAGE lang AS 'body'`
fn create_function(i: Input<'_>, or_replace: bool) -> PResult<'_, Statement> {
    let (i, _) = kw("FUNCTION")(i)?;
    let (i, if_not_exists) = if_not_exists_clause(i)?;
    let (i, name) = function_name(i)?;
    let (i, arguments) = delimited(sym("("), opt_(comma_list1(pair(ident, comparator_type))), sym(")"))(i)?;
    let (i, called_on_null_input) =
        choice((map(pair(kw("RETURNS"), kw("NULL")), |_| false), map(kw("CALLED"), |_| true)))(i)?;
    let (i, _) = tuple((kw("ON"), kw("NULL"), kw("INPUT")))(i)?;
    let (i, return_type) = preceded(kw("RETURNS"), comparator_type)(i)?;
    let (i, language) = preceded(kw("LANGUAGE"), language)(i)?;
    let (i, body) = preceded(kw("AS"), string)(i)?;
    Ok((
        i,
        Statement::CreateFunction(CreateFunction {
            name,
            or_replace,
            if_not_exists,
            arguments: arguments.unwrap_or_default(),
            called_on_null_input,
            return_type,
            language,
            body,
        }),
    ))
}

/// The language of a function: an unquoted identifier (`IDENT`), lower-cased.
fn language(i: Input<'_>) -> PResult<'_, String> {
    let t = i.token();
    if t.kind == TokenKind::Ident {
        Ok((i.advance(), t.text.to_lowercase()))
    } else {
        fail(i, Expect::Ident)
    }
}

/// `AGGREGATE [IF NOT EXISTS] a(type, …) SFUNC s STYPE type [FINALFUNC f] [INITCOND term]`
fn create_aggregate(i: Input<'_>, or_replace: bool) -> PResult<'_, Statement> {
    let (i, _) = kw("AGGREGATE")(i)?;
    let (i, if_not_exists) = if_not_exists_clause(i)?;
    let (i, name) = function_name(i)?;
    let (i, arguments) = argument_types(i)?;
    let (i, state_function) = preceded(kw("SFUNC"), function_name_part)(i)?;
    let (i, state_type) = preceded(kw("STYPE"), comparator_type)(i)?;
    let (i, final_function) = opt_(preceded(kw("FINALFUNC"), function_name_part))(i)?;
    let (i, initial_condition) = opt_(preceded(kw("INITCOND"), term))(i)?;
    Ok((
        i,
        Statement::CreateAggregate(CreateAggregate {
            name,
            or_replace,
            if_not_exists,
            arguments,
            state_function,
            state_type,
            final_function,
            initial_condition,
        }),
    ))
}

/// `(type, …)`, possibly empty.
fn argument_types(i: Input<'_>) -> PResult<'_, Vec<TypeExpr>> {
    map(delimited(sym("("), opt_(comma_list1(comparator_type)), sym(")")), Option::unwrap_or_default)(i)
}

/// `[IF EXISTS] f[(type, …)]` after `DROP FUNCTION` or `DROP AGGREGATE`.
fn drop_target(i: Input<'_>) -> PResult<'_, DropFunction> {
    let (i, if_exists) = if_exists_clause(i)?;
    let (i, name) = function_name(i)?;
    let (i, arguments) = opt_(argument_types)(i)?;
    Ok((i, DropFunction { name, if_exists, arguments }))
}

/// `FUNCTION …` or `AGGREGATE …` (after `DROP`).
pub(crate) fn drop_function_or_aggregate(i: Input<'_>) -> PResult<'_, Statement> {
    choice((
        map(preceded(kw("FUNCTION"), drop_target), Statement::DropFunction),
        map(preceded(kw("AGGREGATE"), drop_target), Statement::DropAggregate),
    ))(i)
}

/// `TRIGGER [IF NOT EXISTS] name ON table USING 'class'` (after `CREATE`).
pub(crate) fn create_trigger(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = kw("TRIGGER")(i)?;
    let (i, if_not_exists) = if_not_exists_clause(i)?;
    let (i, name) = ident(i)?;
    let (i, table) = preceded(kw("ON"), table_name)(i)?;
    let (i, class) = preceded(kw("USING"), string)(i)?;
    Ok((i, Statement::CreateTrigger(CreateTrigger { name, if_not_exists, table, class })))
}

/// `TRIGGER [IF EXISTS] name ON table` (after `DROP`).
pub(crate) fn drop_trigger(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = kw("TRIGGER")(i)?;
    let (i, if_exists) = if_exists_clause(i)?;
    let (i, name) = ident(i)?;
    let (i, table) = preceded(kw("ON"), table_name)(i)?;
    Ok((i, Statement::DropTrigger(DropTrigger { name, if_exists, table })))
}

#[cfg(test)]
mod tests {
    use crate::ast::{Statement, TypeExpr};
    use crate::parse_statement;
    use cql_types::NativeType;

    fn parse(src: &str) -> Statement {
        parse_statement(src).unwrap_or_else(|e| panic!("{src}: {e}"))
    }

    #[test]
    fn a_function_keeps_its_signature_language_and_body() {
        let Statement::CreateFunction(f) = parse(
            "CREATE OR REPLACE FUNCTION ks.f(a int, b text) CALLED ON NULL INPUT RETURNS text LANGUAGE Java AS 'return b;'",
        ) else {
            panic!()
        };
        assert!(f.or_replace && !f.if_not_exists && f.called_on_null_input);
        assert_eq!(f.arguments[0], ("a".to_string(), TypeExpr::Native(NativeType::Int)));
        assert_eq!((f.language.as_str(), f.body.as_str()), ("java", "return b;"));
    }

    #[test]
    fn a_function_without_arguments_returning_null_on_null_input() {
        let Statement::CreateFunction(f) = parse(
            "CREATE FUNCTION IF NOT EXISTS f() RETURNS NULL ON NULL INPUT RETURNS int LANGUAGE java AS $$ return 1; $$",
        ) else {
            panic!()
        };
        assert!(f.if_not_exists && !f.called_on_null_input && f.arguments.is_empty());
    }

    #[test]
    fn an_aggregate_keeps_its_functions_and_initial_condition() {
        let Statement::CreateAggregate(a) =
            parse("CREATE AGGREGATE ks.a(int) SFUNC s STYPE int FINALFUNC fin INITCOND 0")
        else {
            panic!()
        };
        assert_eq!((a.state_function.as_str(), a.final_function.as_deref()), ("s", Some("fin")));
        assert!(a.initial_condition.is_some());
    }

    #[test]
    fn drops_with_and_without_argument_types() {
        assert!(matches!(parse("DROP FUNCTION f"), Statement::DropFunction(d) if d.arguments.is_none()));
        assert!(matches!(
            parse("DROP AGGREGATE IF EXISTS ks.a(int, text)"),
            Statement::DropAggregate(d) if d.if_exists && d.arguments.as_ref().is_some_and(|a| a.len() == 2)
        ));
        assert!(matches!(parse("DROP FUNCTION f()"), Statement::DropFunction(d) if d.arguments == Some(vec![])));
    }

    #[test]
    fn triggers() {
        assert!(matches!(
            parse("CREATE TRIGGER IF NOT EXISTS tr ON ks.t USING 'org.example.Trigger'"),
            Statement::CreateTrigger(t) if t.if_not_exists && t.class == "org.example.Trigger"
        ));
        assert!(matches!(parse("DROP TRIGGER tr ON t"), Statement::DropTrigger(t) if t.name == "tr"));
    }

    #[test]
    fn the_language_is_an_unquoted_identifier() {
        assert!(parse_statement("CREATE FUNCTION f() CALLED ON NULL INPUT RETURNS int LANGUAGE 'java' AS ''").is_err());
    }
}
