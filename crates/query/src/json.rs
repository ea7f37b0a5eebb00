//! JSON, as Cassandra reads and writes it: `toJson()` / `SELECT JSON` values (`AbstractType.toJSONString`),
//! `fromJson()` / `INSERT JSON` values (`AbstractType.fromJSONObject`), and a small JSON reader that
//! classifies numbers the way Jackson's `ObjectMapper.readValue(json, Object.class)` does (Integer,
//! Long, BigInteger, Double), since Cassandra's messages name those classes.

use bytes::Bytes;
use cql_types::{CqlType, CqlValue, LiteralKind, NativeType};

use crate::functions::num::{decimal_to_java_string, double_text, float_text, parse_decimal};

/// A parsed JSON value. Numbers keep their text.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// Fits a Java `int`.
    Int(i32),
    /// Fits a Java `long`.
    Long(i64),
    /// An integer beyond `long` (Java `BigInteger`), as written.
    BigInt(String),
    /// A number with a fraction or exponent (Java `Double`).
    Double(f64),
    String(String),
    Array(Vec<Json>),
    /// Keys in order; a later duplicate replaces the earlier value.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The Java class Jackson would have produced, as `getClass().getSimpleName()` prints it.
    pub fn class_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "Boolean",
            Json::Int(_) => "Integer",
            Json::Long(_) => "Long",
            Json::BigInt(_) => "BigInteger",
            Json::Double(_) => "Double",
            Json::String(_) => "String",
            Json::Array(_) => "ArrayList",
            Json::Object(_) => "LinkedHashMap",
        }
    }

    /// The value as Java's `toString()` prints it.
    pub fn java_string(&self) -> String {
        match self {
            Json::Null => "null".into(),
            Json::Bool(b) => b.to_string(),
            Json::Int(i) => i.to_string(),
            Json::Long(l) => l.to_string(),
            Json::BigInt(s) => s.clone(),
            Json::Double(d) => double_text(*d),
            Json::String(s) => s.clone(),
            Json::Array(items) => format!("[{}]", items.iter().map(Json::java_string).collect::<Vec<_>>().join(", ")),
            Json::Object(entries) => format!(
                "{{{}}}",
                entries.iter().map(|(k, v)| format!("{k}={}", v.java_string())).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at position {}", self.pos))
    }
    fn ws(&mut self) {
        while self.pos < self.s.len() && matches!(self.s[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }
    fn value(&mut self, depth: usize) -> Result<Json, String> {
        if depth > 512 {
            return self.err("Maximum nesting depth exceeded");
        }
        self.ws();
        match self.s.get(self.pos) {
            None => self.err("No content to map due to end-of-input"),
            Some(b'{') => {
                self.pos += 1;
                let mut entries: Vec<(String, Json)> = Vec::new();
                self.ws();
                if self.s.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                    return Ok(Json::Object(entries));
                }
                loop {
                    self.ws();
                    if self.s.get(self.pos) != Some(&b'"') {
                        return self.err("Unexpected character (expected double-quote to start field name)");
                    }
                    let k = self.string()?;
                    self.ws();
                    if self.s.get(self.pos) != Some(&b':') {
                        return self.err("Unexpected character (expected ':')");
                    }
                    self.pos += 1;
                    let v = self.value(depth + 1)?;
                    match entries.iter_mut().find(|(ek, _)| *ek == k) {
                        Some(e) => e.1 = v,
                        None => entries.push((k, v)),
                    }
                    self.ws();
                    match self.s.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Json::Object(entries));
                        }
                        _ => return self.err("Unexpected character (expected ',' or '}')"),
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.ws();
                if self.s.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.s.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Json::Array(items));
                        }
                        _ => return self.err("Unexpected character (expected ',' or ']')"),
                    }
                }
            }
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b't') if self.s[self.pos..].starts_with(b"true") => {
                self.pos += 4;
                Ok(Json::Bool(true))
            }
            Some(b'f') if self.s[self.pos..].starts_with(b"false") => {
                self.pos += 5;
                Ok(Json::Bool(false))
            }
            Some(b'n') if self.s[self.pos..].starts_with(b"null") => {
                self.pos += 4;
                Ok(Json::Null)
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => self.err("Unrecognized token"),
        }
    }
    fn string(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(&c) = self.s.get(self.pos) else {
                return self.err("Unexpected end-of-input: was expecting closing quote for a string value");
            };
            self.pos += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.s.get(self.pos) else { return self.err("Unexpected end-of-input in escape") };
                    self.pos += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            if (0xD800..0xDC00).contains(&hi) && self.s[self.pos..].starts_with(b"\\u") {
                                self.pos += 2;
                                let lo = self.hex4()?;
                                let code = 0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF);
                                char::from_u32(code).unwrap_or('\u{FFFD}')
                            } else {
                                char::from_u32(hi).unwrap_or('\u{FFFD}')
                            }
                        }
                        _ => return self.err("Unrecognized character escape"),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                c if c < 0x20 => return self.err("Illegal unquoted character: has to be escaped"),
                c => out.push(c),
            }
        }
        String::from_utf8(out).map_err(|_| "Invalid UTF-8 in string".to_string())
    }
    fn hex4(&mut self) -> Result<u32, String> {
        let Some(h) = self.s.get(self.pos..self.pos + 4) else { return self.err("Unexpected end-of-input in escape") };
        let text = std::str::from_utf8(h).map_err(|_| "Invalid escape".to_string())?;
        let v = u32::from_str_radix(text, 16).map_err(|_| "Unexpected character in \\u escape".to_string())?;
        self.pos += 4;
        Ok(v)
    }
    fn number(&mut self) -> Result<Json, String> {
        let start = self.pos;
        if self.s[self.pos] == b'-' {
            self.pos += 1;
        }
        let digits = |p: &mut Self| {
            let s = p.pos;
            while p.pos < p.s.len() && p.s[p.pos].is_ascii_digit() {
                p.pos += 1;
            }
            p.pos - s
        };
        if digits(self) == 0 {
            return self.err("Unexpected character in number");
        }
        let mut floating = false;
        if self.s.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            floating = true;
            if digits(self) == 0 {
                return self.err("Decimal point not followed by a digit");
            }
        }
        if matches!(self.s.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            floating = true;
            if matches!(self.s.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return self.err("Exponent indicator not followed by a digit");
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.pos]).unwrap_or("0");
        if floating {
            return Ok(Json::Double(text.parse().unwrap_or(f64::NAN)));
        }
        if let Ok(i) = text.parse::<i32>() {
            return Ok(Json::Int(i));
        }
        if let Ok(l) = text.parse::<i64>() {
            return Ok(Json::Long(l));
        }
        Ok(Json::BigInt(text.to_string()))
    }
}

