//! CQL literals (the constants of the language) converted to values of a given type, with the
//! implicit conversions Cassandra allows (e.g. a string literal for a timestamp, an integer for a bigint).
//!
//! Which literal kinds a type accepts is Cassandra's `Constants.Literal.testAssignment` ([`is_assignable`]):
//!
//! | kind     | accepted by |
//! |----------|-------------|
//! | STRING   | text, ascii, inet, date, time, timestamp |
//! | INTEGER  | tinyint, smallint, int, bigint, counter, varint, decimal, float, double, date (raw `u32`), time (nanoseconds), timestamp (milliseconds), duration (always fails to convert, as in Cassandra) |
//! | FLOAT    | float, double, decimal |
//! | BOOLEAN  | boolean |
//! | UUID     | uuid, timeuuid (version 1 only) |
//! | HEX      | blob, custom types, and tinyint (a Cassandra quirk: one byte only here) |
//! | DURATION | duration |
//!
//! Collections, tuples, UDTs and vectors accept no constant (their literals are built by the caller
//! from element constants). Notably a string is *not* accepted for uuid, int etc., and a hex blob is
//! *not* accepted for other types.
//!
//! # Error contract
//! When the kind does not fit the type, the error is `Invalid {KIND} constant ({text}) for type {type}`;
//! a caller that knows the receiver should instead check [`is_assignable`] first and report
//! [`invalid_constant_message`], which is Cassandra's exact
//! `Invalid STRING constant (foo) for "k" of type int`. Any other error is a conversion failure carrying
//! Cassandra's message for it (e.g. `Unable to make int from '3000000000'`,
//! `Unable to parse a date/time from 'x'`), to be sent to the client as it is.

use std::net::IpAddr;
use std::str::FromStr;

use bigdecimal::BigDecimal;
use num_bigint::BigInt;
use uuid::Uuid;

use crate::duration::parse_duration;
use crate::temporal::{parse_date, parse_time, parse_timestamp};
use crate::{CqlType, CqlValue, NativeType, ValueError};

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

impl LiteralKind {
    /// The name Cassandra uses for this kind in its messages: STRING, INTEGER, FLOAT, BOOLEAN, UUID,
    /// HEX or DURATION.
    pub fn name(self) -> &'static str {
        match self {
            LiteralKind::String => "STRING",
            LiteralKind::Integer => "INTEGER",
            LiteralKind::Float => "FLOAT",
            LiteralKind::Boolean => "BOOLEAN",
            LiteralKind::Uuid => "UUID",
            LiteralKind::Blob => "HEX",
            LiteralKind::Duration => "DURATION",
        }
    }
}

/// True if a literal of this kind may be assigned to a value of type `typ` (see the module table).
pub fn is_assignable(typ: &CqlType, kind: LiteralKind) -> bool {
    use NativeType as N;
    let n = match typ {
        CqlType::Custom(_) => return true,
        CqlType::Native(n) => *n,
        _ => return false,
    };
    match kind {
        LiteralKind::String => matches!(n, N::Ascii | N::Text | N::Inet | N::Date | N::Time | N::Timestamp),
        LiteralKind::Integer => matches!(
            n,
            N::Bigint
                | N::Counter
                | N::Date
                | N::Decimal
                | N::Double
                | N::Duration
                | N::Float
                | N::Int
                | N::Smallint
                | N::Time
                | N::Timestamp
                | N::Tinyint
                | N::Varint
        ),
        LiteralKind::Float => matches!(n, N::Decimal | N::Double | N::Float),
        LiteralKind::Boolean => n == N::Boolean,
        LiteralKind::Uuid => matches!(n, N::Uuid | N::Timeuuid),
        LiteralKind::Blob => matches!(n, N::Blob | N::Tinyint),
        LiteralKind::Duration => n == N::Duration,
    }
}

