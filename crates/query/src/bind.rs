//! Terms to values: literals, bind markers, collection literals and the few functions a term may
//! call, each checked against the type of the column that receives it. Also collects the bind
//! variables' specifications (names and types) when a statement is prepared.

use bytes::Bytes;
use cql_parser::ast::{BindMarker, Literal, QualifiedName, Term, TypeExpr};
use cql_types::{CqlType, CqlValue};

use crate::functions::term_text;
use crate::{ColumnSpec, Error, Value};

/// A term's value once bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    Null,
    /// A bind marker left unset (v4+): leave the column as it is.
    Unset,
    Value(Bytes),
}

/// The values a statement is executed with.
pub struct Values<'a> {
    pub values: &'a [Value],
    /// Names the client gave its values, if any.
    pub names: Option<&'a [String]>,
    /// The bind variable specs of the statement (to match named values).
    pub specs: &'a [ColumnSpec],
}

impl<'a> Values<'a> {
    fn get(&self, marker: &BindMarker) -> Result<&'a Value, Error> {
        let index = match self.names {
            Some(names) => {
                let wanted = marker
                    .name
                    .clone()
                    .or_else(|| self.specs.get(marker.index).map(|s| s.name.clone()))
                    .unwrap_or_default();
                names
                    .iter()
                    .position(|n| n.eq_ignore_ascii_case(&wanted))
                    .ok_or_else(|| Error::invalid(format!("No value for bind variable {wanted}")))?
            }
            None => marker.index,
        };
        self.values.get(index).ok_or_else(|| {
            Error::invalid(format!(
                "There were {} markers(?) in CQL but {} bound variables",
                self.specs.len().max(marker.index + 1),
                self.values.len()
            ))
        })
    }
}

