//! The selection of a SELECT: each selector prepared into an expression with its type and the result
//! column name Cassandra gives it (`Selectable.toString()` / `Function.columnName`), evaluated per
//! row, or aggregated over groups of rows.

use bytes::Bytes;
use cql_parser::ast::{self, SelectorExpr, Term, TypeExpr};
use cql_types::{CqlType, CqlValue};

use crate::bind::{eval, Bound, Values, VariableSpecs};
use crate::functions::aggregate::Aggregator;
use crate::functions::{self, Arg, ArgKind, Function, Site};
use crate::row::CqlRow;
use crate::schema::{ColumnKind, Table};
use crate::{ColumnSpec, Error};

use super::undefined_column;

/// Cassandra's name for bind markers in the selection clause.
const SELECTION_MARKER: &str = "[selection]";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meta {
    WriteTime,
    MaxWriteTime,
    Ttl,
}

/// Which cells of a column `writetime()`/`ttl()` of a part of it reads.
#[derive(Debug, Clone)]
pub enum CellPick {
    /// The column's one cell (a frozen or simple column).
    Cell,
    /// The cell of a non-frozen map or set element, by its key's constant slot (and key type).
    Key(usize, CqlType),
    /// The cell of a non-frozen UDT field, by its path.
    Path(Bytes),
    /// The cells of a non-frozen map or set between two keys (constant slots; key type).
    Range(Option<usize>, Option<usize>, CqlType),
}

/// What one selector computes.
#[derive(Debug, Clone)]
pub enum Expr {
    Column(usize),
    Meta(Meta, usize),
    /// `writetime(m[k])`, `ttl(u.f)`, `writetime(m[a..b])`, ...: the cells picked in the column, and the
    /// selected value (no cell counts when it is null, or an empty slice).
    MetaOf {
        kind: Meta,
        column: usize,
        pick: CellPick,
        value: Box<Expr>,
    },
    /// A constant or bind marker: its value is bound once per execution.
    Const(usize),
    Call(Box<Function>, Vec<Expr>),
    /// An aggregate, by slot.
    Agg(usize),
    /// A field of a UDT value.
    Field(Box<Expr>, usize),
    /// `m[key]` on a map or set (the collection type, the key's constant slot).
    Element(Box<Expr>, CqlType, usize),
    /// `c[from..to]` on a map or set.
    Slice(Box<Expr>, CqlType, Option<usize>, Option<usize>),
}

/// A prepared selector.
struct Prepared {
    expr: Expr,
    typ: CqlType,
    name: String,
    aggregate: bool,
}

/// The prepared selection clause.
pub struct Selection {
    /// One per selector (or table column for `*`).
    pub exprs: Vec<Expr>,
    pub names: Vec<String>,
    pub types: Vec<CqlType>,
    /// The result columns (one `[json]` column for SELECT JSON).
    pub specs: Vec<ColumnSpec>,
    pub json: bool,
    pub aggregate: bool,
    pub wildcard: bool,
    /// Aggregates by slot, with their argument expressions.
    aggs: Vec<(Function, Vec<Expr>)>,
    /// Constants by slot: the term and the type it is bound as.
    consts: Vec<(Term, CqlType)>,
    /// Table columns the selection reads, in order of first reference.
    pub columns: Vec<usize>,
    /// Server time (s) of the read: `ttl()` is the time left until a cell expires.
    pub now_seconds: i32,
}

fn spec(table: &Table, name: String, typ: CqlType) -> ColumnSpec {
    ColumnSpec { keyspace: table.keyspace.clone(), table: table.name.clone(), name, typ }
}

struct Builder<'a> {
    table: &'a Table,
    columns: Vec<usize>,
    aggs: Vec<(Function, Vec<Expr>)>,
    consts: Vec<(Term, CqlType)>,
    vars: Option<&'a mut VariableSpecs>,
}