/// Cassandra's message for a literal of the wrong kind:
/// `Invalid STRING constant (foo) for "k" of type int`.
pub fn invalid_constant_message(kind: LiteralKind, text: &str, receiver: &str, typ: &CqlType) -> String {
    format!("Invalid {} constant ({}) for \"{receiver}\" of type {typ}", kind.name(), as_written(kind, text))
}

/// A literal's text as the query wrote it: a blob keeps its `0x` (Cassandra prints it so).
fn as_written(kind: LiteralKind, text: &str) -> String {
    if kind == LiteralKind::Blob {
        format!("0x{text}")
    } else {
        text.to_string()
    }
}

/// Converts a literal to a value of type `typ` (see the module documentation for the accepted kinds
/// and the error contract). A few literals denote Cassandra's *empty value* rather than a value (`''`
/// for a timestamp or an inet); they have no [`CqlValue`], so this returns an error for them:
/// use [`parse_literal_bytes`] to get the serialized (empty) value instead.
pub fn parse_literal(typ: &CqlType, kind: LiteralKind, text: &str) -> Result<CqlValue, ValueError> {
    convert(typ, kind, text)?.ok_or_else(|| ValueError(format!("Empty value for type {typ}")))
}

/// Like [`parse_literal`], returning the serialized value, which is empty for literals denoting the
/// empty value.
pub fn parse_literal_bytes(typ: &CqlType, kind: LiteralKind, text: &str) -> Result<Vec<u8>, ValueError> {
    Ok(convert(typ, kind, text)?.map(|v| v.to_bytes()).unwrap_or_default())
}

/// `None` is the empty value.
fn convert(typ: &CqlType, kind: LiteralKind, text: &str) -> Result<Option<CqlValue>, ValueError> {
    if !is_assignable(typ, kind) {
        return Err(ValueError(format!(
            "Invalid {} constant ({}) for type {typ}",
            kind.name(),
            as_written(kind, text)
        )));
    }
    if kind == LiteralKind::Blob {
        let bytes = hex_to_bytes(text)?;
        return match typ {
            CqlType::Native(NativeType::Tinyint) => match bytes.as_slice() {
                [b] => Ok(Some(CqlValue::Tinyint(*b as i8))),
                _ => Err(ValueError(format!("Expected 1 byte for a tinyint ({})", bytes.len()))),
            },
            _ => Ok(Some(CqlValue::Blob(bytes))),
        };
    }
    let n = match typ {
        CqlType::Native(n) => *n,
        _ => return Err(ValueError(format!("Only blob constants are supported for custom type {typ}"))),
    };
    let value = match n {
        NativeType::Text => CqlValue::Text(text.to_string()),
        NativeType::Ascii => match text.chars().find(|c| !c.is_ascii()) {
            Some(c) => {
                return Err(ValueError(format!(
                    "Invalid ASCII character in string literal: java.nio.charset.UnmappableCharacterException: \
                     Input length = {}",
                    c.len_utf16()
                )))
            }
            None => CqlValue::Ascii(text.to_string()),
        },
        NativeType::Inet if text.is_empty() => return Ok(None),
        NativeType::Inet => CqlValue::Inet(parse_inet(text)?),
        NativeType::Timestamp if text.is_empty() => return Ok(None),
        NativeType::Timestamp => CqlValue::Timestamp(parse_timestamp(text)?),
        NativeType::Date => CqlValue::Date(parse_date(text)?),
        NativeType::Time => CqlValue::Time(parse_time(text)?),
        NativeType::Int => CqlValue::Int(java_integer(text, "Unable to make int from")?),
        NativeType::Bigint => CqlValue::Bigint(java_integer(text, "Unable to make long from")?),
        NativeType::Counter => CqlValue::Counter(java_integer(text, "Unable to make long from")?),
        NativeType::Smallint => CqlValue::Smallint(java_integer(text, "Unable to make short from")?),
        NativeType::Tinyint => CqlValue::Tinyint(java_integer(text, "Unable to make byte from")?),
        NativeType::Varint => CqlValue::Varint(java_integer(text, "unable to make int from")?),
        NativeType::Decimal => CqlValue::Decimal(
            java_decimal(text).ok_or_else(|| ValueError(format!("unable to make BigDecimal from '{text}'")))?,
        ),
        NativeType::Double => CqlValue::Double(java_float(text, "Unable to make double from")?),
        NativeType::Float => CqlValue::Float(java_float(text, "Unable to make float from")?),
        NativeType::Boolean => {
            if text.is_empty() || text.eq_ignore_ascii_case("false") {
                CqlValue::Boolean(false)
            } else if text.eq_ignore_ascii_case("true") {
                CqlValue::Boolean(true)
            } else {
                return Err(ValueError(format!("Unable to make boolean from '{text}'")));
            }
        }
        NativeType::Uuid => {
            CqlValue::Uuid(parse_uuid(text).ok_or_else(|| ValueError(format!("Unable to make UUID from '{text}'")))?)
        }
        NativeType::Timeuuid => {
            let uuid =
                parse_uuid(text).ok_or_else(|| ValueError(format!("Unknown timeuuid representation: {text}")))?;
            if uuid.get_version_num() != 1 {
                return Err(ValueError::new("TimeUUID supports only version 1 UUIDs"));
            }
            CqlValue::Timeuuid(uuid)
        }
        NativeType::Duration => {
            let d = parse_duration(text)?;
            CqlValue::Duration { months: d.months, days: d.days, nanoseconds: d.nanoseconds }
        }
        NativeType::Blob => CqlValue::Blob(hex_to_bytes(text)?),
    };
    Ok(Some(value))
}

