//! The lexical rules of CQL (Cassandra's `Lexer.g`): CQL text in, tokens out.
//!
//! Whitespace and comments are hidden: they separate tokens but the parser never sees them. Keywords are
//! not distinguished here: they are [`TokenKind::Ident`] tokens which the grammar matches case-insensitively.
//! Where several token rules match, the longest match wins, and on a tie the rule Cassandra declares first.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// `[A-Za-z][A-Za-z0-9_]*`: an identifier or a keyword, as written.
    Ident,
    /// `"…"`: the text is the name with `""` unescaped.
    QuotedName,
    /// `""`: the empty name (a legacy column name).
    EmptyQuotedName,
    /// `'…'` or `$$…$$`: the text is the unescaped content.
    Str,
    Integer,
    Float,
    /// `true` / `false`, any case: the text is lower-cased.
    Boolean,
    Duration,
    Uuid,
    /// `0x…`: the text includes the `0x` prefix.
    Hex,
    /// `-NaN`
    NegNan,
    /// `-Infinity`
    NegInfinity,
    /// Punctuation and operators: the text is the symbol.
    Symbol,
    /// The end of the input; always the last token when lexing succeeded.
    Eof,
    /// Where lexing failed; always the last token when it did.
    Error,
}

/// One token, with where it is in the source.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub(crate) kind: TokenKind,
    /// See [`TokenKind`] for what the text holds for each kind.
    pub(crate) text: String,
    /// Byte offsets of the token in the source.
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// 1-based line and 0-based column (in characters), as Cassandra reports them.
    pub(crate) line: usize,
    pub(crate) column: usize,
    /// Index of this token among all tokens, hidden ones included (error snippets count those).
    pub(crate) raw_index: usize,
}

/// The result of lexing a whole input.
#[derive(Debug)]
pub(crate) struct Lexed {
    /// The tokens the parser sees, ending with an `Eof` or an `Error` token.
    pub(crate) tokens: Vec<Token>,
    /// The start offset of every token, hidden ones included.
    pub(crate) raw_starts: Vec<usize>,
    /// The message of the lexical error at the `Error` token, if any.
    pub(crate) error: Option<String>,
}

/// Splits `src` into tokens. Never fails: a lexical error becomes a final `Error` token.
pub(crate) fn lex(src: &str) -> Lexed {
    let mut lexer = Lexer { src, pos: 0, line: 1, column: 0 };
    let mut tokens = Vec::new();
    let mut raw_starts = Vec::new();
    let mut error = None;
    loop {
        let (start, line, column) = (lexer.pos, lexer.line, lexer.column);
        if lexer.rest().is_empty() {
            let raw_index = raw_starts.len();
            raw_starts.push(start);
            tokens.push(Token {
                kind: TokenKind::Eof,
                text: String::new(),
                start,
                end: start,
                line,
                column,
                raw_index,
            });
            break;
        }
        match lexer.next_token() {
            Ok(Some((kind, text))) => {
                let raw_index = raw_starts.len();
                raw_starts.push(start);
                tokens.push(Token { kind, text, start, end: lexer.pos, line, column, raw_index });
            }
            Ok(None) => raw_starts.push(start),
            Err(e) => {
                let raw_index = raw_starts.len();
                raw_starts.push(e.offset);
                tokens.push(Token {
                    kind: TokenKind::Error,
                    text: String::new(),
                    start: e.offset,
                    end: e.offset,
                    line: e.line,
                    column: e.column,
                    raw_index,
                });
                error = Some(e.message);
                break;
            }
        }
    }
    Lexed { tokens, raw_starts, error }
}

struct LexError {
    offset: usize,
    line: usize,
    column: usize,
    message: String,
}

struct Lexer<'s> {
    src: &'s str,
    pos: usize,
    line: usize,
    column: usize,
}

/// Multi-character symbols, longest first so that `<=` is not read as `<` then `=`.
const SYMBOLS: &[&str] = &[
    "..", "<=", ">=", "!=", "+=", "-=", ";", "(", ")", ",", ".", "*", "=", "<", ">", "?", ":", "[", "]", "{", "}", "+",
    "-", "/", "%",
];

