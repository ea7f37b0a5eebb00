//! CQL literals (the constants of the language) converted to values of a given type, with the
//! implicit conversions Cassandra allows (e.g. a string literal for a timestamp, an integer for a bigint).

/// The lexical kind of a literal, as the CQL parser found it. The parser keeps the literal's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LiteralKind {
    /// `'…'` or `$$…$$`; the text is the unescaped content.
    String,
    /// `-?[0-9]+`
    Integer,
    /// `-?[0-9]+.[0-9]*` with optional exponent, or `NaN` / `Infinity` / `-Infinity`.
    Float,
    /// `true` / `false` (text is lower-case).
    Boolean,
    /// An unquoted UUID.
    Uuid,
    /// `0x…`; the text is the hex digits after `0x`.
    Blob,
    /// A duration like `1h30m` or `P1DT2H` or `P2W`.
    Duration,
}