impl Builder<'_> {
    fn column(&mut self, name: &str) -> Result<usize, Error> {
        let i = self.table.column_index(name).ok_or_else(|| undefined_column(self.table, name))?;
        if !self.columns.contains(&i) {
            self.columns.push(i);
        }
        Ok(i)
    }

    fn constant(&mut self, term: &Term, typ: CqlType) -> usize {
        if let Some(v) = self.vars.as_deref_mut() {
            v.visit(term, &self.table.keyspace, &self.table.name, SELECTION_MARKER, &typ);
        }
        self.consts.push((term.clone(), typ));
        self.consts.len() - 1
    }

    fn term(&mut self, term: &Term, expected: Option<&CqlType>) -> Result<Prepared, Error> {
        let text = functions::term_text(term);
        let typ = match term {
            Term::TypeHint(t, _) => functions::resolve_type_expr(t),
            Term::FunctionCall { .. } => None,
            _ => None,
        };
        let typ = match (typ, expected) {
            (Some(t), _) => t,
            (None, Some(e)) => e.clone(),
            (None, None) => {
                return Err(Error::invalid(format!(
                    "Cannot infer type for term {text} in selection clause (try using a cast to force a type)"
                )))
            }
        };
        let slot = self.constant(term, typ.clone());
        Ok(Prepared { expr: Expr::Const(slot), typ, name: text, aggregate: false })
    }

    fn prepare(&mut self, e: &SelectorExpr, expected: Option<&CqlType>) -> Result<Prepared, Error> {
        match e {
            SelectorExpr::Column(name) => {
                let i = self.column(name)?;
                let c = &self.table.columns[i];
                Ok(Prepared { expr: Expr::Column(i), typ: c.typ.clone(), name: c.name.clone(), aggregate: false })
            }
            SelectorExpr::CountStar => self.count_rows(),
            SelectorExpr::Parenthesised(inner) => {
                // Selectable.BetweenParenthesesOrWithTuple keeps the parentheses in the name.
                let p = self.prepare(inner, expected)?;
                Ok(Prepared { name: format!("({})", p.name), ..p })
            }
            SelectorExpr::Term(t) => self.term(t, expected),
            SelectorExpr::Cast(inner, TypeExpr::Native(target)) => {
                let p = self.prepare(inner, None)?;
                let target_type = CqlType::Native(*target);
                if p.typ == target_type {
                    return Ok(p);
                }
                let fname = cast_function_name(*target);
                let name = ast::QualifiedName { keyspace: Some("system".into()), name: fname };
                let args = [Arg { kind: ArgKind::Typed(p.typ.clone()), text: p.name.clone() }];
                let fun = functions::resolve(&name, &args, None, &[], Site::Selection)?.ok_or_else(|| {
                    let first = self.columns.first().map(|i| self.table.columns[*i].name.clone()).unwrap_or_default();
                    Error::invalid(format!("{first} cannot be cast to {target_type}"))
                })?;
                let name = fun.column_name(&[p.name]);
                Ok(Prepared {
                    typ: fun.ret.clone(),
                    expr: Expr::Call(Box::new(fun), vec![p.expr]),
                    name,
                    aggregate: p.aggregate,
                })
            }
            SelectorExpr::Cast(_, other) => {
                Err(Error::invalid(format!("Cannot cast to {}", functions::type_expr_text(other))))
            }
            SelectorExpr::FunctionCall { name, args } => self.call(name, args),
            SelectorExpr::Field(inner, field) => {
                let p = self.prepare(inner, None)?;
                let CqlType::Udt { fields, .. } = &p.typ else {
                    return Err(Error::invalid(format!(
                        "Invalid field selection: {} of type {} is not a user type",
                        p.name, p.typ
                    )));
                };
                let Some(pos) = fields.iter().position(|(f, _)| f == field) else {
                    return Err(Error::invalid(format!("{} of type {} has no field {field}", p.name, p.typ)));
                };
                let typ = fields[pos].1.clone();
                Ok(Prepared {
                    name: format!("{}.{}", p.name, crate::schema::quote_identifier(field)),
                    expr: Expr::Field(Box::new(p.expr), pos),
                    typ,
                    aggregate: p.aggregate,
                })
            }
            SelectorExpr::Element(inner, key) => {
                let p = self.prepare(inner, None)?;
                let (key_type, value_type) = element_types(&p, "Element")?;
                let slot = self.constant(key, key_type);
                Ok(Prepared {
                    name: format!("{}[{}]", p.name, functions::term_text(key)),
                    expr: Expr::Element(Box::new(p.expr), p.typ.clone(), slot),
                    typ: value_type,
                    aggregate: p.aggregate,
                })
            }
            SelectorExpr::Slice(inner, from, to) => {
                let p = self.prepare(inner, None)?;
                let (key_type, _) = element_types(&p, "Slice")?;
                let from_slot = from.as_ref().map(|t| self.constant(t, key_type.clone()));
                let to_slot = to.as_ref().map(|t| self.constant(t, key_type.clone()));
                Ok(Prepared {
                    name: format!(
                        "{}[{}..{}]",
                        p.name,
                        from.as_ref().map(|t| functions::term_text(t)).unwrap_or_default(),
                        to.as_ref().map(|t| functions::term_text(t)).unwrap_or_default()
                    ),
                    expr: Expr::Slice(Box::new(p.expr), p.typ.clone(), from_slot, to_slot),
                    typ: p.typ,
                    aggregate: p.aggregate,
                })
            }
        }
    }

    fn count_rows(&mut self) -> Result<Prepared, Error> {
        let fun =
            Function { name: "countRows".into(), args: vec![], ret: CqlType::BIGINT, imp: functions::Impl::CountRows };
        self.aggs.push((fun, vec![]));
        Ok(Prepared {
            expr: Expr::Agg(self.aggs.len() - 1),
            typ: CqlType::BIGINT,
            name: "count".into(),
            aggregate: true,
        })
    }

    fn meta(&mut self, kind: Meta, args: &[SelectorExpr]) -> Result<Prepared, Error> {
        let kind_name = match kind {
            Meta::WriteTime => "writetime",
            Meta::MaxWriteTime => "maxwritetime",
            Meta::Ttl => "ttl",
        };
        let [arg] = args else {
            return Err(Error::invalid(format!("Invalid arguments for {kind_name}")));
        };
        let SelectorExpr::Column(c) = arg else {
            return self.meta_of_part(kind, kind_name, arg);
        };
        let i = self.column(c)?;
        let col = &self.table.columns[i];
        if col.is_primary_key() {
            return Err(Error::invalid(format!("Cannot use selection function {kind_name} on PRIMARY KEY part {c}")));
        }
        let simple = if kind == Meta::Ttl { CqlType::INT } else { CqlType::BIGINT };
        // On a multi-cell column, one value per cell (MAXWRITETIME aggregates them).
        let typ = if col.typ.is_multi_cell() && kind != Meta::MaxWriteTime { CqlType::list(simple) } else { simple };
        Ok(Prepared { expr: Expr::Meta(kind, i), typ, name: format!("{kind_name}({})", col.name), aggregate: false })
    }

    /// `writetime()`, `maxwritetime()` or `ttl()` of an element, slice or field of a column (CASSANDRA-8877):
    /// on a non-frozen collection or UDT the cells of the elements selected, else the column's cell, if
    /// the selected value exists.
    fn meta_of_part(&mut self, kind: Meta, kind_name: &str, arg: &SelectorExpr) -> Result<Prepared, Error> {
        let mut root = arg;
        while let SelectorExpr::Field(inner, _) | SelectorExpr::Element(inner, _) | SelectorExpr::Slice(inner, _, _) =
            root
        {
            root = inner;
        }
        let SelectorExpr::Column(c) = root else {
            return Err(Error::invalid(format!("Invalid arguments for {kind_name}")));
        };
        let column = self.column(c)?;
        if self.table.columns[column].is_primary_key() {
            return Err(Error::invalid(format!("Cannot use selection function {kind_name} on PRIMARY KEY part {c}")));
        }
        let p = self.prepare(arg, None)?;
        let multi_cell = self.table.columns[column].typ.is_multi_cell();
        // The selector applied to the column itself.
        let mut first = &p.expr;
        while let Expr::Field(inner, _) | Expr::Element(inner, _, _) | Expr::Slice(inner, _, _, _) = first {
            if matches!(inner.as_ref(), Expr::Column(_)) {
                break;
            }
            first = inner;
        }
        let pick = match first {
            Expr::Element(_, typ, slot) if multi_cell => CellPick::Key(*slot, key_type(typ)),
            Expr::Slice(_, typ, from, to) if multi_cell => CellPick::Range(*from, *to, key_type(typ)),
            Expr::Field(_, pos) if multi_cell => CellPick::Path(Bytes::copy_from_slice(&(*pos as u16).to_be_bytes())),
            _ => CellPick::Cell,
        };
        let simple = if kind == Meta::Ttl { CqlType::INT } else { CqlType::BIGINT };
        let list = matches!(pick, CellPick::Range(..)) && std::ptr::eq(first, &p.expr) && kind != Meta::MaxWriteTime;
        Ok(Prepared {
            typ: if list { CqlType::list(simple) } else { simple },
            name: format!("{kind_name}({})", p.name),
            expr: Expr::MetaOf { kind, column, pick, value: Box::new(p.expr) },
            aggregate: false,
        })
    }

    fn call(&mut self, name: &ast::QualifiedName, args: &[SelectorExpr]) -> Result<Prepared, Error> {
        if name.keyspace.is_none() {
            let meta = match name.name.as_str() {
                "writetime" => Some(Meta::WriteTime),
                "maxwritetime" => Some(Meta::MaxWriteTime),
                "ttl" => Some(Meta::Ttl),
                _ => None,
            };
            if let Some(m) = meta {
                return self.meta(m, args);
            }
        }
        let is_native = matches!(name.keyspace.as_deref(), None | Some("system"));
        // COUNT(x) for a constant x counts rows.
        if is_native && name.name == "count" {
            if let [SelectorExpr::Term(Term::Literal(_))] = args {
                return self.count_rows();
            }
        }
        // Arguments that are not plain terms are prepared first: their types drive resolution.
        let mut prepared: Vec<Option<Prepared>> = Vec::with_capacity(args.len());
        for a in args {
            prepared.push(match a {
                SelectorExpr::Term(t) if !matches!(t, Term::TypeHint(..)) => None,
                other => Some(self.prepare(other, None)?),
            });
        }
        let fargs: Vec<Arg<'_>> = args
            .iter()
            .zip(&prepared)
            .map(|(a, p)| match (a, p) {
                (_, Some(p)) => Arg { kind: ArgKind::Typed(p.typ.clone()), text: p.name.clone() },
                (SelectorExpr::Term(t), None) => Arg {
                    kind: match t {
                        Term::Literal(l) => ArgKind::Literal(l),
                        Term::Null => ArgKind::Null,
                        Term::BindMarker(_) => ArgKind::Marker,
                        other => ArgKind::Composite(other),
                    },
                    text: functions::term_text(t),
                },
                _ => Arg { kind: ArgKind::Marker, text: String::new() },
            })
            .collect();
        let pk_types: Vec<CqlType> = self.table.partition_key().iter().map(|c| c.typ.clone()).collect();
        let fun = functions::resolve(name, &fargs, None, &pk_types, Site::Selection)?
            .ok_or_else(|| Error::invalid(format!("Unknown function '{}'", functions::display_name(name))))?;
        let mut exprs = Vec::with_capacity(args.len());
        let mut names = Vec::with_capacity(args.len());
        let mut inner_aggregate = false;
        let mut all_aggregates = true;
        for (i, (a, p)) in args.iter().zip(prepared).enumerate() {
            let p = match (a, p) {
                (_, Some(p)) => p,
                (SelectorExpr::Term(t), None) => self.term(t, fun.args.get(i))?,
                (other, None) => self.prepare(other, fun.args.get(i))?,
            };
            inner_aggregate |= p.aggregate;
            all_aggregates &= p.aggregate;
            exprs.push(p.expr);
            names.push(p.name);
        }
        let col_name = fun.column_name(&names);
        let typ = fun.ret.clone();
        if fun.is_aggregate() {
            if inner_aggregate {
                return Err(Error::invalid("aggregate functions cannot be used as arguments of aggregate functions"));
            }
            self.aggs.push((fun, exprs));
            return Ok(Prepared { expr: Expr::Agg(self.aggs.len() - 1), typ, name: col_name, aggregate: true });
        }
        if inner_aggregate && !all_aggregates {
            return Err(Error::invalid(format!(
                "the {} function arguments must be either all aggregates or all none aggregates",
                fun.qualified_name()
            )));
        }
        Ok(Prepared { expr: Expr::Call(Box::new(fun), exprs), typ, name: col_name, aggregate: inner_aggregate })
    }
}