impl<'s> Lexer<'s> {
    fn rest(&self) -> &'s str {
        &self.src[self.pos..]
    }

    /// Moves forward by `len` bytes (always a character boundary), keeping line and column up to date.
    fn bump(&mut self, len: usize) {
        let end = self.pos + len;
        for c in self.src[self.pos..end].chars() {
            if c == '\n' {
                self.line += 1;
                self.column = 0;
            } else {
                self.column += 1;
            }
        }
        self.pos = end;
    }

    fn error_here(&self, message: String) -> LexError {
        LexError { offset: self.pos, line: self.line, column: self.column, message }
    }

    /// Reads one token; `None` for whitespace and comments.
    fn next_token(&mut self) -> Result<Option<(TokenKind, String)>, LexError> {
        let rest = self.rest();
        let bytes = rest.as_bytes();
        let Some(c) = rest.chars().next() else {
            return Ok(None);
        };
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                let len = rest.find(|c| !matches!(c, ' ' | '\t' | '\n' | '\r')).unwrap_or(rest.len());
                self.bump(len);
                Ok(None)
            }
            '-' if rest.starts_with("--") => self.line_comment(),
            '/' if rest.starts_with("//") => self.line_comment(),
            '/' if rest.starts_with("/*") => self.block_comment(),
            '\'' => self.quoted_string(),
            '$' if rest.starts_with("$$") => self.dollar_string(),
            '"' => self.quoted_name(),
            '0'..='9' => Ok(Some(self.number_like())),
            '-' if matches!(bytes.get(1), Some(b'0'..=b'9' | b'P')) => match scan_numeric(rest) {
                Some((len, kind)) => Ok(Some(self.take(len, kind))),
                None => Ok(Some(self.symbol())),
            },
            '-' if starts_with_ignore_case(&rest[1..], "nan") => Ok(Some(self.take(4, TokenKind::NegNan))),
            '-' if starts_with_ignore_case(&rest[1..], "infinity") => Ok(Some(self.take(9, TokenKind::NegInfinity))),
            'a'..='z' | 'A'..='Z' => Ok(Some(self.word())),
            _ if SYMBOLS.iter().any(|s| rest.starts_with(s)) => Ok(Some(self.symbol())),
            _ => Err(self.error_here(format!("no viable alternative at character '{c}'"))),
        }
    }

    fn take(&mut self, len: usize, kind: TokenKind) -> (TokenKind, String) {
        let text = self.rest()[..len].to_string();
        self.bump(len);
        (kind, text)
    }

    fn symbol(&mut self) -> (TokenKind, String) {
        let rest = self.rest();
        let len = SYMBOLS.iter().find(|s| rest.starts_with(*s)).map_or(1, |s| s.len());
        self.take(len, TokenKind::Symbol)
    }

    /// `--` or `//` up to and including the end of the line (or the end of the input).
    fn line_comment(&mut self) -> Result<Option<(TokenKind, String)>, LexError> {
        let rest = self.rest();
        let len = rest.find(['\n', '\r']).map_or(rest.len(), |i| i + 1);
        self.bump(len);
        Ok(None)
    }

    fn block_comment(&mut self) -> Result<Option<(TokenKind, String)>, LexError> {
        match self.rest()[2..].find("*/") {
            Some(i) => {
                self.bump(i + 4);
                Ok(None)
            }
            None => {
                self.bump(self.rest().len());
                Err(self.error_here("mismatched character '<EOF>' expecting '*'".to_string()))
            }
        }
    }

    /// `'…'` where `''` stands for one quote.
    fn quoted_string(&mut self) -> Result<Option<(TokenKind, String)>, LexError> {
        let rest = self.rest();
        let mut text = String::new();
        let mut chars = rest.char_indices().skip(1).peekable();
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if matches!(chars.peek(), Some((_, '\''))) {
                    chars.next();
                    text.push('\'');
                } else {
                    self.bump(i + 1);
                    return Ok(Some((TokenKind::Str, text)));
                }
            } else {
                text.push(c);
            }
        }
        self.bump(rest.len());
        Err(self.error_here("mismatched character '<EOF>' expecting '''".to_string()))
    }

    /// `$$…$$`, taken verbatim.
    fn dollar_string(&mut self) -> Result<Option<(TokenKind, String)>, LexError> {
        let rest = self.rest();
        match rest[2..].find("$$") {
            Some(i) => {
                let text = rest[2..2 + i].to_string();
                self.bump(i + 4);
                Ok(Some((TokenKind::Str, text)))
            }
            None => {
                self.bump(rest.len());
                Err(self.error_here("mismatched character '<EOF>' expecting '$'".to_string()))
            }
        }
    }

    /// `"…"` where `""` stands for one double quote; `""` alone is the empty name.
    fn quoted_name(&mut self) -> Result<Option<(TokenKind, String)>, LexError> {
        let rest = self.rest();
        if rest.starts_with("\"\"") && !rest[2..].starts_with('"') {
            self.bump(2);
            return Ok(Some((TokenKind::EmptyQuotedName, String::new())));
        }
        let mut text = String::new();
        let mut chars = rest.char_indices().skip(1).peekable();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if matches!(chars.peek(), Some((_, '"'))) {
                    chars.next();
                    text.push('"');
                } else {
                    self.bump(i + 1);
                    return Ok(Some((TokenKind::QuotedName, text)));
                }
            } else {
                text.push(c);
            }
        }
        self.bump(rest.len());
        Err(self.error_here("mismatched character '<EOF>' expecting '\"'".to_string()))
    }

    /// A token starting with a digit: number, duration, blob or UUID, whichever is longest.
    fn number_like(&mut self) -> (TokenKind, String) {
        let rest = self.rest();
        let mut best = scan_numeric(rest).unwrap_or((1, TokenKind::Integer));
        let others = [scan_hex(rest).map(|l| (l, TokenKind::Hex)), scan_uuid(rest).map(|l| (l, TokenKind::Uuid))];
        for candidate in others.into_iter().flatten() {
            if candidate.0 > best.0 {
                best = candidate;
            }
        }
        self.take(best.0, best.1)
    }

    /// A token starting with a letter: identifier, boolean, duration (`P…`) or UUID, whichever is longest.
    fn word(&mut self) -> (TokenKind, String) {
        let rest = self.rest();
        let ident_len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
        if let Some(len) = scan_uuid(rest) {
            return self.take(len, TokenKind::Uuid);
        }
        if let Some(len) = scan_duration(rest) {
            if len >= ident_len {
                return self.take(len, TokenKind::Duration);
            }
        }
        let word = &rest[..ident_len];
        if word.eq_ignore_ascii_case("true") || word.eq_ignore_ascii_case("false") {
            let text = word.to_ascii_lowercase();
            self.bump(ident_len);
            return (TokenKind::Boolean, text);
        }
        self.take(ident_len, TokenKind::Ident)
    }
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