/// Java's `Integer.parseInt` & co.: an optional sign and decimal digits, in range.
fn java_integer<T: FromStr>(text: &str, message: &str) -> Result<T, ValueError> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    let well_formed = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    well_formed.then(|| text.parse().ok()).flatten().ok_or_else(|| ValueError(format!("{message} '{text}'")))
}

/// `digits[.digits][e[+-]digits]` or `.digits[...]`, without a sign.
fn is_unsigned_java_decimal(s: &str) -> bool {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = all_digits(int_part) && all_digits(frac_part) && !(int_part.is_empty() && frac_part.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    mantissa_ok && exponent_ok
}

/// Splits an optional leading sign off `s`.
fn split_sign(s: &str) -> (&str, &str) {
    match s.strip_prefix(['+', '-']) {
        Some(rest) => s.split_at(s.len() - rest.len()),
        None => ("", s),
    }
}

/// Java's `Float.parseFloat` / `Double.parseDouble` on the forms a CQL literal can take: surrounding
/// whitespace, a sign, `NaN`, `Infinity`, decimal digits with an optional exponent and an optional
/// `f`/`d` suffix.
fn java_float<T: FromStr>(text: &str, message: &str) -> Result<T, ValueError> {
    let error = || ValueError(format!("{message} '{text}'"));
    let (sign, unsigned) = split_sign(text.trim());
    let body = if unsigned == "NaN" || unsigned == "Infinity" {
        unsigned
    } else {
        let body = unsigned.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(unsigned);
        if !is_unsigned_java_decimal(body) {
            return Err(error());
        }
        body
    };
    format!("{sign}{body}").parse().map_err(|_| error())
}

/// Java's `new BigDecimal(String)`: unscaled digits and a scale that must fit an `i32`.
fn java_decimal(text: &str) -> Option<BigDecimal> {
    let (sign, unsigned) = split_sign(text);
    if !is_unsigned_java_decimal(unsigned) {
        return None;
    }
    let negative = sign == "-";
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], unsigned[i + 1..].parse::<i32>().ok()?),
        None => (unsigned, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let scale = i64::try_from(frac_part.len()).ok()? - i64::from(exponent);
    i32::try_from(scale).ok()?;
    let digits = format!("{int_part}{frac_part}");
    let magnitude = BigInt::parse_bytes(digits.as_bytes(), 10)?;
    Some(BigDecimal::new(if negative { -magnitude } else { magnitude }, scale))
}