/// Evaluates `term` as a value of type `typ` for the receiver called `receiver` (a column name, or
/// `[limit]`-style names), with Cassandra's errors.
pub fn eval(term: &Term, typ: &CqlType, receiver: &str, values: &Values<'_>) -> Result<Bound, Error> {
    match term {
        // Cassandra's null literal is not assignable to a counter (`Constants.NULL_LITERAL`).
        Term::Null if typ.is_counter() => Err(Error::invalid("Invalid null value for counter increment/decrement")),
        Term::Null => Ok(Bound::Null),
        Term::Literal(lit) => literal(lit, typ, receiver).map(Bound::Value),
        Term::BindMarker(m) => match values.get(m)? {
            Value::Null => Ok(Bound::Null),
            Value::Unset => Ok(Bound::Unset),
            Value::Bytes(b) => {
                CqlValue::validate(typ, b).map_err(|e| Error::invalid(e.to_string()))?;
                Ok(Bound::Value(if holds_sorted_collection(typ) { sorted_value(typ, b) } else { b.clone() }))
            }
        },
        Term::List(items) => match typ {
            CqlType::List { element, .. } | CqlType::Vector { element, .. } => {
                let mut parts = Vec::with_capacity(items.len());
                for item in items {
                    let part = element_value(item, element, receiver, values);
                    let kind = if matches!(typ, CqlType::Vector { .. }) { "vector" } else { "list" };
                    parts.push(not_assignable(part, || {
                        format!(
                            "Invalid {kind} literal for {receiver}: value {} is not of type {element}",
                            term_text(item)
                        )
                    })?);
                }
                if let CqlType::Vector { dimension, .. } = typ {
                    if parts.len() != *dimension as usize {
                        return Err(Error::invalid(format!(
                            "Invalid vector literal for {receiver} of type {typ}; expected {dimension} elements, but given {}",
                            parts.len()
                        )));
                    }
                    let mut out = Vec::new();
                    for p in parts {
                        out.extend_from_slice(&p);
                    }
                    return Ok(Bound::Value(Bytes::from(out)));
                }
                Ok(Bound::Value(serialize_collection(&parts)))
            }
            _ => Err(invalid_literal_type("list", receiver, typ)),
        },
        Term::Set(items) => match typ {
            CqlType::Set { element, .. } => {
                let mut parts = Vec::with_capacity(items.len());
                for item in items {
                    let part = element_value(item, element, receiver, values);
                    parts.push(not_assignable(part, || {
                        format!(
                            "Invalid set literal for {receiver}: value {} is not of type {element}",
                            term_text(item)
                        )
                    })?);
                }
                parts.sort_by(|a, b| CqlValue::compare(element, a, b));
                parts.dedup();
                Ok(Bound::Value(serialize_collection(&parts)))
            }
            _ => Err(invalid_literal_type("set", receiver, typ)),
        },
        Term::Map(entries) => match typ {
            CqlType::Map { key, value, .. } => {
                let mut parts = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let kb = element_value(k, key, receiver, values);
                    let kb = not_assignable(kb, || {
                        format!("Invalid map literal for {receiver}: key {} is not of type {key}", term_text(k))
                    })?;
                    let vb = element_value(v, value, receiver, values);
                    let vb = not_assignable(vb, || {
                        format!("Invalid map literal for {receiver}: value {} is not of type {value}", term_text(v))
                    })?;
                    parts.push((kb, vb));
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
                Ok(Bound::Value(Bytes::from(out)))
            }
            // `{}` is also the empty set.
            CqlType::Set { .. } if entries.is_empty() => Ok(Bound::Value(serialize_collection(&[]))),
            _ => Err(invalid_literal_type("map", receiver, typ)),
        },
        // `(x)` is a term between parentheses unless the receiver is a tuple (Tuples.Literal.prepare).
        Term::Tuple(items) if items.len() == 1 && !matches!(typ, CqlType::Tuple(_)) => {
            eval(&items[0], typ, receiver, values)
        }
        Term::Tuple(items) => match typ {
            CqlType::Tuple(types) => {
                if items.len() > types.len() {
                    return Err(Error::invalid(format!(
                        "Invalid tuple literal for {receiver}: too many elements. Type {typ} expects {} but got {}",
                        types.len(),
                        items.len()
                    )));
                }
                let mut out = Vec::new();
                for (i, (item, t)) in items.iter().zip(types).enumerate() {
                    let component = eval(item, t, receiver, values);
                    match not_assignable(component, || {
                        format!("Invalid tuple literal for {receiver}: component {i} is not of type {t}")
                    })? {
                        Bound::Value(b) => {
                            out.extend_from_slice(&(b.len() as i32).to_be_bytes());
                            out.extend_from_slice(&b);
                        }
                        // Cassandra's `Tuples.DelayedValue` refuses an unset component.
                        Bound::Unset => {
                            return Err(Error::invalid(format!("Invalid unset value for tuple field number {i}")))
                        }
                        Bound::Null => out.extend_from_slice(&(-1i32).to_be_bytes()),
                    }
                }
                Ok(Bound::Value(Bytes::from(out)))
            }
            _ => Err(invalid_literal_type("tuple", receiver, typ)),
        },
        Term::Udt(fields) => match typ {
            CqlType::Udt { fields: defs, name: type_name, .. } => {
                for (name, _) in fields {
                    if !defs.iter().any(|(f, _)| f == name) {
                        return Err(Error::invalid(format!(
                            "Unknown field '{name}' in value of user defined type {type_name}"
                        )));
                    }
                }
                let mut out = Vec::new();
                for (fname, ftype) in defs {
                    match fields.iter().find(|(n, _)| n == fname) {
                        Some((_, t)) => match eval(t, ftype, receiver, values)? {
                            Bound::Value(b) => {
                                out.extend_from_slice(&(b.len() as i32).to_be_bytes());
                                out.extend_from_slice(&b);
                            }
                            Bound::Unset => {
                                return Err(Error::invalid(format!(
                                    "Invalid unset value for field '{fname}' of user defined type {type_name}"
                                )))
                            }
                            Bound::Null => out.extend_from_slice(&(-1i32).to_be_bytes()),
                        },
                        None => out.extend_from_slice(&(-1i32).to_be_bytes()),
                    }
                }
                Ok(Bound::Value(Bytes::from(out)))
            }
            _ => Err(invalid_literal_type("user type", receiver, typ)),
        },
        Term::FunctionCall { name, args } => function(name, args, typ, receiver, values),
        Term::TypeHint(hint, inner) => {
            let hinted = resolve_native(hint).unwrap_or_else(|| typ.clone());
            if !cast_assignable(&hinted, typ) {
                return Err(Error::invalid(format!(
                    "Cannot assign value {} to {receiver} of type {typ}",
                    crate::functions::term_text(term)
                )));
            }
            eval(inner, &hinted, receiver, values)
        }
        // `-x` for a number is a call of `system._negate` (OperationFcts).
        Term::Negate(inner) if negatable(typ) => {
            let name = QualifiedName { keyspace: Some("system".into()), name: "_negate".into() };
            function(&name, std::slice::from_ref(inner.as_ref()), typ, receiver, values)
        }
        Term::Negate(_) => Err(Error::invalid(format!("Invalid negation for {receiver} of type {typ}"))),
    }
}