/// Parses JSON text (trailing content after the first value is ignored, as Jackson does).
pub fn parse(text: &str) -> Result<Json, String> {
    let mut p = Parser { s: text.as_bytes(), pos: 0 };
    p.value(0)
}

/// Jackson's `JsonStringEncoder.quoteAsString`: escapes for a JSON string's content.
pub fn quote_as_json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", quote_as_json_string(s))
}

/// A name as a JSON key of `SELECT JSON` and UDT values: names that are not all lower case are
/// wrapped in double quotes (then JSON-escaped).
pub fn json_key(name: &str) -> String {
    let name = if name != name.to_lowercase() { format!("\"{name}\"") } else { name.to_string() };
    quoted(&name)
}

fn strip_literal_quotes(s: String) -> String {
    match s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        Some(inner) => inner.replace("''", "'"),
        None => s,
    }
}

/// The JSON text of a serialized value of `typ` (Cassandra's `toJSONString`). The empty value of a
/// type that allows it is `null` (strings and blobs have their own empty values).
pub fn to_json(typ: &CqlType, bytes: &[u8]) -> String {
    if bytes.is_empty() && !typ.empty_is_a_value() {
        return "null".into();
    }
    let value = match CqlValue::deserialize(typ, bytes) {
        Ok(v) => v,
        Err(_) => return "null".into(),
    };
    value_json(typ, &value)
}

