//! Whatever the input, parsing returns: never a panic, never a stack overflow.

use cql_parser::{parse_statement, parse_statements};
use proptest::prelude::*;

/// Fragments of CQL, so that random inputs get deep into the grammar.
const FRAGMENTS: &[&str] = &[
    "SELECT",
    "INSERT",
    "INTO",
    "UPDATE",
    "DELETE",
    "FROM",
    "WHERE",
    "AND",
    "SET",
    "VALUES",
    "BEGIN",
    "BATCH",
    "APPLY",
    "CREATE",
    "ALTER",
    "DROP",
    "TABLE",
    "KEYSPACE",
    "TYPE",
    "INDEX",
    "ON",
    "WITH",
    "USING",
    "TTL",
    "TIMESTAMP",
    "IF",
    "NOT",
    "EXISTS",
    "IN",
    "CONTAINS",
    "KEY",
    "IS",
    "NULL",
    "PRIMARY",
    "DESCRIBE",
    "TOKEN",
    "CAST",
    "AS",
    "JSON",
    "DISTINCT",
    "count",
    "writetime",
    "frozen",
    "list",
    "map",
    "set",
    "tuple",
    "vector",
    "int",
    "text",
    "k",
    "v",
    "ks",
    "\"Q\"",
    "\"\"",
    "'s'",
    "$$d$$",
    "1",
    "-1",
    "1.5",
    "1h",
    "P1D",
    "0xff",
    "NaN",
    "-Infinity",
    "true",
    "?",
    ":m",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "<",
    ">",
    "<=",
    ">=",
    "!=",
    "=",
    "+=",
    "-=",
    "+",
    "-",
    "*",
    "/",
    "%",
    ",",
    ";",
    ".",
    "..",
    ":",
    "--c\n",
    "/*c*/",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_strings_never_panic(input in "\\PC*") {
        let _ = parse_statement(&input);
        let _ = parse_statements(&input);
    }

    #[test]
    fn arbitrary_token_soup_never_panics(tokens in prop::collection::vec(prop::sample::select(FRAGMENTS), 0..120)) {
        let input = tokens.join(" ");
        let _ = parse_statement(&input);
        let _ = parse_statements(&input);
    }

    #[test]
    fn errors_point_inside_the_input(input in "[ -~\n]{0,80}") {
        if let Err(e) = parse_statement(&input) {
            let lines: Vec<&str> = input.split('\n').collect();
            prop_assert!(e.line >= 1 && e.line <= lines.len(), "{e}");
            prop_assert!(e.column <= lines[e.line - 1].chars().count(), "{e}");
        }
    }
}

#[test]
fn deeply_nested_inputs_of_every_kind_fail_cleanly() {
    let n = 50_000;
    let cases = [
        format!("INSERT INTO t (k) VALUES ({}1{})", "(".repeat(n), ")".repeat(n)),
        format!("INSERT INTO t (k) VALUES ({}1{})", "{a: ".repeat(n), "}".repeat(n)),
        format!("INSERT INTO t (k) VALUES ({}1{})", "f(".repeat(n), ")".repeat(n)),
        format!("INSERT INTO t (k) VALUES ({}1)", "(int)".repeat(n)),
        format!("INSERT INTO t (k) VALUES ({}1{})", "cast(".repeat(n), " AS int)".repeat(n)),
        format!("SELECT {}a{} FROM t", "(".repeat(n), ")".repeat(n)),
        format!("SELECT {}a FROM t", "- ".repeat(n)),
        format!("SELECT a{} FROM t", "[1]".repeat(n)),
        format!("SELECT * FROM t WHERE {}k = 1{}", "(".repeat(n), ")".repeat(n)),
        format!("CREATE TABLE t (k {}int{} PRIMARY KEY)", "frozen<".repeat(n), ">".repeat(n)),
        format!("SELECT * FROM t WHERE k = {}", "[".repeat(n)),
    ];
    for input in cases {
        assert!(parse_statement(&input).is_err(), "{}", &input[..40]);
    }
}