fn parse_uuid(text: &str) -> Option<Uuid> {
    (text.len() == 36).then(|| Uuid::try_parse(text).ok()).flatten()
}

fn parse_inet(text: &str) -> Result<IpAddr, ValueError> {
    let unbracketed = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')).unwrap_or(text);
    unbracketed.parse().map_err(|_| ValueError(format!("Unable to make inet address from '{text}'")))
}

/// The bytes of a hex literal (with or without its `0x`), as Cassandra's `BytesType.fromString`.
fn hex_to_bytes(text: &str) -> Result<Vec<u8>, ValueError> {
    let digits = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")).unwrap_or(text);
    let error = || ValueError(format!("cannot parse '{digits}' as hex bytes"));
    if !digits.len().is_multiple_of(2) {
        return Err(error());
    }
    digits
        .as_bytes()
        .chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => match (char::from(*hi).to_digit(16), char::from(*lo).to_digit(16)) {
                (Some(hi), Some(lo)) => Ok((hi * 16 + lo) as u8),
                _ => Err(error()),
            },
            _ => Err(error()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use LiteralKind as K;

    fn parse(typ: CqlType, kind: LiteralKind, text: &str) -> CqlValue {
        parse_literal(&typ, kind, text).unwrap()
    }

    fn error(typ: CqlType, kind: LiteralKind, text: &str) -> String {
        parse_literal(&typ, kind, text).unwrap_err().0
    }

    fn native(n: NativeType) -> CqlType {
        CqlType::Native(n)
    }

    #[test]
    fn kind_names_are_cassandras() {
        let names: Vec<_> = [K::String, K::Integer, K::Float, K::Boolean, K::Uuid, K::Blob, K::Duration]
            .iter()
            .map(|k| k.name())
            .collect();
        assert_eq!(names, ["STRING", "INTEGER", "FLOAT", "BOOLEAN", "UUID", "HEX", "DURATION"]);
    }

    #[test]
    fn invalid_constant_message_names_receiver_and_type() {
        assert_eq!(
            invalid_constant_message(K::String, "foo", "k", &CqlType::INT),
            "Invalid STRING constant (foo) for \"k\" of type int"
        );
    }

    #[test]
    fn string_for_int_is_not_assignable() {
        assert!(!is_assignable(&CqlType::INT, K::String));
        assert_eq!(error(CqlType::INT, K::String, "42"), "Invalid STRING constant (42) for type int");
    }

    #[test]
    fn string_for_uuid_is_not_assignable() {
        assert!(!is_assignable(&CqlType::UUID, K::String));
    }

    #[test]
    fn hex_is_only_assignable_to_blob_tinyint_and_custom_types() {
        assert!(is_assignable(&CqlType::BLOB, K::Blob));
        assert!(is_assignable(&native(NativeType::Tinyint), K::Blob));
        assert!(is_assignable(&CqlType::Custom("a.B".into()), K::Blob));
        assert!(!is_assignable(&CqlType::INT, K::Blob));
        assert!(!is_assignable(&CqlType::TEXT, K::Blob));
    }

    #[test]
    fn collections_accept_no_constant() {
        assert!(!is_assignable(&CqlType::list(CqlType::INT), K::Integer));
    }

    #[test]
    fn string_literal_is_text() {
        assert_eq!(parse(CqlType::TEXT, K::String, "it's"), CqlValue::Text("it's".into()));
    }

    #[test]
    fn ascii_rejects_non_ascii_characters() {
        assert_eq!(
            error(native(NativeType::Ascii), K::String, "caf\u{e9}"),
            "Invalid ASCII character in string literal: java.nio.charset.UnmappableCharacterException: Input length = 1"
        );
    }

    #[test]
    fn integer_literal_fits_each_integer_type() {
        assert_eq!(parse(CqlType::INT, K::Integer, "-42"), CqlValue::Int(-42));
        assert_eq!(parse(CqlType::BIGINT, K::Integer, "9000000000"), CqlValue::Bigint(9_000_000_000));
        assert_eq!(parse(native(NativeType::Smallint), K::Integer, "300"), CqlValue::Smallint(300));
        assert_eq!(parse(native(NativeType::Tinyint), K::Integer, "-128"), CqlValue::Tinyint(-128));
        assert_eq!(parse(native(NativeType::Counter), K::Integer, "7"), CqlValue::Counter(7));
        assert_eq!(
            parse(native(NativeType::Varint), K::Integer, "123456789012345678901234567890"),
            CqlValue::Varint("123456789012345678901234567890".parse().unwrap())
        );
    }

    #[test]
    fn integer_out_of_range_is_rejected_with_cassandras_message() {
        assert_eq!(error(CqlType::INT, K::Integer, "3000000000"), "Unable to make int from '3000000000'");
        assert_eq!(error(native(NativeType::Tinyint), K::Integer, "128"), "Unable to make byte from '128'");
        assert_eq!(error(native(NativeType::Smallint), K::Integer, "40000"), "Unable to make short from '40000'");
    }

    #[test]
    fn integer_literal_converts_to_floating_types() {
        assert_eq!(parse(CqlType::DOUBLE, K::Integer, "3"), CqlValue::Double(3.0));
        assert_eq!(parse(native(NativeType::Float), K::Integer, "3"), CqlValue::Float(3.0));
        assert_eq!(parse(native(NativeType::Decimal), K::Integer, "3"), CqlValue::Decimal(BigDecimal::from(3)));
    }

    #[test]
    fn integer_literal_is_milliseconds_for_timestamp() {
        assert_eq!(parse(CqlType::TIMESTAMP, K::Integer, "1000"), CqlValue::Timestamp(1000));
    }

    #[test]
    fn integer_literal_is_the_raw_value_for_date() {
        assert_eq!(parse(native(NativeType::Date), K::Integer, "2147483648"), CqlValue::Date(1 << 31));
    }

    #[test]
    fn integer_literal_is_nanoseconds_for_time() {
        assert_eq!(parse(native(NativeType::Time), K::Integer, "1000"), CqlValue::Time(1000));
    }

    #[test]
    fn integer_literal_for_duration_fails_to_convert() {
        assert_eq!(error(native(NativeType::Duration), K::Integer, "5"), "Unable to convert '5' to a duration");
    }

    #[test]
    fn float_literal_keeps_decimal_scale() {
        let value = parse(native(NativeType::Decimal), K::Float, "1.50");
        assert_eq!(value.to_bytes(), vec![0, 0, 0, 2, 0, 150]);
    }

    #[test]
    fn float_literal_with_exponent_gives_negative_decimal_scale() {
        let value = parse(native(NativeType::Decimal), K::Float, "1.5e3");
        assert_eq!(value.to_bytes(), vec![0xFF, 0xFF, 0xFF, 0xFE, 15]);
    }

    #[test]
    fn float_literal_special_values() {
        assert!(matches!(parse(CqlType::DOUBLE, K::Float, "NaN"), CqlValue::Double(d) if d.is_nan()));
        assert_eq!(parse(native(NativeType::Float), K::Float, "-Infinity"), CqlValue::Float(f32::NEG_INFINITY));
    }

    #[test]
    fn nan_is_not_a_decimal() {
        assert_eq!(error(native(NativeType::Decimal), K::Float, "NaN"), "unable to make BigDecimal from 'NaN'");
    }

    #[test]
    fn float_literal_rounds_to_nearest_float() {
        assert_eq!(parse(native(NativeType::Float), K::Float, "0.1"), CqlValue::Float(0.1));
    }

    #[test]
    fn float_literal_is_not_assignable_to_int() {
        assert_eq!(error(CqlType::INT, K::Float, "1.5"), "Invalid FLOAT constant (1.5) for type int");
    }

    #[test]
    fn boolean_literal_ignores_case() {
        assert_eq!(parse(CqlType::BOOLEAN, K::Boolean, "TRUE"), CqlValue::Boolean(true));
        assert_eq!(parse(CqlType::BOOLEAN, K::Boolean, "false"), CqlValue::Boolean(false));
    }

    #[test]
    fn uuid_literal_for_uuid_and_timeuuid() {
        let v1 = "50554d6e-29bb-11e5-b345-feff819cdc9f";
        let v4 = "550e8400-e29b-41d4-a716-446655440000";
        assert_eq!(parse(CqlType::UUID, K::Uuid, v4), CqlValue::Uuid(v4.parse().unwrap()));
        assert_eq!(parse(native(NativeType::Timeuuid), K::Uuid, v1), CqlValue::Timeuuid(v1.parse().unwrap()));
    }

    #[test]
    fn timeuuid_must_be_version_one() {
        assert_eq!(
            error(native(NativeType::Timeuuid), K::Uuid, "550e8400-e29b-41d4-a716-446655440000"),
            "TimeUUID supports only version 1 UUIDs"
        );
    }

    #[test]
    fn hex_literal_is_blob_bytes() {
        assert_eq!(parse(CqlType::BLOB, K::Blob, "CAfe00"), CqlValue::Blob(vec![0xCA, 0xFE, 0x00]));
        assert_eq!(parse(CqlType::BLOB, K::Blob, ""), CqlValue::Blob(vec![]));
    }

    #[test]
    fn hex_literal_of_odd_length_is_rejected() {
        assert_eq!(error(CqlType::BLOB, K::Blob, "abc"), "cannot parse 'abc' as hex bytes");
    }

    #[test]
    fn hex_literal_for_tinyint_must_be_one_byte() {
        assert_eq!(parse(native(NativeType::Tinyint), K::Blob, "ff"), CqlValue::Tinyint(-1));
        assert_eq!(error(native(NativeType::Tinyint), K::Blob, "0102"), "Expected 1 byte for a tinyint (2)");
    }

    #[test]
    fn string_literal_converts_to_timestamp() {
        assert_eq!(
            parse(CqlType::TIMESTAMP, K::String, "2024-01-02 03:04:05.678+0000"),
            CqlValue::Timestamp(1_704_164_645_678)
        );
    }

    #[test]
    fn string_literal_converts_to_date_and_time() {
        assert_eq!(parse(native(NativeType::Date), K::String, "1970-01-01"), CqlValue::Date(1 << 31));
        assert_eq!(parse(native(NativeType::Time), K::String, "00:00:01"), CqlValue::Time(1_000_000_000));
    }

    #[test]
    fn string_literal_converts_to_inet() {
        assert_eq!(parse(CqlType::INET, K::String, "127.0.0.1"), CqlValue::Inet("127.0.0.1".parse().unwrap()));
        assert_eq!(parse(CqlType::INET, K::String, "::1"), CqlValue::Inet("::1".parse().unwrap()));
    }

    #[test]
    fn host_name_is_not_an_inet_literal() {
        assert_eq!(error(CqlType::INET, K::String, "localhost"), "Unable to make inet address from 'localhost'");
    }

    #[test]
    fn empty_string_for_timestamp_is_the_empty_value() {
        assert_eq!(parse_literal_bytes(&CqlType::TIMESTAMP, K::String, "").unwrap(), Vec::<u8>::new());
        assert_eq!(error(CqlType::TIMESTAMP, K::String, ""), "Empty value for type timestamp");
    }

    #[test]
    fn duration_literal_parses() {
        assert_eq!(
            parse(native(NativeType::Duration), K::Duration, "1mo2d"),
            CqlValue::Duration { months: 1, days: 2, nanoseconds: 0 }
        );
    }

    #[test]
    fn literal_bytes_are_the_serialized_value() {
        assert_eq!(parse_literal_bytes(&CqlType::INT, K::Integer, "1").unwrap(), vec![0, 0, 0, 1]);
    }
}