fn value_json(typ: &CqlType, v: &CqlValue) -> String {
    match (typ, v) {
        (_, CqlValue::Ascii(s) | CqlValue::Text(s)) => quoted(s),
        (_, CqlValue::Bigint(n) | CqlValue::Counter(n)) => n.to_string(),
        (_, CqlValue::Int(n)) => n.to_string(),
        (_, CqlValue::Smallint(n)) => n.to_string(),
        (_, CqlValue::Tinyint(n)) => n.to_string(),
        (_, CqlValue::Varint(n)) => n.to_string(),
        (_, CqlValue::Decimal(d)) => decimal_to_java_string(d),
        (_, CqlValue::Double(d)) => {
            if d.is_finite() {
                double_text(*d)
            } else {
                "null".into()
            }
        }
        (_, CqlValue::Float(f)) => {
            if f.is_finite() {
                float_text(*f)
            } else {
                "null".into()
            }
        }
        (_, CqlValue::Boolean(b)) => b.to_string(),
        (_, CqlValue::Blob(_)) => quoted(&v.to_cql_literal()),
        (_, CqlValue::Uuid(u) | CqlValue::Timeuuid(u)) => quoted(&u.to_string()),
        (_, CqlValue::Timestamp(_)) => {
            // "yyyy-MM-dd HH:mm:ss.SSSX" in UTC
            let text = strip_literal_quotes(v.to_cql_literal()).replacen('T', " ", 1);
            quoted(&text)
        }
        (_, CqlValue::Date(_) | CqlValue::Time(_) | CqlValue::Inet(_)) => {
            quoted(&strip_literal_quotes(v.to_cql_literal()))
        }
        (_, CqlValue::Duration { .. }) => quoted(&v.to_cql_literal()),
        (
            CqlType::List { element, .. } | CqlType::Set { element, .. } | CqlType::Vector { element, .. },
            CqlValue::List(items) | CqlValue::Set(items) | CqlValue::Vector(items),
        ) => {
            format!("[{}]", items.iter().map(|i| value_json(element, i)).collect::<Vec<_>>().join(", "))
        }
        (CqlType::Map { key, value, .. }, CqlValue::Map(entries)) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, val)| {
                    let ks = value_json(key, k);
                    let ks = if ks.starts_with('"') { ks } else { quoted(&ks) };
                    format!("{ks}: {}", value_json(value, val))
                })
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        (CqlType::Tuple(types), CqlValue::Tuple(items)) => {
            let parts: Vec<String> = types
                .iter()
                .enumerate()
                .map(|(i, t)| match items.get(i).and_then(|x| x.as_ref()) {
                    Some(x) => value_json(t, x),
                    None => "null".into(),
                })
                .collect();
            format!("[{}]", parts.join(", "))
        }
        (CqlType::Udt { fields, .. }, CqlValue::Udt(items)) => {
            let parts: Vec<String> = fields
                .iter()
                .enumerate()
                .map(|(i, (name, t))| {
                    let val = match items.get(i).and_then(|x| x.as_ref()) {
                        Some(x) => value_json(t, x),
                        None => "null".into(),
                    };
                    format!("{}: {val}", json_key(name))
                })
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        _ => quoted(&strip_literal_quotes(v.to_cql_literal())),
    }
}

fn expected(what: &str, j: &Json) -> String {
    format!("Expected {what}, but got a {}: {}", j.class_name(), j.java_string())
}

fn literal_bytes(typ: &CqlType, kind: LiteralKind, text: &str) -> Result<Bytes, String> {
    cql_types::literal::parse_literal_bytes(typ, kind, text).map(Bytes::from).map_err(|e| e.0)
}

fn encode(v: CqlValue) -> Bytes {
    Bytes::from(v.to_bytes())
}