/// `castAs` + the capitalised type name.
fn cast_function_name(t: cql_types::NativeType) -> String {
    let n = t.name();
    let mut s = String::from("castAs");
    let mut chars = n.chars();
    if let Some(c) = chars.next() {
        s.push(c.to_ascii_uppercase());
        s.extend(chars);
    }
    s
}

/// The key and value types of a selected set or map element (`what`: "Element" or "Slice").
fn element_types(p: &Prepared, what: &str) -> Result<(CqlType, CqlType), Error> {
    match &p.typ {
        CqlType::Map { key, value, .. } => Ok((key.as_ref().clone(), value.as_ref().clone())),
        CqlType::Set { element, .. } => Ok((element.as_ref().clone(), element.as_ref().clone())),
        CqlType::List { .. } => {
            Err(Error::invalid(format!("{what} selection is only allowed on sets and maps, but {} is a list", p.name)))
        }
        other => Err(Error::invalid(format!(
            "{what} selection is only allowed on sets and maps, but {} is a {other}",
            p.name
        ))),
    }
}

impl Selection {
    /// Prepares the selection of `stmt`; bind markers in it are recorded in `vars` when given.
    pub fn prepare(stmt: &ast::Select, table: &Table, vars: Option<&mut VariableSpecs>) -> Result<Selection, Error> {
        let mut b = Builder { table, columns: Vec::new(), aggs: Vec::new(), consts: Vec::new(), vars };
        let mut exprs = Vec::new();
        let mut names = Vec::new();
        let mut types = Vec::new();
        let mut aggregate = false;
        let wildcard = stmt.selectors.is_empty();
        if wildcard {
            // SELECT * lists keys, then static and regular columns each by name (Cassandra's
            // `allColumnsInSelectOrder`), unlike the declaration order DESCRIBE uses.
            for i in table.select_order() {
                let c = &table.columns[i];
                b.columns.push(i);
                exprs.push(Expr::Column(i));
                names.push(c.name.clone());
                types.push(c.typ.clone());
            }
        } else {
            for sel in &stmt.selectors {
                let p = b.prepare(&sel.expr, None)?;
                aggregate |= p.aggregate;
                exprs.push(p.expr);
                names.push(sel.alias.clone().unwrap_or(p.name));
                types.push(p.typ);
            }
        }
        let specs = if stmt.json {
            vec![spec(table, "[json]".into(), CqlType::TEXT)]
        } else {
            names.iter().zip(&types).map(|(n, t)| spec(table, n.clone(), t.clone())).collect()
        };
        Ok(Selection {
            exprs,
            names,
            types,
            specs,
            json: stmt.json,
            aggregate,
            wildcard,
            aggs: b.aggs,
            consts: b.consts,
            columns: b.columns,
            now_seconds: 0,
        })
    }

