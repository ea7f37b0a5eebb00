//! Terms to values: literals, bind markers, collection literals and the few functions a term may
//! call, each checked against the type of the column that receives it. Also collects the bind
//! variables' specifications (names and types) when a statement is prepared.

use bytes::Bytes;
use cql_parser::ast::{BindMarker, Literal, QualifiedName, Term, TypeExpr};
use cql_types::{CqlType, CqlValue};

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
        Term::Null => Ok(Bound::Null),
        Term::Literal(lit) => literal(lit, typ, receiver).map(Bound::Value),
        Term::BindMarker(m) => match values.get(m)? {
            Value::Null => Ok(Bound::Null),
            Value::Unset => Ok(Bound::Unset),
            Value::Bytes(b) => {
                CqlValue::validate(typ, b).map_err(|e| Error::invalid(e.to_string()))?;
                Ok(Bound::Value(b.clone()))
            }
        },
        Term::List(items) => match typ {
            CqlType::List { element, .. } | CqlType::Vector { element, .. } => {
                let mut parts = Vec::with_capacity(items.len());
                for item in items {
                    parts.push(element_value(item, element, receiver, values)?);
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
                    parts.push(element_value(item, element, receiver, values)?);
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
                    parts.push((element_value(k, key, receiver, values)?, element_value(v, value, receiver, values)?));
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
                for (item, t) in items.iter().zip(types) {
                    match eval(item, t, receiver, values)? {
                        Bound::Value(b) => {
                            out.extend_from_slice(&(b.len() as i32).to_be_bytes());
                            out.extend_from_slice(&b);
                        }
                        _ => out.extend_from_slice(&(-1i32).to_be_bytes()),
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
            eval(inner, &hinted, receiver, values)
        }
        Term::Negate(_) => Err(Error::invalid(format!("Invalid negation for {receiver} of type {typ}"))),
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
    if !literal::is_assignable(typ, lit.kind) {
        return Err(Error::invalid(literal::invalid_constant_message(lit.kind, &lit.text, receiver, typ)));
    }
    literal::parse_literal_bytes(typ, lit.kind, &lit.text).map(Bytes::from).map_err(|e| Error::invalid(e.to_string()))
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
}

impl VariableSpecs {
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
                }
            }
            Term::Udt(fields) => {
                // A marker for a field receives the field (`UserTypes.fieldSpecOf`: named `column.field`).
                if let CqlType::Udt { fields: defs, .. } = typ {
                    for (f, t) in fields {
                        if let Some((_, ft)) = defs.iter().find(|(d, _)| d == f) {
                            self.visit(t, keyspace, table, &format!("{name}.{f}"), ft);
                        }
                    }
                }
            }
            Term::TypeHint(_, inner) => self.visit(inner, keyspace, table, name, typ),
            Term::FunctionCall { name: function, args } => {
                // Markers in arguments receive the argument's type, named like Cassandra's `arg0(system.f)`.
                if let Ok(fun) = crate::functions::prepare_term_call(function, args, typ, name) {
                    for (i, (arg, arg_type)) in args.iter().zip(&fun.args).enumerate() {
                        self.visit(arg, keyspace, table, &crate::functions::arg_spec_name(&fun, i), arg_type);
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
