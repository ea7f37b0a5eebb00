use crate::ast::Statement;
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}:{column} {message}")]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}
pub fn parse_statement(_input: &str) -> Result<Statement, ParseError> {
    Err(ParseError { line: 1, column: 0, message: "unimplemented".into() })
}
pub fn parse_statements(_input: &str) -> Result<Vec<Statement>, ParseError> {
    Ok(vec![])
}