    /// True if the selection reads only partition key and static columns, and at least one static.
    pub fn only_static_columns(&self, table: &Table) -> bool {
        if self.wildcard || !table.has_static_columns() {
            return false;
        }
        let kinds: Vec<ColumnKind> = self.columns.iter().map(|i| table.columns[*i].kind).collect();
        kinds.contains(&ColumnKind::Static)
            && kinds.iter().all(|k| matches!(k, ColumnKind::Static | ColumnKind::PartitionKey))
    }

    /// Binds the constants of the selection.
    pub fn bind(&self, values: &Values<'_>) -> Result<Vec<Option<Bytes>>, Error> {
        self.consts
            .iter()
            .map(|(t, typ)| match eval(t, typ, SELECTION_MARKER, values)? {
                Bound::Value(b) => Ok(Some(b)),
                Bound::Null => Ok(None),
                Bound::Unset => Err(Error::invalid("Invalid unset value for [selection]")),
            })
            .collect()
    }

    /// The value of a non-aggregate expression for a row (`aggs` holds computed aggregates, if any).
    fn eval(
        &self,
        e: &Expr,
        row: Option<&CqlRow>,
        consts: &[Option<Bytes>],
        aggs: &[Option<Bytes>],
    ) -> Result<Option<Bytes>, Error> {
        Ok(match e {
            Expr::Column(i) => row.and_then(|r| r.values.get(*i).cloned().flatten()),
            Expr::Meta(kind, i)
                if row.map(|r| r.element_meta.get(*i).map(|e| !e.is_empty()).unwrap_or(false)).unwrap_or(false) =>
            {
                let elements = row.map(|r| r.element_meta[*i].as_slice()).unwrap_or_default();
                let now = self.now_seconds;
                match kind {
                    Meta::MaxWriteTime => {
                        elements.iter().map(|(_, ts, _)| *ts).max().map(|ts| Bytes::copy_from_slice(&ts.to_be_bytes()))
                    }
                    Meta::WriteTime => {
                        Some(serialize_list(elements.iter().map(|(_, ts, _)| Some(ts.to_be_bytes().to_vec()))))
                    }
                    Meta::Ttl => Some(serialize_list(
                        elements.iter().map(|(_, _, exp)| (*exp > 0).then(|| (exp - now).to_be_bytes().to_vec())),
                    )),
                }
            }
            Expr::Meta(kind, i) => {
                let meta = row.and_then(|r| r.cell_meta.get(*i).cloned().flatten());
                match kind {
                    Meta::WriteTime | Meta::MaxWriteTime => {
                        meta.map(|(ts, _)| Bytes::copy_from_slice(&ts.to_be_bytes()))
                    }
                    Meta::Ttl => meta
                        .filter(|(_, expires)| *expires > 0)
                        .map(|(_, expires)| Bytes::copy_from_slice(&(expires - self.now_seconds).to_be_bytes())),
                }
            }
            Expr::MetaOf { kind, column, pick, value } => {
                let Some(row) = row else { return Ok(None) };
                let selected = self.eval(value, Some(row), consts, aggs)?;
                let is_slice = matches!(value.as_ref(), Expr::Slice(..));
                if selected.as_ref().is_none_or(|v| is_slice && v.get(..4).is_none_or(|n| n == [0, 0, 0, 0])) {
                    return Ok(None);
                }
                let elements = row.element_meta.get(*column).map(Vec::as_slice).unwrap_or_default();
                let key = |slot: &Option<usize>| slot.and_then(|i| consts.get(i).cloned().flatten());
                let picked: Vec<(i64, i32)> = match pick {
                    CellPick::Cell => row.cell_meta.get(*column).cloned().flatten().into_iter().collect(),
                    CellPick::Key(slot, kt) => match key(&Some(*slot)) {
                        Some(k) => elements
                            .iter()
                            .filter(|(p, _, _)| CqlValue::compare(kt, p, &k).is_eq())
                            .map(|(_, ts, exp)| (*ts, *exp))
                            .collect(),
                        None => Vec::new(),
                    },
                    CellPick::Path(path) => {
                        elements.iter().filter(|(p, _, _)| p == path).map(|(_, ts, exp)| (*ts, *exp)).collect()
                    }
                    CellPick::Range(from, to, kt) => {
                        let (from, to) = (key(from), key(to));
                        elements
                            .iter()
                            .filter(|(p, _, _)| from.as_ref().is_none_or(|f| CqlValue::compare(kt, p, f).is_ge()))
                            .filter(|(p, _, _)| to.as_ref().is_none_or(|t| CqlValue::compare(kt, p, t).is_le()))
                            .map(|(_, ts, exp)| (*ts, *exp))
                            .collect()
                    }
                };
                if picked.is_empty() {
                    return Ok(None);
                }
                let now = self.now_seconds;
                let ttl = |exp: i32| (exp > 0).then(|| (exp - now).to_be_bytes().to_vec());
                let as_list = matches!(pick, CellPick::Range(..))
                    && matches!(value.as_ref(), Expr::Slice(inner, ..) if matches!(inner.as_ref(), Expr::Column(_)));
                match kind {
                    Meta::MaxWriteTime => {
                        picked.iter().map(|(ts, _)| *ts).max().map(|ts| Bytes::copy_from_slice(&ts.to_be_bytes()))
                    }
                    Meta::WriteTime if as_list => {
                        Some(serialize_list(picked.iter().map(|(ts, _)| Some(ts.to_be_bytes().to_vec()))))
                    }
                    Meta::Ttl if as_list => Some(serialize_list(picked.iter().map(|(_, exp)| ttl(*exp)))),
                    Meta::WriteTime => Some(Bytes::copy_from_slice(&picked[0].0.to_be_bytes())),
                    Meta::Ttl => ttl(picked[0].1).map(Bytes::from),
                }
            }
            Expr::Const(i) => consts.get(*i).cloned().flatten(),
            Expr::Agg(i) => aggs.get(*i).cloned().flatten(),
            Expr::Call(f, args) => {
                let vals = args.iter().map(|a| self.eval(a, row, consts, aggs)).collect::<Result<Vec<_>, _>>()?;
                f.execute(&vals)?
            }
            Expr::Field(inner, pos) => {
                let Some(v) = self.eval(inner, row, consts, aggs)? else { return Ok(None) };
                udt_field(&v, *pos)
            }
            Expr::Element(inner, typ, key) => {
                let Some(v) = self.eval(inner, row, consts, aggs)? else { return Ok(None) };
                let Some(k) = consts.get(*key).cloned().flatten() else { return Ok(None) };
                element(typ, &v, &k)
            }
            Expr::Slice(inner, typ, from, to) => {
                let Some(v) = self.eval(inner, row, consts, aggs)? else { return Ok(None) };
                let from = from.and_then(|i| consts.get(i).cloned().flatten());
                let to = to.and_then(|i| consts.get(i).cloned().flatten());
                slice(typ, &v, from.as_deref(), to.as_deref())
            }
        })
    }

