//! Identifiers and names: which keywords are reserved, how names are normalised, qualified names.
//!
//! As in Cassandra, an unquoted identifier is folded to lower case and a `"quoted"` one keeps its case.
//! Reserved keywords cannot be used as unquoted identifiers; all other keywords can (system tables
//! have columns named `key`, `type`, `options`, …). A few contexts allow less: user type names exclude
//! the native type names, and function names exclude the keywords with a syntax of their own.

use crate::ast::QualifiedName;
use crate::input::{fail, fatal, opt_, quietly, sym, Expect, Input, PResult};
use crate::lexer::TokenKind;

/// Cassandra 5.0's reserved keywords (`reserved_keywords.txt`): every keyword of `Lexer.g` that the
/// grammar's `unreserved_keyword` rule does not list.
pub(crate) const RESERVED_KEYWORDS: &[&str] = &[
    "ADD",
    "ALLOW",
    "ALTER",
    "AND",
    "APPLY",
    "ASC",
    "AUTHORIZE",
    "BATCH",
    "BEGIN",
    "BY",
    "COLUMNFAMILY",
    "CREATE",
    "DELETE",
    "DESC",
    "DESCRIBE",
    "DROP",
    "ENTRIES",
    "EXECUTE",
    "FROM",
    "FULL",
    "GRANT",
    "IF",
    "IN",
    "INDEX",
    "INFINITY",
    "INSERT",
    "INTO",
    "IS",
    "KEYSPACE",
    "LIMIT",
    "MATERIALIZED",
    "MODIFY",
    "NAN",
    "NORECURSIVE",
    "NOT",
    "NULL",
    "OF",
    "ON",
    "OR",
    "ORDER",
    "PRIMARY",
    "RENAME",
    "REVOKE",
    "SCHEMA",
    "SELECT",
    "SET",
    "TABLE",
    "TO",
    "TOKEN",
    "TRUNCATE",
    "UNLOGGED",
    "UPDATE",
    "USE",
    "USING",
    "VIEW",
    "WHERE",
    "WITH",
];

/// The keywords naming native types (unreserved, but not user type names).
const NATIVE_TYPE_KEYWORDS: &[&str] = &[
    "ASCII",
    "BIGINT",
    "BLOB",
    "BOOLEAN",
    "COUNTER",
    "DATE",
    "DECIMAL",
    "DOUBLE",
    "DURATION",
    "FLOAT",
    "INET",
    "INT",
    "SMALLINT",
    "TEXT",
    "TIME",
    "TIMESTAMP",
    "TIMEUUID",
    "TINYINT",
    "UUID",
    "VARCHAR",
    "VARINT",
];

/// Unreserved keywords with a syntax of their own: identifiers, but neither function names (except
/// `count`) nor user type names (except `key`).
const SPECIAL_KEYWORDS: &[&str] = &["TTL", "COUNT", "WRITETIME", "MAXWRITETIME", "KEY", "CAST", "JSON", "DISTINCT"];

/// Names Cassandra refuses for user types although they are not keywords.
const RESERVED_TYPE_NAMES: &[&str] = &["byte", "complex", "enum", "date", "interval", "macaddr", "bitstring"];

fn listed(list: &[&str], word: &str) -> bool {
    list.iter().any(|k| k.eq_ignore_ascii_case(word))
}

pub(crate) fn is_reserved(word: &str) -> bool {
    listed(RESERVED_KEYWORDS, word)
}

pub(crate) fn is_native_type_keyword(word: &str) -> bool {
    listed(NATIVE_TYPE_KEYWORDS, word)
}