/// The serialized value of `typ` a parsed JSON value stands for (Cassandra's `fromJSONObject`);
/// `Ok(None)` for JSON `null`. Errors carry Cassandra's `MarshalException` messages.
pub fn from_json(typ: &CqlType, j: &Json) -> Result<Option<Bytes>, String> {
    if *j == Json::Null {
        return Ok(None);
    }
    from_json_non_null(typ, j).map(Some)
}

fn json_integer_text(j: &Json) -> Option<String> {
    match j {
        Json::Int(i) => Some(i.to_string()),
        Json::Long(l) => Some(l.to_string()),
        Json::BigInt(s) => Some(s.clone()),
        _ => None,
    }
}

/// Whether `fromString("")` of the type gives its empty value (Cassandra's numeric, uuid, inet and
/// timestamp types), which makes `""` in INSERT JSON an empty value rather than an error.
fn empty_string_is_empty_value(n: NativeType) -> bool {
    use NativeType as N;
    matches!(
        n,
        N::Int
            | N::Bigint
            | N::Varint
            | N::Decimal
            | N::Double
            | N::Float
            | N::Uuid
            | N::Timeuuid
            | N::Inet
            | N::Timestamp
    )
}

fn from_json_non_null(typ: &CqlType, j: &Json) -> Result<Bytes, String> {
    use NativeType as N;
    match typ {
        CqlType::Native(n) => {
            let t = typ;
            if matches!(j, Json::String(s) if s.is_empty()) && empty_string_is_empty_value(*n) {
                return Ok(Bytes::new());
            }
            match (n, j) {
                (N::Ascii, Json::String(s)) => literal_bytes(t, LiteralKind::String, s),
                (N::Ascii, _) => Err(expected("an ascii string", j)),
                (N::Text, Json::String(s)) => Ok(Bytes::copy_from_slice(s.as_bytes())),
                (N::Text, _) => Err(expected("a UTF-8 string", j)),
                (N::Bigint | N::Counter, Json::String(s)) => literal_bytes(&CqlType::BIGINT, LiteralKind::Integer, s),
                (N::Bigint | N::Counter, Json::Int(_) | Json::Long(_)) => {
                    literal_bytes(&CqlType::BIGINT, LiteralKind::Integer, &json_integer_text(j).unwrap_or_default())
                }
                (N::Bigint | N::Counter, _) => Err(expected("a bigint value", j)),
                (N::Int, Json::String(s)) => literal_bytes(t, LiteralKind::Integer, s),
                (N::Int, Json::Int(i)) => Ok(encode(CqlValue::Int(*i))),
                (N::Int, _) => Err(expected("an int value", j)),
                (N::Smallint, Json::String(s)) => literal_bytes(t, LiteralKind::Integer, s),
                (N::Smallint, Json::Int(i)) => match i16::try_from(*i) {
                    Ok(v) => Ok(encode(CqlValue::Smallint(v))),
                    Err(_) => Err(format!("Unable to make short from '{i}'")),
                },
                (N::Smallint, _) => Err(expected("a short value", j)),
                (N::Tinyint, Json::String(s)) => literal_bytes(t, LiteralKind::Integer, s),
                (N::Tinyint, Json::Int(i)) => match i8::try_from(*i) {
                    Ok(v) => Ok(encode(CqlValue::Tinyint(v))),
                    Err(_) => Err(format!("Unable to make byte from '{i}'")),
                },
                (N::Tinyint, _) => Err(expected("a byte value", j)),
                (N::Varint, Json::String(s) | Json::BigInt(s)) => literal_bytes(t, LiteralKind::Integer, s)
                    .map_err(|_| format!("Value '{s}' is not a valid representation of a varint value")),
                (N::Varint, Json::Int(_) | Json::Long(_)) => {
                    literal_bytes(t, LiteralKind::Integer, &json_integer_text(j).unwrap_or_default())
                }
                (N::Varint, _) => Err(format!("Value '{}' is not a valid representation of a varint value", j.java_string())),
                (N::Decimal, Json::String(s)) => match parse_decimal(s) {
                    Some(d) => Ok(encode(CqlValue::Decimal(d))),
                    None => Err(format!("Value '{s}' is not a valid representation of a decimal value")),
                },
                (N::Decimal, Json::Int(_) | Json::Long(_) | Json::BigInt(_) | Json::Double(_)) => {
                    match parse_decimal(&j.java_string()) {
                        Some(d) => Ok(encode(CqlValue::Decimal(d))),
                        None => Err(format!("Value '{}' is not a valid representation of a decimal value", j.java_string())),
                    }
                }
                (N::Decimal, _) => Err(format!("Value '{}' is not a valid representation of a decimal value", j.java_string())),
                (N::Double, Json::String(s)) => literal_bytes(t, LiteralKind::Float, s)
                    .or_else(|_| literal_bytes(t, LiteralKind::Integer, s))
                    .map_err(|_| format!("Unable to make double from '{s}'")),
                (N::Double, Json::Int(_) | Json::Long(_) | Json::BigInt(_) | Json::Double(_)) => {
                    let d: f64 = match j {
                        Json::Double(d) => *d,
                        other => other.java_string().parse().unwrap_or(f64::NAN),
                    };
                    Ok(encode(CqlValue::Double(d)))
                }
                (N::Double, _) => Err(expected("a double value", j)),
                (N::Float, Json::String(s)) => literal_bytes(t, LiteralKind::Float, s)
                    .or_else(|_| literal_bytes(t, LiteralKind::Integer, s))
                    .map_err(|_| format!("Unable to make float from '{s}'")),
                (N::Float, Json::Int(_) | Json::Long(_) | Json::BigInt(_) | Json::Double(_)) => {
                    let d: f64 = match j {
                        Json::Double(d) => *d,
                        other => other.java_string().parse().unwrap_or(f64::NAN),
                    };
                    Ok(encode(CqlValue::Float(d as f32)))
                }
                (N::Float, _) => Err(expected("a float value", j)),
                (N::Boolean, Json::Bool(b)) => Ok(encode(CqlValue::Boolean(*b))),
                (N::Boolean, Json::String(s)) => literal_bytes(t, LiteralKind::Boolean, s)
                    .map_err(|_| format!("Unable to make boolean from '{s}'")),
                (N::Boolean, _) => Err(expected("a boolean value", j)),
                (N::Blob, Json::String(s)) => {
                    let inner = || -> Result<Bytes, String> {
                        let Some(hex) = s.strip_prefix("0x") else {
                            return Err(format!("String representation of blob is missing 0x prefix: {s}"));
                        };
                        literal_bytes(t, LiteralKind::Blob, hex)
                    };
                    inner().map_err(|e| format!("Value '{s}' is not a valid blob representation: {e}"))
                }
                (N::Blob, _) => Err(format!(
                    "Value '{}' is not a valid blob representation: class java.lang.{} cannot be cast to class java.lang.String",
                    j.java_string(),
                    j.class_name()
                )),
                (N::Date, Json::String(s)) => literal_bytes(t, LiteralKind::String, s),
                (N::Date, _) => Err(expected("a string representation of a date value", j)),
                (N::Time, Json::String(s)) => literal_bytes(t, LiteralKind::String, s),
                (N::Time, _) => Err(expected("a string representation of a time value", j)),
                (N::Timestamp, Json::Int(_) | Json::Long(_)) => {
                    literal_bytes(t, LiteralKind::Integer, &json_integer_text(j).unwrap_or_default())
                }
                (N::Timestamp, Json::String(s)) => literal_bytes(t, LiteralKind::String, s),
                (N::Timestamp, _) => Err(expected("a long or a datestring representation of a timestamp value", j)),
                (N::Uuid, Json::String(s)) => literal_bytes(t, LiteralKind::Uuid, &s.to_lowercase())
                    .map_err(|_| format!("Unable to make UUID from '{s}'")),
                (N::Uuid, _) => Err(expected("a string representation of a uuid", j)),
                (N::Timeuuid, Json::String(s)) => literal_bytes(t, LiteralKind::Uuid, &s.to_lowercase()),
                (N::Timeuuid, _) => Err(expected("a string representation of a timeuuid", j)),
                (N::Inet, Json::String(s)) => literal_bytes(t, LiteralKind::String, s),
                (N::Inet, _) => Err(expected("a string representation of an inet value", j)),
                (N::Duration, Json::String(s)) => literal_bytes(t, LiteralKind::Duration, s),
                (N::Duration, _) => Err(expected("a string representation of a duration", j)),
            }
        }
        CqlType::List { element, .. } | CqlType::Vector { element, .. } => {
            let Json::Array(items) = j else { return Err(expected("a list", j)) };
            let mut parts = Vec::with_capacity(items.len());
            for i in items {
                if *i == Json::Null {
                    return Err("Invalid null element in list".into());
                }
                parts.push(from_json_non_null(element, i)?);
            }
            if let CqlType::Vector { dimension, .. } = typ {
                if parts.len() != *dimension as usize {
                    return Err(format!(
                        "Invalid vector literal for {typ}; expected {dimension} elements, but given {}",
                        parts.len()
                    ));
                }
                let mut values = Vec::new();
                for p in &parts {
                    values.push(CqlValue::deserialize(element, p).map_err(|e| e.0)?);
                }
                return Ok(encode(CqlValue::Vector(values)));
            }
            Ok(crate::bind::serialize_collection(&parts))
        }
        CqlType::Set { element, .. } => {
            let Json::Array(items) = j else { return Err(expected("a list (representing a set)", j)) };
            let mut parts = Vec::with_capacity(items.len());
            for i in items {
                if *i == Json::Null {
                    return Err("Invalid null element in set".into());
                }
                parts.push(from_json_non_null(element, i)?);
            }
            parts.sort_by(|a, b| CqlValue::compare(element, a, b));
            parts.dedup();
            Ok(crate::bind::serialize_collection(&parts))
        }
        CqlType::Map { key, value, .. } => {
            let Json::Object(entries) = j else { return Err(expected("a map", j)) };
            let mut parts: Vec<(Bytes, Bytes)> = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                if *v == Json::Null {
                    return Err("Invalid null value in map".into());
                }
                let key_json = match key.as_ref() {
                    CqlType::Native(_) => Json::String(k.clone()),
                    _ => parse(k).map_err(|e| format!("Error decoding JSON string: {e}"))?,
                };
                parts.push((from_json_non_null(key, &key_json)?, from_json_non_null(value, v)?));
            }
            parts.sort_by(|a, b| CqlValue::compare(key, &a.0, &b.0));
            parts.dedup_by(|later, earlier| later.0 == earlier.0);
            let mut out = Vec::new();
            out.extend_from_slice(&(parts.len() as i32).to_be_bytes());
            for (k, v) in parts {
                out.extend_from_slice(&(k.len() as i32).to_be_bytes());
                out.extend_from_slice(&k);
                out.extend_from_slice(&(v.len() as i32).to_be_bytes());
                out.extend_from_slice(&v);
            }
            Ok(Bytes::from(out))
        }
        CqlType::Tuple(types) => {
            let Json::Array(items) = j else { return Err(expected("a list representation of a tuple", j)) };
            if items.len() > types.len() {
                return Err(format!("Tuple contains extra items (expected {}): {}", types.len(), j.java_string()));
            }
            if items.len() < types.len() {
                return Err(format!("Tuple is missing items (expected {}): {}", types.len(), j.java_string()));
            }
            let mut out = Vec::new();
            for (i, t) in items.iter().zip(types) {
                match from_json(t, i)? {
                    Some(b) => {
                        out.extend_from_slice(&(b.len() as i32).to_be_bytes());
                        out.extend_from_slice(&b);
                    }
                    None => out.extend_from_slice(&(-1i32).to_be_bytes()),
                }
            }
            Ok(Bytes::from(out))
        }
        CqlType::Udt { fields, .. } => {
            let Json::Object(entries) = j else { return Err(expected("a map", j)) };
            let mut values: Vec<Option<Bytes>> = vec![None; fields.len()];
            for (k, v) in entries {
                let name = match k.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
                    Some(inner) => inner.to_string(),
                    None => k.to_lowercase(),
                };
                let Some(pos) = fields.iter().position(|(f, _)| *f == name) else {
                    return Err(format!("Unknown field '{name}' in value of user defined type {typ}"));
                };
                values[pos] = from_json(&fields[pos].1, v)?;
            }
            let mut out = Vec::new();
            for v in values {
                match v {
                    Some(b) => {
                        out.extend_from_slice(&(b.len() as i32).to_be_bytes());
                        out.extend_from_slice(&b);
                    }
                    None => out.extend_from_slice(&(-1i32).to_be_bytes()),
                }
            }
            Ok(Bytes::from(out))
        }
        CqlType::Custom(_) => match j {
            Json::String(s) => literal_bytes(typ, LiteralKind::Blob, s.strip_prefix("0x").unwrap_or(s)),
            _ => Err(expected("a string", j)),
        },
    }
}