    /// The output row for one input row (non-aggregate selections).
    pub fn project(&self, row: &CqlRow, consts: &[Option<Bytes>]) -> Result<Vec<Option<Bytes>>, Error> {
        let values = self.exprs.iter().map(|e| self.eval(e, Some(row), consts, &[])).collect::<Result<Vec<_>, _>>()?;
        Ok(self.finish_row(values))
    }

    /// A new aggregation group.
    pub fn new_group(&self) -> Group {
        Group { aggs: self.aggs.iter().map(|(f, _)| Aggregator::new(f)).collect(), first: None }
    }

    /// Adds a row to a group.
    pub fn accumulate(&self, g: &mut Group, row: &CqlRow, consts: &[Option<Bytes>]) -> Result<(), Error> {
        for ((_, args), agg) in self.aggs.iter().zip(g.aggs.iter_mut()) {
            let vals = args.iter().map(|a| self.eval(a, Some(row), consts, &[])).collect::<Result<Vec<_>, _>>()?;
            agg.add(&vals);
        }
        if g.first.is_none() {
            g.first = Some(row.clone());
        }
        Ok(())
    }

    /// The output row of a group: aggregates computed, other selectors from its first row.
    pub fn finish_group(&self, g: &Group, consts: &[Option<Bytes>]) -> Result<Vec<Option<Bytes>>, Error> {
        let aggs = g.aggs.iter().map(|a| a.compute()).collect::<Result<Vec<_>, _>>()?;
        let values =
            self.exprs.iter().map(|e| self.eval(e, g.first.as_ref(), consts, &aggs)).collect::<Result<Vec<_>, _>>()?;
        Ok(self.finish_row(values))
    }

