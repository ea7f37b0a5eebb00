//! Arbitrary text given to the CQL parser, as one statement and as a `;`-separated script: parsing
//! must return a syntax tree or a syntax error, never panic nor overflow the stack.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = cql_parser::parse_statement(&text);
    let _ = cql_parser::parse_statements(&text);
});