fn count_digits(b: &[u8], from: usize) -> usize {
    b.get(from..).map_or(0, |s| s.iter().take_while(|c| c.is_ascii_digit()).count())
}

/// An integer, float or duration (optionally negative) at the start of `s`, the longest of them.
fn scan_numeric(s: &str) -> Option<(usize, TokenKind)> {
    let number = scan_number(s.as_bytes());
    let duration = scan_duration(s).map(|l| (l, TokenKind::Duration));
    match (number, duration) {
        (Some(n), Some(d)) => Some(if d.0 > n.0 { d } else { n }),
        (n, d) => n.or(d),
    }
}

/// `-?[0-9]+` (INTEGER) or with a fraction and/or an exponent (FLOAT). As in Cassandra, `1..` is the
/// integer 1 followed by `..` and `1...` the float `1.` followed by `..`.
fn scan_number(b: &[u8]) -> Option<(usize, TokenKind)> {
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = count_digits(b, i);
    if digits == 0 {
        return None;
    }
    i += digits;
    let tail = &b[i..];
    if tail.starts_with(b"...") {
        return Some((i + 1, TokenKind::Float));
    }
    if tail.starts_with(b"..") {
        return Some((i, TokenKind::Integer));
    }
    let mut kind = TokenKind::Integer;
    if b.get(i) == Some(&b'.') {
        i += 1 + count_digits(b, i + 1);
        kind = TokenKind::Float;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exponent = count_digits(b, j);
        if exponent > 0 {
            i = j + exponent;
            kind = TokenKind::Float;
        }
    }
    Some((i, kind))
}

/// Length of a duration unit (`y`, `mo`, `w`, `d`, `h`, `m`, `s`, `ms`, `us`, `µs`, `ns`) at the start of `s`.
fn duration_unit(s: &str) -> Option<usize> {
    for two in ["mo", "ms", "us", "ns"] {
        if starts_with_ignore_case(s, two) {
            return Some(2);
        }
    }
    if s.starts_with("\u{b5}s") || s.starts_with("\u{b5}S") {
        return Some(3);
    }
    match s.as_bytes().first() {
        Some(b'y' | b'Y' | b'w' | b'W' | b'd' | b'D' | b'h' | b'H' | b'm' | b'M' | b's' | b'S') => Some(1),
        _ => None,
    }
}