/// An identifier (Cassandra's `ident`, `noncol_ident`, `fident`, `sident`): an unquoted identifier or
/// unreserved keyword (lower-cased), or a quoted name.
pub(crate) fn ident(i: Input<'_>) -> PResult<'_, String> {
    let t = i.token();
    match t.kind {
        TokenKind::Ident if !is_reserved(&t.text) => Ok((i.advance(), t.text.to_ascii_lowercase())),
        TokenKind::QuotedName => Ok((i.advance(), t.text.clone())),
        _ => fail(i, Expect::Ident),
    }
}

/// A column name (Cassandra's `cident`): an identifier, or `""` (the legacy empty name).
pub(crate) fn cident(i: Input<'_>) -> PResult<'_, String> {
    if i.token().kind == TokenKind::EmptyQuotedName {
        return Ok((i.advance(), String::new()));
    }
    ident(i)
}

/// The name part of a function name (`allowedFunctionName`): an identifier other than the keywords with
/// a syntax of their own, plus `token` and `count`.
pub(crate) fn function_name_part(i: Input<'_>) -> PResult<'_, String> {
    let t = i.token();
    match t.kind {
        TokenKind::Ident if t.text.eq_ignore_ascii_case("token") || t.text.eq_ignore_ascii_case("count") => {
            Ok((i.advance(), t.text.to_ascii_lowercase()))
        }
        TokenKind::Ident if is_reserved(&t.text) || listed(SPECIAL_KEYWORDS, &t.text) => fail(i, Expect::Ident),
        _ => ident(i),
    }
}

/// The name part of a user type name (`non_type_ident`): not a native type name.
pub(crate) fn non_type_ident(i: Input<'_>) -> PResult<'_, String> {
    let t = i.token();
    if t.kind == TokenKind::Ident {
        let special = listed(SPECIAL_KEYWORDS, &t.text) && !t.text.eq_ignore_ascii_case("key");
        if is_native_type_keyword(&t.text) || special {
            return fail(i, Expect::Ident);
        }
        if listed(RESERVED_TYPE_NAMES, &t.text) {
            return fatal(i.pos, format!("Invalid (reserved) user type name {}", t.text));
        }
    }
    ident(i)
}

/// Rejects a bind marker where a schema object's name is expected, with Cassandra's message.
fn no_marker<'t>(i: Input<'t>, what: &str) -> PResult<'t, ()> {
    if i.is_sym("?") {
        return fatal(i.pos, format!("Bind variables cannot be used for {what} names"));
    }
    Ok((i, ()))
}

/// A keyspace name.
pub(crate) fn keyspace_name(i: Input<'_>) -> PResult<'_, String> {
    let (i, _) = no_marker(i, "keyspace")?;
    ident(i)
}

/// `[keyspace.]name` where `what` names the object in the error for a bind marker.
fn qualified<'t>(i: Input<'t>, what: &str) -> PResult<'t, QualifiedName> {
    let (i, first) = keyspace_name(i)?;
    let (i, dot) = opt_(sym("."))(i)?;
    if dot.is_none() {
        return Ok((i, QualifiedName { keyspace: None, name: first }));
    }
    let (i, _) = no_marker(i, what)?;
    let (i, name) = ident(i)?;
    Ok((i, QualifiedName { keyspace: Some(first), name }))
}

/// `[keyspace.]table` (Cassandra's `columnFamilyName`).
pub(crate) fn table_name(i: Input<'_>) -> PResult<'_, QualifiedName> {
    let (i, _) = no_marker(i, "table")?;
    qualified(i, "table")
}

/// `[keyspace.]index`.
pub(crate) fn index_name(i: Input<'_>) -> PResult<'_, QualifiedName> {
    let (i, _) = no_marker(i, "index")?;
    qualified(i, "index")
}

/// `[keyspace.]type` for user types.
pub(crate) fn user_type_name(i: Input<'_>) -> PResult<'_, QualifiedName> {
    if let Ok((after, keyspace)) = quietly(i, ident) {
        if after.is_sym(".") {
            let (i, name) = non_type_ident(after.advance())?;
            return Ok((i, QualifiedName { keyspace: Some(keyspace), name }));
        }
    }
    let (i, name) = non_type_ident(i)?;
    Ok((i, QualifiedName { keyspace: None, name }))
}

/// `[keyspace.]function`.
pub(crate) fn function_name(i: Input<'_>) -> PResult<'_, QualifiedName> {
    if let Ok((after, keyspace)) = quietly(i, keyspace_name) {
        if after.is_sym(".") {
            let (i, name) = function_name_part(after.advance())?;
            return Ok((i, QualifiedName { keyspace: Some(keyspace), name }));
        }
    }
    let (i, name) = function_name_part(i)?;
    Ok((i, QualifiedName { keyspace: None, name }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Ctx;
    use crate::lexer::lex;

    fn run<O>(src: &str, p: impl for<'t> Fn(Input<'t>) -> PResult<'t, O>) -> Option<O> {
        let lexed = lex(src);
        let ctx = Ctx::new(src, &lexed.tokens);
        p(ctx.start(0)).ok().map(|(_, o)| o)
    }

    #[test]
    fn unquoted_identifiers_are_lower_cased() {
        assert_eq!(run("MyTable", ident), Some("mytable".to_string()));
    }

    #[test]
    fn quoted_identifiers_keep_their_case() {
        assert_eq!(run("\"MyTable\"", ident), Some("MyTable".to_string()));
    }

    #[test]
    fn unreserved_keywords_are_identifiers() {
        for k in ["key", "type", "kind", "options", "values", "keys", "ttl", "writetime", "count", "function", "text"] {
            assert_eq!(run(k, ident), Some(k.to_string()), "{k}");
        }
    }

    #[test]
    fn reserved_keywords_are_not_identifiers() {
        for k in ["select", "FROM", "token", "table", "keyspace", "nan"] {
            assert_eq!(run(k, ident), None, "{k}");
        }
    }

    #[test]
    fn the_empty_quoted_name_is_only_a_column_name() {
        assert_eq!(run("\"\"", cident), Some(String::new()));
        assert_eq!(run("\"\"", ident), None);
    }

    #[test]
    fn native_type_names_are_not_user_type_names() {
        assert_eq!(run("int", user_type_name), None);
        assert!(run("address", user_type_name).is_some());
        assert!(run("key", user_type_name).is_some());
    }

    #[test]
    fn token_and_count_are_function_names_but_ttl_is_not() {
        assert!(run("token", function_name).is_some());
        assert!(run("COUNT", function_name).is_some());
        assert_eq!(run("ttl", function_name), None);
    }

    #[test]
    fn qualified_names_split_keyspace_and_name() {
        let q = run("Ks.\"T\"", table_name).unwrap();
        assert_eq!((q.keyspace.as_deref(), q.name.as_str()), (Some("ks"), "T"));
    }
}