    fn finish_row(&self, values: Vec<Option<Bytes>>) -> Vec<Option<Bytes>> {
        if !self.json {
            return values;
        }
        let mut s = String::from("{");
        for (i, ((name, typ), v)) in self.names.iter().zip(&self.types).zip(&values).enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            s.push_str(&crate::json::json_key(name));
            s.push_str(": ");
            match v {
                None => s.push_str("null"),
                // Cassandra writes an empty value of any type as "" (Selection.rowToJson).
                Some(b) if b.is_empty() => s.push_str("\"\""),
                Some(b) => s.push_str(&crate::json::to_json(typ, b)),
            }
        }
        s.push('}');
        vec![Some(Bytes::from(s.into_bytes()))]
    }
}

/// A serialized list whose elements may be null.
fn serialize_list(items: impl Iterator<Item = Option<Vec<u8>>>) -> Bytes {
    let items: Vec<Option<Vec<u8>>> = items.collect();
    let mut out = Vec::new();
    out.extend_from_slice(&(items.len() as i32).to_be_bytes());
    for i in items {
        match i {
            Some(b) => {
                out.extend_from_slice(&(b.len() as i32).to_be_bytes());
                out.extend_from_slice(&b);
            }
            None => out.extend_from_slice(&(-1i32).to_be_bytes()),
        }
    }
    Bytes::from(out)
}