/// The values of `INSERT JSON`: for each column of the table, `Some(value)` when the JSON object
/// names it (`None` inside for an explicit null), in table column order. Keys are matched like
/// Cassandra's `Json.handleCaseSensitivity`: a key in double quotes is case-sensitive, others are
/// lower-cased.
pub fn insert_json_values(
    text: &str,
    columns: &[(String, CqlType)],
) -> Result<Vec<Option<Option<Bytes>>>, crate::Error> {
    use crate::Error;
    let parsed = parse(text)
        .map_err(|e| Error::invalid(format!("Could not decode JSON string as a map: {e}. (String was: {text})")))?;
    let entries = match parsed {
        Json::Object(entries) => entries,
        Json::Null => return Err(Error::invalid("Got null for INSERT JSON values")),
        other => {
            return Err(Error::invalid(format!(
                "Could not decode JSON string as a map: com.fasterxml.jackson.databind.exc.MismatchedInputException: Cannot deserialize value of type `java.util.LinkedHashMap<java.lang.Object,java.lang.Object>` from {} value. (String was: {text})",
                match other {
                    Json::String(_) => "String",
                    Json::Array(_) => "Array",
                    Json::Bool(_) => "Boolean",
                    Json::Double(_) => "Floating-point",
                    _ => "Integer",
                }
            )))
        }
    };
    let mut map: Vec<(String, Json)> = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        let name = match k.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
            Some(inner) if k.len() >= 2 => inner.to_string(),
            _ => k.to_lowercase(),
        };
        match map.iter_mut().find(|(n, _)| *n == name) {
            Some(e) => e.1 = v,
            None => map.push((name, v)),
        }
    }
    let mut out = Vec::with_capacity(columns.len());
    for (name, typ) in columns {
        match map.iter().position(|(n, _)| n == name) {
            None => out.push(None),
            Some(i) => {
                let (_, v) = map.remove(i);
                let value = from_json(typ, &v)
                    .map_err(|e| Error::invalid(format!("Error decoding JSON value for {name}: {e}")))?;
                out.push(Some(value));
            }
        }
    }
    if let Some((name, _)) = map.first() {
        return Err(Error::invalid(format!("JSON values map contains unrecognized column: {name}")));
    }
    Ok(out)
}