/// An element or component literal that does not fit its type makes the enclosing literal not assignable,
/// with the enclosing literal's message (Cassandra's `testAssignment` in `Lists`/`Sets`/`Maps`/`Tuples`).
fn not_assignable<T>(result: Result<T, Error>, message: impl FnOnce() -> String) -> Result<T, Error> {
    match result {
        Err(Error::Invalid(m))
            if (m.starts_with("Invalid ") && (m.contains(" literal for ") || m.contains(" constant (")))
                || m.starts_with("Cannot assign value ") =>
        {
            Err(Error::invalid(message()))
        }
        other => other,
    }
}

fn element_value(term: &Term, typ: &CqlType, receiver: &str, values: &Values<'_>) -> Result<Bytes, Error> {
    match eval(term, typ, receiver, values)? {
        Bound::Value(b) => Ok(b),
        Bound::Null => Err(Error::invalid("null is not supported inside collections")),
        Bound::Unset => Err(Error::invalid(format!("Invalid unset value for {receiver}"))),
    }
}

/// `[int count][int len][bytes]…` — a list or set in protocol v3+ form.
pub fn serialize_collection(parts: &[Bytes]) -> Bytes {
    let mut out = Vec::with_capacity(4 + parts.iter().map(|p| p.len() + 4).sum::<usize>());
    out.extend_from_slice(&(parts.len() as i32).to_be_bytes());
    for p in parts {
        out.extend_from_slice(&(p.len() as i32).to_be_bytes());
        out.extend_from_slice(p);
    }
    Bytes::from(out)
}

fn invalid_literal_type(kind: &str, receiver: &str, typ: &CqlType) -> Error {
    Error::invalid(format!("Invalid {kind} literal for {receiver} of type {typ}"))
}

/// A literal as the serialized value of `typ`, with Cassandra's error text.
pub fn literal(lit: &Literal, typ: &CqlType, receiver: &str) -> Result<Bytes, Error> {
    use cql_types::literal;
    if let (CqlType::Tuple(types), literal::LiteralKind::String) = (typ, lit.kind) {
        return tuple_from_string(types, typ, &lit.text);
    }
    if !literal::is_assignable(typ, lit.kind) {
        return Err(Error::invalid(literal::invalid_constant_message(lit.kind, &lit.text, receiver, typ)));
    }
    literal::parse_literal_bytes(typ, lit.kind, &lit.text).map(Bytes::from).map_err(|e| Error::invalid(e.to_string()))
}

fn negatable(typ: &CqlType) -> bool {
    matches!(typ, CqlType::Native(n) if crate::functions::num::is_numeric(*n))
}

/// Whether a value type-cast to `hinted` may be given to a receiver of native type `typ`: the same
/// type, or one whose values `typ` accepts as they are (AbstractType.isValueCompatibleWith: blob
/// takes anything, text takes ascii, varint the fixed-size integers, bigint and timestamp each other).
fn cast_assignable(hinted: &CqlType, typ: &CqlType) -> bool {
    use cql_types::NativeType as N;
    let (CqlType::Native(h), CqlType::Native(t)) = (hinted, typ) else { return true };
    h == t
        || matches!(
            (t, h),
            (N::Blob, _)
                | (N::Text, N::Ascii)
                | (N::Varint, N::Tinyint | N::Smallint | N::Int | N::Bigint)
                | (N::Bigint | N::Counter, N::Timestamp | N::Bigint)
                | (N::Timestamp, N::Bigint)
        )
}

fn resolve_native(t: &TypeExpr) -> Option<CqlType> {
    match t {
        TypeExpr::Native(n) => Some(CqlType::Native(*n)),
        _ => None,
    }
}

fn function(
    name: &QualifiedName,
    args: &[Term],
    typ: &CqlType,
    receiver: &str,
    values: &Values<'_>,
) -> Result<Bound, Error> {
    crate::functions::call_in_term(name, args, typ, receiver, values)
}