/// Rows aggregated together.
pub struct Group {
    aggs: Vec<Aggregator>,
    first: Option<CqlRow>,
}

fn components(bytes: &[u8]) -> Vec<Option<&[u8]>> {
    let mut out = Vec::new();
    let mut cur = bytes;
    while cur.len() >= 4 {
        let len = i32::from_be_bytes([cur[0], cur[1], cur[2], cur[3]]);
        cur = &cur[4..];
        if len < 0 {
            out.push(None);
            continue;
        }
        let len = len as usize;
        if cur.len() < len {
            break;
        }
        out.push(Some(&cur[..len]));
        cur = &cur[len..];
    }
    out
}

fn udt_field(v: &[u8], pos: usize) -> Option<Bytes> {
    components(v).get(pos).copied().flatten().map(Bytes::copy_from_slice)
}

fn collection_entries(typ: &CqlType, v: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    match CqlValue::deserialize(typ, v) {
        Ok(CqlValue::Map(entries)) => entries.into_iter().map(|(k, v)| (k.to_bytes(), v.to_bytes())).collect(),
        Ok(CqlValue::Set(items)) => items.into_iter().map(|k| (k.to_bytes(), k.to_bytes())).collect(),
        _ => Vec::new(),
    }
}

fn key_type(typ: &CqlType) -> CqlType {
    match typ {
        CqlType::Map { key, .. } => key.as_ref().clone(),
        CqlType::Set { element, .. } => element.as_ref().clone(),
        other => other.clone(),
    }
}