/// The column values of `INSERT INTO t JSON <json> [DEFAULT NULL|UNSET]`: every column of the table,
/// with the bound value the JSON gives it (a column it does not name is null, or unset with
/// `DEFAULT UNSET`). The statement then runs like `INSERT INTO t (<columns>) VALUES (?, ...)` bound
/// to these values.
pub fn insert_json_columns(
    table: &crate::schema::Table,
    json: &cql_parser::ast::Term,
    default_unset: bool,
    values: &crate::bind::Values<'_>,
) -> Result<(Vec<String>, Vec<crate::Value>), crate::Error> {
    use crate::bind::{eval, Bound};
    use crate::{Error, Value};
    let text = match eval(json, &CqlType::TEXT, "[json]", values)? {
        Bound::Value(b) => String::from_utf8_lossy(&b).into_owned(),
        Bound::Null => return Err(Error::invalid("Got null for INSERT JSON values")),
        Bound::Unset => return Err(Error::invalid("Invalid unset value for [json]")),
    };
    let columns: Vec<(String, CqlType)> = table.columns.iter().map(|c| (c.name.clone(), c.typ.clone())).collect();
    let parsed = insert_json_values(&text, &columns)?;
    let mut names = Vec::with_capacity(columns.len());
    let mut bound = Vec::with_capacity(columns.len());
    for ((name, _), v) in columns.into_iter().zip(parsed) {
        names.push(name);
        bound.push(match v {
            Some(Some(b)) => Value::Bytes(b),
            Some(None) => Value::Null,
            None if default_unset => Value::Unset,
            None => Value::Null,
        });
    }
    Ok((names, bound))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(v: CqlValue) -> Vec<u8> {
        v.to_bytes()
    }

    #[test]
    fn numbers_are_classified_like_jackson() {
        assert_eq!(parse("123").unwrap(), Json::Int(123));
        assert_eq!(parse("2147483648").unwrap(), Json::Long(2147483648));
        assert_eq!(parse("9223372036854775808").unwrap(), Json::BigInt("9223372036854775808".into()));
        assert_eq!(parse("1.5").unwrap(), Json::Double(1.5));
    }

    #[test]
    fn to_json_matches_cassandras_tojson() {
        // JsonTest.testToJsonFct
        assert_eq!(to_json(&CqlType::TEXT, b"abcd"), "\"abcd\"");
        assert_eq!(to_json(&CqlType::TEXT, b"\0"), "\"\\u0000\"");
        assert_eq!(to_json(&CqlType::BLOB, &[0, 0, 0, 1]), "\"0x00000001\"");
        assert_eq!(to_json(&CqlType::BLOB, &[]), "\"0x\"");
        assert_eq!(to_json(&CqlType::DOUBLE, &bytes(CqlValue::Double(123123.0))), "123123.0");
        assert_eq!(
            to_json(&CqlType::TIMESTAMP, &bytes(CqlValue::Timestamp(1388534400000))),
            "\"2014-01-01 00:00:00.000Z\""
        );
        assert_eq!(to_json(&CqlType::Native(NativeType::Time), &bytes(CqlValue::Time(123))), "\"00:00:00.000000123\"");
        assert_eq!(to_json(&CqlType::INET, &bytes(CqlValue::Inet("::1".parse().unwrap()))), "\"0:0:0:0:0:0:0:1\"");
        let m = CqlType::map(CqlType::Native(NativeType::Ascii), CqlType::INT);
        let v = CqlValue::Map(vec![
            (CqlValue::Ascii("a".into()), CqlValue::Int(1)),
            (CqlValue::Ascii("b".into()), CqlValue::Int(2)),
        ]);
        assert_eq!(to_json(&m, &bytes(v)), "{\"a\": 1, \"b\": 2}");
        let m = CqlType::map(CqlType::INT, CqlType::BOOLEAN);
        let v = CqlValue::Map(vec![(CqlValue::Int(0), CqlValue::Boolean(true))]);
        assert_eq!(to_json(&m, &bytes(v)), "{\"0\": true}");
    }

    #[test]
    fn from_json_reports_cassandras_messages() {
        // JsonTest.testFromJsonFct
        let e = from_json(&CqlType::INT, &parse("2147483648").unwrap()).unwrap_err();
        assert!(e.starts_with("Expected an int value, but got a Long"), "{e}");
        let e = from_json(&CqlType::BLOB, &parse("\"xyzz\"").unwrap()).unwrap_err();
        assert!(e.starts_with("Value 'xyzz' is not a valid blob representation"), "{e}");
        let e = from_json(&CqlType::list(CqlType::INT), &parse("[null]").unwrap()).unwrap_err();
        assert_eq!(e, "Invalid null element in list");
        assert_eq!(
            from_json(&CqlType::BIGINT, &parse("\"123\"").unwrap()).unwrap(),
            Some(Bytes::from(bytes(CqlValue::Bigint(123))))
        );
    }
}