/// A duration at the start of `s`: `-?(digits unit)+` or an ISO 8601 form starting with `P`.
fn scan_duration(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let start = usize::from(b.first() == Some(&b'-'));
    if b.get(start) == Some(&b'P') {
        return scan_iso_duration(b, start + 1);
    }
    let mut i = start;
    let mut matched = None;
    loop {
        let digits = count_digits(b, i);
        if digits == 0 {
            break;
        }
        match duration_unit(&s[i + digits..]) {
            Some(unit) => {
                i += digits + unit;
                matched = Some(i);
            }
            None => break,
        }
    }
    matched
}

/// Designators `digits letter` in the order of `letters`, at least one: returns where they end.
fn scan_designators(b: &[u8], from: usize, letters: &[u8]) -> Option<usize> {
    let mut i = from;
    let mut next_allowed = 0;
    let mut any = false;
    loop {
        let digits = count_digits(b, i);
        if digits == 0 {
            break;
        }
        let Some(rank) = b.get(i + digits).and_then(|l| letters.iter().position(|x| x == l)) else {
            break;
        };
        if rank < next_allowed {
            break;
        }
        next_allowed = rank + 1;
        i += digits + 1;
        any = true;
    }
    any.then_some(i)
}

fn scan_time_designators(b: &[u8], from: usize) -> Option<usize> {
    if b.get(from) != Some(&b'T') {
        return None;
    }
    scan_designators(b, from + 1, b"HMS")
}

/// The part of an ISO 8601 duration after `P`, the longest of its forms; returns where it ends.
fn scan_iso_duration(b: &[u8], from: usize) -> Option<usize> {
    let mut best: Option<usize> = None;
    let mut consider = |end: Option<usize>| {
        if let Some(e) = end {
            best = Some(best.map_or(e, |b| b.max(e)));
        }
    };
    // P0001-02-03T04:05:06
    let shape = b"dddd-dd-ddTdd:dd:dd";
    if b.len() >= from + shape.len()
        && shape.iter().zip(&b[from..]).all(|(s, c)| if *s == b'd' { c.is_ascii_digit() } else { s == c })
    {
        consider(Some(from + shape.len()));
    }
    consider(scan_time_designators(b, from));
    let weeks = count_digits(b, from);
    if weeks > 0 && b.get(from + weeks) == Some(&b'W') {
        consider(Some(from + weeks + 1));
    }
    if let Some(end) = scan_designators(b, from, b"YMD") {
        consider(Some(scan_time_designators(b, end).unwrap_or(end)));
    }
    best
}

/// `0x` followed by any number of hex digits.
fn scan_hex(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.first() == Some(&b'0') && matches!(b.get(1), Some(b'x' | b'X')) {
        Some(2 + b[2..].iter().take_while(|c| c.is_ascii_hexdigit()).count())
    } else {
        None
    }
}

