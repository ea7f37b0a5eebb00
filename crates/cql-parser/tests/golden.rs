//! Golden tests: every `testdata/*.cql` file holds cases separated by blank lines, one statement each;
//! the matching `.expected` file holds, for each case, the case and either `{:#?}` of its syntax tree
//! or the error. Run with `UPDATE_GOLDEN=1` to rewrite the `.expected` files from the current output.

use std::fs;
use std::path::{Path, PathBuf};

use cql_parser::parse_statement;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// The cases of a `.cql` file: blocks separated by blank lines.
fn cases(text: &str) -> Vec<String> {
    let mut cases = Vec::new();
    let mut current = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                cases.push(current.join("\n"));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        cases.push(current.join("\n"));
    }
    cases
}

fn render(cases: &[String]) -> String {
    let mut out = String::new();
    for case in cases {
        out.push_str("==== ");
        out.push_str(&case.replace('\n', "\n     "));
        out.push('\n');
        match parse_statement(case) {
            Ok(statement) => out.push_str(&format!("{statement:#?}\n")),
            Err(e) => out.push_str(&format!("ERROR: {e}\n")),
        }
        out.push('\n');
    }
    out
}

/// The first line where `expected` and `actual` differ, for a readable failure.
fn first_difference(expected: &str, actual: &str) -> String {
    for (n, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
        if e != a {
            return format!("line {}:\n  expected: {e}\n  actual:   {a}", n + 1);
        }
    }
    format!("lengths differ: expected {} lines, actual {}", expected.lines().count(), actual.lines().count())
}

#[test]
fn golden_files_match() {
    let update = std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    let mut files: Vec<PathBuf> = fs::read_dir(testdata())
        .expect("testdata directory")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "cql"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no golden files found");
    let mut failures = Vec::new();
    for cql in files {
        let text = fs::read_to_string(&cql).expect("readable .cql file");
        let actual = render(&cases(&text));
        let expected_path = cql.with_extension("expected");
        if update {
            fs::write(&expected_path, &actual).expect("writable .expected file");
            continue;
        }
        let expected = fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!("{}: {}", expected_path.display(), first_difference(&expected, &actual)));
        }
    }
    assert!(failures.is_empty(), "golden files differ (UPDATE_GOLDEN=1 regenerates them):\n{}", failures.join("\n"));
}