fn element(typ: &CqlType, v: &[u8], key: &[u8]) -> Option<Bytes> {
    let kt = key_type(typ);
    collection_entries(typ, v)
        .into_iter()
        .find(|(k, _)| CqlValue::compare(&kt, k, key).is_eq())
        .map(|(_, v)| Bytes::from(v))
}

fn slice(typ: &CqlType, v: &[u8], from: Option<&[u8]>, to: Option<&[u8]>) -> Option<Bytes> {
    let kt = key_type(typ);
    let kept: Vec<(Vec<u8>, Vec<u8>)> = collection_entries(typ, v)
        .into_iter()
        .filter(|(k, _)| from.is_none_or(|f| CqlValue::compare(&kt, k, f).is_ge()))
        .filter(|(k, _)| to.is_none_or(|t| CqlValue::compare(&kt, k, t).is_le()))
        .collect();
    // A slice of a non-frozen collection selects cells: none selected reads as null, as the whole column
    // does. A frozen collection is one value, and its slice is an (empty) collection.
    if kept.is_empty() && typ.is_multi_cell() {
        return None;
    }
    let mut out = Vec::new();
    out.extend_from_slice(&(kept.len() as i32).to_be_bytes());
    let is_map = matches!(typ, CqlType::Map { .. });
    for (k, val) in kept {
        out.extend_from_slice(&(k.len() as i32).to_be_bytes());
        out.extend_from_slice(&k);
        if is_map {
            out.extend_from_slice(&(val.len() as i32).to_be_bytes());
            out.extend_from_slice(&val);
        }
    }
    Some(Bytes::from(out))
}