/// The bind variable specs of a statement, filled in as the statement's terms are visited.
#[derive(Debug, Default)]
pub struct VariableSpecs {
    specs: Vec<Option<ColumnSpec>>,
    /// The first error preparing a function call term (Cassandra reports it at PREPARE).
    error: Option<Error>,
}

impl VariableSpecs {
    /// The first error met while visiting terms, e.g. an ambiguous call `castAsInt(?)`.
    pub fn take_error(&mut self) -> Result<(), Error> {
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Keeps `error` to report at PREPARE, unless an earlier one is kept.
    pub fn fail(&mut self, error: Error) {
        self.error.get_or_insert(error);
    }

    /// Records the receiver of every bind marker in `term` (for collections, markers inside receive
    /// the element type).
    pub fn visit(&mut self, term: &Term, keyspace: &str, table: &str, name: &str, typ: &CqlType) {
        match term {
            Term::BindMarker(m) => {
                let spec = ColumnSpec {
                    keyspace: keyspace.to_string(),
                    table: table.to_string(),
                    name: m.name.clone().unwrap_or_else(|| name.to_string()),
                    typ: typ.clone(),
                };
                if self.specs.len() <= m.index {
                    self.specs.resize(m.index + 1, None);
                }
                self.specs[m.index] = Some(spec);
            }
            Term::List(items) | Term::Set(items) => {
                let element = match typ {
                    CqlType::List { element, .. } | CqlType::Set { element, .. } | CqlType::Vector { element, .. } => {
                        element.as_ref().clone()
                    }
                    _ => typ.clone(),
                };
                for i in items {
                    self.visit(i, keyspace, table, name, &element);
                }
            }
            Term::Map(entries) => {
                if let CqlType::Map { key, value, .. } = typ {
                    for (k, v) in entries {
                        self.visit(k, keyspace, table, name, key);
                        self.visit(v, keyspace, table, name, value);
                    }
                }
            }
            Term::Tuple(items) => {
                if let CqlType::Tuple(types) = typ {
                    for (i, t) in items.iter().zip(types) {
                        self.visit(i, keyspace, table, name, t);
                    }
                } else if let [item] = items.as_slice() {
                    self.visit(item, keyspace, table, name, typ);
                }
            }
            Term::Udt(fields) => {
                // A marker for a field receives the field (`UserTypes.fieldSpecOf`: named `column.field`).
                if let CqlType::Udt { fields: defs, name: type_name, .. } = typ {
                    for (f, t) in fields {
                        match defs.iter().find(|(d, _)| d == f) {
                            Some((_, ft)) => self.visit(t, keyspace, table, &format!("{name}.{f}"), ft),
                            None => self.fail(Error::invalid(format!(
                                "Unknown field '{f}' in value of user defined type {type_name}"
                            ))),
                        }
                    }
                }
            }
            Term::TypeHint(_, inner) => self.visit(inner, keyspace, table, name, typ),
            Term::Negate(inner) if negatable(typ) => self.visit(inner, keyspace, table, "arg0(system._negate)", typ),
            Term::FunctionCall { name: function, args } => {
                // Markers in arguments receive the argument's type, named like Cassandra's `arg0(system.f)`.
                match crate::functions::prepare_term_call(function, args, typ, name) {
                    Ok(fun) => {
                        for (i, (arg, arg_type)) in args.iter().zip(&fun.args).enumerate() {
                            self.visit(arg, keyspace, table, &crate::functions::arg_spec_name(&fun, i), arg_type);
                        }
                    }
                    Err(e) => {
                        if self.error.is_none() && args.iter().any(|a| matches!(a, Term::BindMarker(_))) {
                            self.error = Some(e);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// The specs in marker order; a marker nothing received becomes a blob named after its index.
    pub fn finish(self, keyspace: &str, table: &str) -> Vec<ColumnSpec> {
        self.specs
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                s.unwrap_or_else(|| ColumnSpec {
                    keyspace: keyspace.to_string(),
                    table: table.to_string(),
                    name: format!("[{i}]"),
                    typ: CqlType::BLOB,
                })
            })
            .collect()
    }
}

/// Whether values of `typ` contain a set or a map, whose elements a client may send in any order.
fn holds_sorted_collection(typ: &CqlType) -> bool {
    match typ {
        CqlType::Set { .. } | CqlType::Map { .. } => true,
        CqlType::List { element, .. } => holds_sorted_collection(element),
        CqlType::Tuple(types) => types.iter().any(holds_sorted_collection),
        CqlType::Udt { fields, .. } => fields.iter().any(|(_, t)| holds_sorted_collection(t)),
        _ => false,
    }
}

/// Splits `n` length-prefixed parts off `cur` (`None` for a negative length).
fn length_prefixed<'b>(cur: &mut &'b [u8], n: usize) -> Option<Vec<Option<&'b [u8]>>> {
    let mut parts = Vec::with_capacity(n.min(256));
    for _ in 0..n {
        let len = i32::from_be_bytes(cur.get(..4)?.try_into().ok()?);
        *cur = &cur[4..];
        if len < 0 {
            parts.push(None);
        } else {
            let part = cur.get(..len as usize)?;
            *cur = &cur[len as usize..];
            parts.push(Some(part));
        }
    }
    Some(parts)
}

fn put_part(out: &mut Vec<u8>, part: Option<&[u8]>) {
    match part {
        Some(p) => {
            out.extend_from_slice(&(p.len() as i32).to_be_bytes());
            out.extend_from_slice(p);
        }
        None => out.extend_from_slice(&(-1i32).to_be_bytes()),
    }
}

/// A bound (validated) value with its sets and maps in Cassandra's order, without duplicates: Cassandra
/// rebuilds a bound collection from its elements (`Sets.Value.fromSerialized`), so `{2, 1}` sent as a list
/// of bytes `[2, 1]` equals `{1, 2}`. Left as sent if it does not parse.
fn sorted_value(typ: &CqlType, bytes: &[u8]) -> Bytes {
    sorted_parts(typ, bytes).map(Bytes::from).unwrap_or_else(|| Bytes::copy_from_slice(bytes))
}

fn sorted_parts(typ: &CqlType, bytes: &[u8]) -> Option<Vec<u8>> {
    let mut cur = bytes;
    let mut out = Vec::with_capacity(bytes.len());
    match typ {
        CqlType::List { element: t, .. } | CqlType::Set { element: t, .. } => {
            let n = i32::from_be_bytes(cur.get(..4)?.try_into().ok()?);
            cur = &cur[4..];
            let mut items: Vec<Vec<u8>> = length_prefixed(&mut cur, usize::try_from(n).ok()?)?
                .into_iter()
                .map(|e| sorted_parts(t, e?))
                .collect::<Option<_>>()?;
            if matches!(typ, CqlType::Set { .. }) {
                items.sort_by(|a, b| CqlValue::compare(t, a, b));
                items.dedup_by(|a, b| CqlValue::compare(t, a, b).is_eq());
            }
            out.extend_from_slice(&(items.len() as i32).to_be_bytes());
            items.iter().for_each(|i| put_part(&mut out, Some(i)));
        }
        CqlType::Map { key, value, .. } => {
            let n = i32::from_be_bytes(cur.get(..4)?.try_into().ok()?);
            cur = &cur[4..];
            let parts = length_prefixed(&mut cur, usize::try_from(n).ok()?.checked_mul(2)?)?;
            let mut entries = Vec::with_capacity(parts.len() / 2);
            for kv in parts.chunks(2) {
                entries.push((sorted_parts(key, kv[0]?)?, sorted_parts(value, kv[1]?)?));
            }
            // A later duplicate key wins, as when Cassandra builds the map.
            entries.reverse();
            entries.sort_by(|a, b| CqlValue::compare(key, &a.0, &b.0));
            entries.dedup_by(|a, b| CqlValue::compare(key, &a.0, &b.0).is_eq());
            out.extend_from_slice(&(entries.len() as i32).to_be_bytes());
            for (k, v) in &entries {
                put_part(&mut out, Some(k));
                put_part(&mut out, Some(v));
            }
        }
        CqlType::Tuple(_) | CqlType::Udt { .. } => {
            let types: Vec<&CqlType> = match typ {
                CqlType::Tuple(ts) => ts.iter().collect(),
                CqlType::Udt { fields, .. } => fields.iter().map(|(_, t)| t).collect(),
                _ => Vec::new(),
            };
            for t in types {
                if cur.is_empty() {
                    break;
                }
                let part = length_prefixed(&mut cur, 1)?.pop()?;
                match part {
                    Some(p) => put_part(&mut out, Some(&sorted_parts(t, p)?)),
                    None => put_part(&mut out, None),
                }
            }
        }
        _ => return Some(bytes.to_vec()),
    }
    out.extend_from_slice(cur);
    Some(out)
}

/// A string constant for a tuple is the tuple's string form (Cassandra's `TupleType.fromString`):
/// components separated by `:`, `@` for null, `\:` and `\@` escaping those characters.
fn tuple_from_string(types: &[CqlType], typ: &CqlType, text: &str) -> Result<Bytes, Error> {
    use cql_types::literal::{parse_literal_bytes, LiteralKind};
    use cql_types::NativeType as N;
    // (text, whether it is exactly an unescaped `@`) of each component.
    let mut parts: Vec<(String, bool)> = vec![(String::new(), false)];
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        let Some(last) = parts.last_mut() else { break };
        match c {
            '\\' => {
                last.0.extend(chars.next());
                last.1 = false;
            }
            ':' => parts.push((String::new(), false)),
            '@' if last.0.is_empty() && !last.1 => last.1 = true,
            c => {
                if last.1 {
                    last.0.push('@');
                    last.1 = false;
                }
                last.0.push(c);
            }
        }
    }
    if parts.len() > types.len() {
        return Err(Error::invalid(format!(
            "Invalid tuple literal: too many elements. Type {typ} expects {} but got {}",
            types.len(),
            parts.len()
        )));
    }
    let mut out = Vec::new();
    for ((part, is_null), t) in parts.iter().zip(types) {
        if *is_null {
            out.extend_from_slice(&(-1i32).to_be_bytes());
            continue;
        }
        let kind = match t {
            CqlType::Native(N::Ascii | N::Text | N::Inet | N::Date | N::Time | N::Timestamp) => LiteralKind::String,
            CqlType::Native(N::Int | N::Bigint | N::Smallint | N::Tinyint | N::Varint | N::Counter) => {
                LiteralKind::Integer
            }
            CqlType::Native(N::Float | N::Double | N::Decimal) if part.parse::<i64>().is_ok() => LiteralKind::Integer,
            CqlType::Native(N::Float | N::Double | N::Decimal) => LiteralKind::Float,
            CqlType::Native(N::Boolean) => LiteralKind::Boolean,
            CqlType::Native(N::Uuid | N::Timeuuid) => LiteralKind::Uuid,
            CqlType::Native(N::Duration) => LiteralKind::Duration,
            _ => return Err(Error::invalid(format!("Invalid STRING constant ({text}) for tuple of type {typ}"))),
        };
        let value = parse_literal_bytes(t, kind, part).map_err(|e| Error::invalid(e.to_string()))?;
        out.extend_from_slice(&(value.len() as i32).to_be_bytes());
        out.extend_from_slice(&value);
    }
    Ok(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collection(parts: &[&[u8]]) -> Vec<u8> {
        let mut out = (parts.len() as i32).to_be_bytes().to_vec();
        parts.iter().for_each(|p| put_part(&mut out, Some(p)));
        out
    }

    #[test]
    fn bound_sets_are_sorted_and_deduplicated() {
        let typ = CqlType::set(CqlType::INT);
        let sent = collection(&[&3i32.to_be_bytes(), &1i32.to_be_bytes(), &3i32.to_be_bytes()]);
        let expected = collection(&[&1i32.to_be_bytes(), &3i32.to_be_bytes()]);
        assert_eq!(sorted_value(&typ, &sent).as_ref(), expected.as_slice());
    }

    #[test]
    fn bound_lists_keep_their_order() {
        let typ = CqlType::list(CqlType::INT);
        let sent = collection(&[&3i32.to_be_bytes(), &1i32.to_be_bytes()]);
        assert!(!holds_sorted_collection(&typ));
        assert_eq!(sorted_value(&typ, &sent).as_ref(), sent.as_slice());
    }

    #[test]
    fn tuple_string_form_splits_on_colons_with_escapes_and_nulls() {
        let types = vec![CqlType::INT, CqlType::TEXT];
        let typ = CqlType::Tuple(types.clone());
        let mut expected = Vec::new();
        put_part(&mut expected, None);
        put_part(&mut expected, Some(b"1:1"));
        assert_eq!(tuple_from_string(&types, &typ, "@:1\\:1").unwrap().as_ref(), expected.as_slice());
        assert_eq!(
            tuple_from_string(&types, &typ, "1:2:3").unwrap_err().to_string(),
            "Invalid tuple literal: too many elements. Type frozen<tuple<int, text>> expects 2 but got 3"
        );
    }
}
