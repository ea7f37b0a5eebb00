//! CQL identifiers as Cassandra prints them (`ColumnIdentifier.maybeQuote`).

use std::borrow::Cow;

/// Cassandra 5.0's reserved keywords (`reserved_keywords.txt`): an identifier spelled like one of these
/// must be double-quoted even if it is otherwise a valid unquoted identifier.
const RESERVED_KEYWORDS: &[&str] = &[
    "add",
    "allow",
    "alter",
    "and",
    "apply",
    "asc",
    "authorize",
    "batch",
    "begin",
    "by",
    "columnfamily",
    "create",
    "delete",
    "desc",
    "describe",
    "drop",
    "entries",
    "execute",
    "from",
    "full",
    "grant",
    "if",
    "in",
    "index",
    "infinity",
    "insert",
    "into",
    "is",
    "keyspace",
    "limit",
    "materialized",
    "modify",
    "nan",
    "norecursive",
    "not",
    "null",
    "of",
    "on",
    "or",
    "order",
    "primary",
    "rename",
    "revoke",
    "schema",
    "select",
    "set",
    "table",
    "to",
    "token",
    "truncate",
    "unlogged",
    "update",
    "use",
    "using",
    "view",
    "where",
    "with",
];

/// True if `word` (compared case-insensitively) is a reserved CQL keyword.
pub fn is_reserved_keyword(word: &str) -> bool {
    RESERVED_KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// The identifier as Cassandra writes it in CQL: unchanged if it matches `[a-z][a-z0-9_]*` and is not a
/// reserved keyword, otherwise wrapped in double quotes with inner `"` doubled.
pub fn maybe_quote(identifier: &str) -> Cow<'_, str> {
    let mut chars = identifier.chars();
    let valid_unquoted = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid_unquoted && !is_reserved_keyword(identifier) {
        Cow::Borrowed(identifier)
    } else {
        Cow::Owned(format!("\"{}\"", identifier.replace('"', "\"\"")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_case_identifier_is_left_bare() {
        assert_eq!(maybe_quote("address_2"), "address_2");
    }

    #[test]
    fn identifier_with_upper_case_is_double_quoted() {
        assert_eq!(maybe_quote("Address"), "\"Address\"");
    }

    #[test]
    fn identifier_starting_with_digit_is_double_quoted() {
        assert_eq!(maybe_quote("1abc"), "\"1abc\"");
    }

    #[test]
    fn reserved_keyword_is_double_quoted() {
        assert_eq!(maybe_quote("select"), "\"select\"");
    }

    #[test]
    fn non_reserved_keyword_is_left_bare() {
        assert_eq!(maybe_quote("type"), "type");
    }

    #[test]
    fn inner_double_quotes_are_doubled() {
        assert_eq!(maybe_quote("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn empty_identifier_is_double_quoted() {
        assert_eq!(maybe_quote(""), "\"\"");
    }
}
