use super::*;
pub(crate) fn fmt_type(_t: &CqlType, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
    Ok(())
}
pub(crate) fn parse_type(s: &str) -> Result<CqlType, TypeParseError> {
    Err(TypeParseError { text: s.into(), reason: String::new() })
}