/// `8-4-4-4-12` hex digits.
fn scan_uuid(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    for (n, group) in [8usize, 4, 4, 4, 12].into_iter().enumerate() {
        if n > 0 {
            if b.get(i) != Some(&b'-') {
                return None;
            }
            i += 1;
        }
        if b.len() < i + group || !b[i..i + group].iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        i += group;
    }
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(TokenKind, String)> {
        lex(src).tokens.into_iter().map(|t| (t.kind, t.text)).collect()
    }

    fn single(src: &str) -> (TokenKind, String) {
        let tokens = kinds(src);
        assert_eq!(tokens.len(), 2, "{src}: {tokens:?}");
        tokens[0].clone()
    }

    use TokenKind::*;

    #[test]
    fn whitespace_and_comments_are_hidden() {
        let tokens = kinds("a -- one\n b // two\r c /* three \n */ d");
        let texts: Vec<_> = tokens.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(texts, ["a", "b", "c", "d", ""]);
    }

    #[test]
    fn a_line_comment_may_end_the_input() {
        assert_eq!(kinds("a -- the end").len(), 2);
    }

    #[test]
    fn string_literals_unescape_doubled_quotes() {
        assert_eq!(single("'it''s'"), (Str, "it's".into()));
    }

    #[test]
    fn dollar_strings_are_verbatim() {
        assert_eq!(single("$$it's a 'test'$$"), (Str, "it's a 'test'".into()));
    }

    #[test]
    fn quoted_names_unescape_doubled_double_quotes() {
        assert_eq!(single("\"My \"\"Col\"\"\""), (QuotedName, "My \"Col\"".into()));
        assert_eq!(single("\"\"\"\""), (QuotedName, "\"".into()));
    }

    #[test]
    fn two_double_quotes_are_the_empty_name() {
        assert_eq!(single("\"\""), (EmptyQuotedName, String::new()));
    }

    #[test]
    fn numbers_carry_their_sign() {
        assert_eq!(single("-12"), (Integer, "-12".into()));
        assert_eq!(single("-1.5e3"), (Float, "-1.5e3".into()));
        assert_eq!(single("1."), (Float, "1.".into()));
        assert_eq!(single("2E-2"), (Float, "2E-2".into()));
    }

    #[test]
    fn a_minus_between_numbers_belongs_to_the_second() {
        assert_eq!(kinds("1-1")[..2], [(Integer, "1".into()), (Integer, "-1".into())]);
    }

    #[test]
    fn an_integer_before_a_range_stays_an_integer() {
        assert_eq!(kinds("1..2")[..3], [(Integer, "1".into()), (Symbol, "..".into()), (Integer, "2".into())]);
    }

    #[test]
    fn durations_in_units_and_iso_forms() {
        for d in [
            "1h30m",
            "-2d",
            "10ms",
            "3mo",
            "1y2mo",
            "5µs",
            "7ns",
            "P1DT2H",
            "P2W",
            "-P1Y2M",
            "PT5S",
            "P0001-02-03T04:05:06",
        ] {
            assert_eq!(single(d), (Duration, d.into()), "{d}");
        }
    }

    #[test]
    fn an_identifier_longer_than_a_duration_wins() {
        assert_eq!(single("P1Dx"), (Ident, "P1Dx".into()));
    }

    #[test]
    fn hex_blobs_keep_their_prefix() {
        assert_eq!(single("0xCAFE"), (Hex, "0xCAFE".into()));
        assert_eq!(single("0x"), (Hex, "0x".into()));
    }

    #[test]
    fn uuids_starting_with_digits_or_letters() {
        for u in ["123e4567-e89b-12d3-a456-426614174000", "deadbeef-e89b-12d3-a456-426614174000"] {
            assert_eq!(single(u), (Uuid, u.into()));
        }
    }

    #[test]
    fn booleans_are_lower_cased() {
        assert_eq!(single("TRUE"), (Boolean, "true".into()));
        assert_eq!(single("trueish"), (Ident, "trueish".into()));
    }

    #[test]
    fn negative_nan_and_infinity_are_single_tokens() {
        assert_eq!(single("-NaN").0, NegNan);
        assert_eq!(single("-infinity").0, NegInfinity);
    }

    #[test]
    fn compound_symbols_are_single_tokens() {
        let texts: Vec<_> = kinds("<= >= != += -= ..").into_iter().map(|t| t.1).collect();
        assert_eq!(texts, ["<=", ">=", "!=", "+=", "-=", "..", ""]);
    }

    #[test]
    fn positions_are_one_based_lines_and_zero_based_columns() {
        let lexed = lex("a\n  'é' c");
        let pos: Vec<_> = lexed.tokens.iter().map(|t| (t.line, t.column)).collect();
        assert_eq!(pos, [(1, 0), (2, 2), (2, 6), (2, 7)]);
    }

    #[test]
    fn an_unknown_character_is_a_lexical_error() {
        let lexed = lex("a @");
        assert_eq!(lexed.tokens.last().map(|t| (t.kind, t.column)), Some((Error, 2)));
        assert_eq!(lexed.error.as_deref(), Some("no viable alternative at character '@'"));
    }

    #[test]
    fn an_unterminated_string_is_a_lexical_error_at_the_end() {
        let lexed = lex("'abc");
        assert_eq!(lexed.tokens.last().map(|t| (t.kind, t.column)), Some((Error, 4)));
        assert_eq!(lexed.error.as_deref(), Some("mismatched character '<EOF>' expecting '''"));
    }

    #[test]
    fn an_unterminated_block_comment_is_a_lexical_error() {
        assert!(lex("a /* b").error.is_some());
    }
}
