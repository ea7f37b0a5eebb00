//! CQL literals for values, as Cassandra's `toCQLLiteral` writes them.

use std::net::IpAddr;

use bigdecimal::BigDecimal;

use super::codec::{hex, non_null};
use super::layout::{split_collection, split_tuple, split_vector, udt_fields, TupleKind};
use super::{CqlValue, ValueError};
use crate::duration::{format_duration, Duration};
use crate::javafmt::{double_to_string, float_to_string};
use crate::temporal::{format_date, format_time, format_timestamp};
use crate::types::maybe_quote;
use crate::{CqlType, NativeType};

/// Zero padding beyond which a decimal is printed in scientific notation rather than plainly, so that a
/// value like `1E+2147483647` cannot make its literal gigabytes long.
const MAX_PLAIN_DECIMAL_PADDING: i64 = 1000;

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Java's `InetAddress.getHostAddress`: dotted quad, or eight uncompressed lower-case hex groups (an
/// IPv4-mapped IPv6 address is printed as the IPv4 address, as Java decodes it).
fn host_address(ip: &IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => a.segments().iter().map(|s| format!("{s:x}")).collect::<Vec<_>>().join(":"),
        },
    }
}

/// Java's `BigDecimal.toPlainString`, or `toString` (scientific) when plain text would need more than
/// [`MAX_PLAIN_DECIMAL_PADDING`] padding zeros.
fn decimal_text(d: &BigDecimal) -> String {
    let (unscaled, scale) = d.as_bigint_and_exponent();
    let negative = unscaled.sign() == num_bigint::Sign::Minus;
    let digits = unscaled.magnitude().to_str_radix(10);
    let sign = if negative { "-" } else { "" };
    let len = digits.len() as i64;
    if scale <= 0 && -scale <= MAX_PLAIN_DECIMAL_PADDING {
        let zeros = if digits == "0" { String::new() } else { "0".repeat(scale.unsigned_abs() as usize) };
        return format!("{sign}{digits}{zeros}");
    }
    if scale > 0 && scale - len <= MAX_PLAIN_DECIMAL_PADDING {
        let padded = if len <= scale { format!("{}{digits}", "0".repeat((scale - len + 1) as usize)) } else { digits };
        let (int_part, frac_part) = padded.split_at(padded.len() - scale as usize);
        return format!("{sign}{int_part}.{frac_part}");
    }
    let adjusted = len - 1 - scale;
    let (first, rest) = digits.split_at(1.min(digits.len()));
    let point = if rest.is_empty() { String::new() } else { format!(".{rest}") };
    format!("{sign}{first}{point}E{}{adjusted}", if adjusted >= 0 { "+" } else { "" })
}

pub(super) fn value_literal(value: &CqlValue, typ: Option<&CqlType>) -> String {
    let mut out = String::new();
    write_value(value, typ, &mut out);
    out
}

fn write_joined<'v>(
    items: impl Iterator<Item = (Option<&'v CqlValue>, Option<&'v CqlType>)>,
    open: char,
    close: char,
    out: &mut String,
) {
    out.push(open);
    for (i, (item, typ)) in items.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        match item {
            Some(v) => write_value(v, typ, out),
            None => out.push_str("null"),
        }
    }
    out.push(close);
}

fn write_value(value: &CqlValue, typ: Option<&CqlType>, out: &mut String) {
    let element_type = match typ {
        Some(CqlType::List { element, .. } | CqlType::Set { element, .. } | CqlType::Vector { element, .. }) => {
            Some(element.as_ref())
        }
        _ => None,
    };
    match value {
        CqlValue::Ascii(s) | CqlValue::Text(s) => out.push_str(&quote(s)),
        CqlValue::Bigint(n) | CqlValue::Counter(n) => out.push_str(&n.to_string()),
        CqlValue::Blob(b) => {
            out.push_str("0x");
            out.push_str(&hex(b));
        }
        CqlValue::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        CqlValue::Date(d) => out.push_str(&quote(&format_date(*d))),
        CqlValue::Decimal(d) => out.push_str(&decimal_text(d)),
        CqlValue::Double(f) => out.push_str(&double_to_string(*f)),
        CqlValue::Duration { months, days, nanoseconds } => {
            out.push_str(&format_duration(Duration { months: *months, days: *days, nanoseconds: *nanoseconds }))
        }
        CqlValue::Float(f) => out.push_str(&float_to_string(*f)),
        CqlValue::Inet(ip) => out.push_str(&quote(&host_address(ip))),
        CqlValue::Int(n) => out.push_str(&n.to_string()),
        CqlValue::Smallint(n) => out.push_str(&n.to_string()),
        CqlValue::Tinyint(n) => out.push_str(&n.to_string()),
        CqlValue::Time(n) => out.push_str(&quote(&format_time(*n))),
        CqlValue::Timestamp(n) => out.push_str(&quote(&format_timestamp(*n))),
        CqlValue::Timeuuid(u) | CqlValue::Uuid(u) => out.push_str(&u.to_string()),
        CqlValue::Varint(n) => out.push_str(&n.to_string()),
        CqlValue::List(items) | CqlValue::Vector(items) => {
            write_joined(items.iter().map(|v| (Some(v), element_type)), '[', ']', out)
        }
        CqlValue::Set(items) => write_joined(items.iter().map(|v| (Some(v), element_type)), '{', '}', out),
        CqlValue::Map(entries) => {
            let (key_type, value_type) = match typ {
                Some(CqlType::Map { key, value, .. }) => (Some(key.as_ref()), Some(value.as_ref())),
                _ => (None, None),
            };
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(k, key_type, out);
                out.push_str(": ");
                write_value(v, value_type, out);
            }
            out.push('}');
        }
        CqlValue::Tuple(components) => {
            let types: &[CqlType] = match typ {
                Some(CqlType::Tuple(types)) => types,
                _ => &[],
            };
            write_joined(components.iter().enumerate().map(|(i, c)| (c.as_ref(), types.get(i))), '(', ')', out)
        }
        CqlValue::Udt(components) => match typ {
            Some(CqlType::Udt { fields, .. }) if !fields.is_empty() => {
                out.push('{');
                for (i, (component, (name, field_type))) in components.iter().zip(fields.iter()).enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&maybe_quote(name));
                    out.push_str(": ");
                    match component {
                        Some(v) => write_value(v, Some(field_type), out),
                        None => out.push_str("null"),
                    }
                }
                out.push('}');
            }
            _ => write_joined(components.iter().map(|c| (c.as_ref(), None)), '(', ')', out),
        },
    }
}

pub(super) fn bytes_literal(typ: &CqlType, bytes: &[u8]) -> Result<String, ValueError> {
    if bytes.is_empty() {
        return Ok(match typ {
            CqlType::Native(NativeType::Text | NativeType::Ascii) => "''".into(),
            CqlType::Native(NativeType::Blob) | CqlType::Custom(_) => "0x".into(),
            _ => "null".into(),
        });
    }
    let joined = |parts: Vec<String>, open: &str, close: &str| format!("{open}{}{close}", parts.join(", "));
    match typ {
        CqlType::Native(_) | CqlType::Custom(_) => Ok(value_literal(&CqlValue::deserialize(typ, bytes)?, Some(typ))),
        CqlType::List { element, .. } | CqlType::Set { element, .. } => {
            let is_list = matches!(typ, CqlType::List { .. });
            let parts = split_collection(bytes, 1, if is_list { "list" } else { "set" })?
                .into_iter()
                .map(|p| bytes_literal(element, non_null(p)?))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if is_list { joined(parts, "[", "]") } else { joined(parts, "{", "}") })
        }
        CqlType::Map { key, value, .. } => {
            let mut parts = Vec::new();
            for pair in split_collection(bytes, 2, "map")?.chunks_exact(2) {
                if let [k, v] = pair {
                    parts.push(format!(
                        "{}: {}",
                        bytes_literal(key, non_null(*k)?)?,
                        bytes_literal(value, non_null(*v)?)?
                    ));
                }
            }
            Ok(joined(parts, "{", "}"))
        }
        CqlType::Tuple(types) => {
            let parts = split_tuple(bytes, types.len(), TupleKind::Tuple)?
                .into_iter()
                .zip(types.iter())
                .map(|(p, t)| p.map_or_else(|| Ok("null".to_string()), |b| bytes_literal(t, b)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(joined(parts, "(", ")"))
        }
        CqlType::Udt { .. } => {
            let fields = udt_fields(typ)?;
            let parts = split_tuple(bytes, fields.len(), TupleKind::Udt(fields))?
                .into_iter()
                .zip(fields.iter())
                .map(|(p, (name, t))| {
                    let value = p.map_or_else(|| Ok("null".to_string()), |b| bytes_literal(t, b))?;
                    Ok(format!("{}: {value}", maybe_quote(name)))
                })
                .collect::<Result<Vec<_>, ValueError>>()?;
            Ok(joined(parts, "{", "}"))
        }
        CqlType::Vector { element, dimension } => {
            let parts = split_vector(typ, element, *dimension, bytes)?
                .into_iter()
                .map(|p| bytes_literal(element, p))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(joined(parts, "[", "]"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_bigint::BigInt;

    fn decimal(unscaled: i64, scale: i64) -> String {
        decimal_text(&BigDecimal::new(BigInt::from(unscaled), scale))
    }

    #[test]
    fn decimal_prints_plainly() {
        assert_eq!(decimal(12345, 2), "123.45");
        assert_eq!(decimal(-5, 3), "-0.005");
        assert_eq!(decimal(15, -2), "1500");
        assert_eq!(decimal(0, 5), "0.00000");
        assert_eq!(decimal(0, -3), "0");
    }

    #[test]
    fn decimal_with_huge_exponent_prints_scientifically() {
        assert_eq!(decimal(15, -2_000_000), "1.5E+2000001");
        assert_eq!(decimal(-7, 2_000_000), "-7E-2000000");
    }

    #[test]
    fn ipv6_prints_uncompressed_like_java() {
        assert_eq!(host_address(&"::1".parse().unwrap()), "0:0:0:0:0:0:0:1");
        assert_eq!(host_address(&"::ffff:1.2.3.4".parse().unwrap()), "1.2.3.4");
    }
}
