//! Cassandra 5.0's native functions: their overloads, Cassandra's overload resolution
//! (`FunctionResolver`: exact matches first, then a single weakly-assignable one), result column
//! names (`Function.columnName`) and execution, for selectors and for terms (`WHERE`, `VALUES`, `SET`).
//!
//! Native functions live in the `system` keyspace and print as `system.<name>`. Since 5.0 most have a
//! snake_case name and keep their old name as an alias (`to_date`/`todate`, `int_as_blob`/`intasblob`,
//! ...); each alias is its own function and prints under the name it was called by.

pub mod aggregate;
pub mod num;

use bytes::Bytes;
use cql_parser::ast::{Literal, QualifiedName, Term, TypeExpr};
use cql_types::{CqlType, CqlValue, LiteralKind, NativeType};

use crate::bind::{Bound, Values};
use crate::Error;
use num::{Num, Op};

/// What a function computes.
#[derive(Debug, Clone, PartialEq)]
pub enum Impl {
    Now,
    CurrentTimestamp,
    CurrentDate,
    CurrentTime,
    Uuid,
    MinTimeuuid,
    MaxTimeuuid,
    /// `to_date`, from the argument type.
    ToDate,
    ToTimestamp,
    ToUnixTimestamp,
    ToBlob,
    FromBlob,
    Cast,
    Arith(Op),
    Negate,
    TemporalArith(Op),
    Token,
    ToJson,
    FromJson,
    Abs,
    Exp,
    Log,
    Log10,
    Round,
    MapKeys,
    MapValues,
    CollectionCount,
    CollectionMin,
    CollectionMax,
    CollectionSum,
    CollectionAvg,
    /// `similarity_cosine` & co. (Lucene's vector similarity functions).
    Similarity(Similarity),
    /// `floor(time, duration[, start])` on timestamps, timeuuids, dates and times (`TimeFcts`).
    Floor,
    MaskNull,
    /// `mask_default`: the type's fixed masked value (`AbstractType.getMaskedValue`).
    MaskDefault,
    /// `mask_hash`: a digest of the serialized value, SHA-256 unless an algorithm is given.
    MaskHash,
    MaskReplace,
    /// `mask_inner` (true) / `mask_outer` (false).
    MaskPartial(bool),
    // aggregates
    CountRows,
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

/// One overload of a native function.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// The name as registered (`blobasint`, `blob_as_int`, `castAsInt`, `_add`, ...).
    pub name: String,
    pub args: Vec<CqlType>,
    pub ret: CqlType,
    pub imp: Impl,
}

fn native(n: NativeType) -> CqlType {
    CqlType::Native(n)
}

/// Every native type, as `CQL3Type.Native` lists them (`varchar` apart from `text`).
const NATIVE_NAMES: &[(&str, NativeType)] = &[
    ("ascii", NativeType::Ascii),
    ("bigint", NativeType::Bigint),
    ("blob", NativeType::Blob),
    ("boolean", NativeType::Boolean),
    ("counter", NativeType::Counter),
    ("decimal", NativeType::Decimal),
    ("double", NativeType::Double),
    ("duration", NativeType::Duration),
    ("float", NativeType::Float),
    ("inet", NativeType::Inet),
    ("int", NativeType::Int),
    ("smallint", NativeType::Smallint),
    ("text", NativeType::Text),
    ("timestamp", NativeType::Timestamp),
    ("tinyint", NativeType::Tinyint),
    ("uuid", NativeType::Uuid),
    ("varchar", NativeType::Text),
    ("varint", NativeType::Varint),
    ("timeuuid", NativeType::Timeuuid),
    ("date", NativeType::Date),
    ("time", NativeType::Time),
];

const NUMERIC: &[NativeType] = &[
    NativeType::Tinyint,
    NativeType::Smallint,
    NativeType::Int,
    NativeType::Bigint,
    NativeType::Float,
    NativeType::Double,
    NativeType::Decimal,
    NativeType::Varint,
    NativeType::Counter,
];

fn f(name: &str, args: Vec<CqlType>, ret: CqlType, imp: Impl) -> Function {
    Function { name: name.to_string(), args, ret, imp }
}

/// The target type of a cast function name (`castAsInt` -> int).
fn cast_target(name: &str) -> Option<NativeType> {
    let rest = name.strip_prefix("castAs")?;
    let lower = rest.to_ascii_lowercase();
    // WordUtils.capitalize of the lower-case type name.
    let mut expected = String::new();
    let mut chars = lower.chars();
    if let Some(c) = chars.next() {
        expected.push(c.to_ascii_uppercase());
        expected.extend(chars);
    }
    if expected != rest {
        return None;
    }
    match lower.as_str() {
        "tinyint" | "smallint" | "int" | "bigint" | "float" | "double" | "decimal" | "varint" | "ascii" | "text"
        | "date" | "timestamp" => NativeType::from_name(&lower),
        _ => None,
    }
}

/// The input types castable to `to`, per Cassandra's `CastFcts`.
fn cast_sources(to: NativeType) -> Vec<NativeType> {
    use NativeType as N;
    let mut out = Vec::new();
    match to {
        N::Tinyint | N::Smallint | N::Int | N::Bigint | N::Float | N::Double | N::Decimal | N::Varint => {
            out.extend(NUMERIC.iter().copied().filter(|t| *t != to));
        }
        N::Ascii | N::Text => {
            out.extend(NUMERIC.iter().copied());
            out.extend([N::Inet, N::Boolean, N::Timeuuid, N::Timestamp, N::Date, N::Time, N::Uuid]);
            if to == N::Text {
                out.push(N::Ascii);
            }
        }
        N::Date => out.extend([N::Timeuuid, N::Timestamp]),
        N::Timestamp => out.extend([N::Timeuuid, N::Date]),
        _ => {}
    }
    out
}

/// The registered overloads named `name` (a native function: keyspace absent or `system`).
fn candidates(name: &str) -> Vec<Function> {
    use NativeType as N;
    let mut out = Vec::new();
    let fixed = |n: &str, ret: NativeType, imp: Impl| vec![f(n, vec![], native(ret), imp)];
    match name {
        "now" | "current_timeuuid" | "currenttimeuuid" => return fixed(name, N::Timeuuid, Impl::Now),
        "current_timestamp" | "currenttimestamp" => return fixed(name, N::Timestamp, Impl::CurrentTimestamp),
        "current_date" | "currentdate" => return fixed(name, N::Date, Impl::CurrentDate),
        "current_time" | "currenttime" => return fixed(name, N::Time, Impl::CurrentTime),
        "uuid" => return fixed(name, N::Uuid, Impl::Uuid),
        "min_timeuuid" | "mintimeuuid" => {
            return vec![f(name, vec![native(N::Timestamp)], native(N::Timeuuid), Impl::MinTimeuuid)]
        }
        "max_timeuuid" | "maxtimeuuid" => {
            return vec![f(name, vec![native(N::Timestamp)], native(N::Timeuuid), Impl::MaxTimeuuid)]
        }
        "to_date" | "todate" => {
            for a in [N::Timeuuid, N::Timestamp] {
                out.push(f(name, vec![native(a)], native(N::Date), Impl::ToDate));
            }
            return out;
        }
        "to_timestamp" | "totimestamp" => {
            for a in [N::Timeuuid, N::Date] {
                out.push(f(name, vec![native(a)], native(N::Timestamp), Impl::ToTimestamp));
            }
            return out;
        }
        "to_unix_timestamp" | "tounixtimestamp" => {
            for a in [N::Timeuuid, N::Timestamp, N::Date] {
                out.push(f(name, vec![native(a)], native(N::Bigint), Impl::ToUnixTimestamp));
            }
            return out;
        }
        "countRows" => return vec![f(name, vec![], CqlType::BIGINT, Impl::CountRows)],
        "floor" => {
            let d = native(N::Duration);
            for (t, start, ret) in [
                (N::Timestamp, N::Timestamp, N::Timestamp),
                (N::Timeuuid, N::Timestamp, N::Timestamp),
                (N::Date, N::Date, N::Date),
            ] {
                out.push(f(name, vec![native(t), d.clone()], native(ret), Impl::Floor));
                out.push(f(name, vec![native(t), d.clone(), native(start)], native(ret), Impl::Floor));
            }
            out.push(f(name, vec![native(N::Time), d], native(N::Time), Impl::Floor));
            return out;
        }
        "sum" | "avg" => {
            let imp = if name == "sum" { Impl::Sum } else { Impl::Avg };
            for t in NUMERIC {
                out.push(f(name, vec![native(*t)], native(*t), imp.clone()));
            }
            return out;
        }
        "count" | "min" | "max" => {
            let imp = match name {
                "count" => Impl::Count,
                "min" => Impl::Min,
                _ => Impl::Max,
            };
            for (n, t) in NATIVE_NAMES {
                if *n == "varchar" {
                    continue;
                }
                let ret = if imp == Impl::Count { CqlType::BIGINT } else { native(*t) };
                out.push(f(name, vec![native(*t)], ret, imp.clone()));
            }
            return out;
        }
        "abs" | "exp" | "log" | "log10" | "round" => {
            let imp = match name {
                "abs" => Impl::Abs,
                "exp" => Impl::Exp,
                "log" => Impl::Log,
                "log10" => Impl::Log10,
                _ => Impl::Round,
            };
            for t in NUMERIC {
                out.push(f(name, vec![native(*t)], native(*t), imp.clone()));
            }
            return out;
        }
        "_negate" => {
            for t in NUMERIC {
                out.push(f(name, vec![native(*t)], native(*t), Impl::Negate));
            }
            return out;
        }
        _ => {}
    }
    if let Some(op) = Op::from_function_name(name) {
        for l in NUMERIC {
            for r in NUMERIC {
                out.push(f(name, vec![native(*l), native(*r)], native(num::result_type(*l, *r)), Impl::Arith(op)));
            }
        }
        if matches!(op, Op::Add | Op::Sub) {
            for t in [N::Timestamp, N::Date] {
                out.push(f(name, vec![native(t), native(N::Duration)], native(t), Impl::TemporalArith(op)));
            }
        }
        if op == Op::Add {
            // OperationFcts.addStringConcatenations.
            for (l, r, ret) in [
                (N::Text, N::Text, N::Text),
                (N::Ascii, N::Ascii, N::Ascii),
                (N::Ascii, N::Text, N::Text),
                (N::Text, N::Ascii, N::Text),
            ] {
                out.push(f(name, vec![native(l), native(r)], native(ret), Impl::Arith(op)));
            }
        }
        return out;
    }
    if let Some(to) = cast_target(name) {
        for from in cast_sources(to) {
            out.push(f(name, vec![native(from)], native(to), Impl::Cast));
        }
        return out;
    }
    for (tname, t) in NATIVE_NAMES {
        if *t == N::Blob {
            continue;
        }
        if name == format!("{tname}_as_blob") || name == format!("{tname}asblob") {
            return vec![f(name, vec![native(*t)], CqlType::BLOB, Impl::ToBlob)];
        }
        if name == format!("blob_as_{tname}") || name == format!("blobas{tname}") {
            return vec![f(name, vec![CqlType::BLOB], native(*t), Impl::FromBlob)];
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Similarity {
    Cosine,
    Euclidean,
    DotProduct,
}

/// Factories whose signature follows the type of their first argument (vector similarity and
/// masking functions).
fn typed_factory(name: &str, args: &[Arg<'_>]) -> Result<Option<Function>, Error> {
    let similarity = match name {
        "similarity_cosine" => Some(Similarity::Cosine),
        "similarity_euclidean" => Some(Similarity::Euclidean),
        "similarity_dot_product" => Some(Similarity::DotProduct),
        _ => None,
    };
    let is_mask =
        matches!(name, "mask_null" | "mask_default" | "mask_hash" | "mask_replace" | "mask_inner" | "mask_outer");
    if similarity.is_none() && !is_mask {
        return Ok(None);
    }
    // The first argument of a known type gives the others theirs (`FunctionParameter.sameAsFirst`).
    let first = args.iter().find_map(Arg::exact_type);
    if let Some(sim) = similarity {
        if args.len() != 2 {
            return Err(Error::invalid(format!("{name}() requires two arguments, but {} given", args.len())));
        }
        let Some(t) = first else {
            return Err(Error::invalid(format!(
                "Cannot infer type of argument {} in call to function system.{name}",
                args[0].text
            )));
        };
        let float_vector =
            |t: &CqlType| matches!(t, CqlType::Vector { element, .. } if **element == native(NativeType::Float));
        let types: Vec<CqlType> = args.iter().map(|a| a.exact_type().unwrap_or_else(|| t.clone())).collect();
        if !types.iter().all(float_vector) {
            return Err(Error::invalid(format!("Only float vectors are supported by {name}")));
        }
        if types.iter().any(|x| *x != types[0]) {
            return Err(Error::invalid("All arguments must have the same vector dimensions"));
        }
        return Ok(Some(f(name, vec![t.clone(), t], native(NativeType::Float), Impl::Similarity(sim))));
    }
    let Some(t) = first else {
        return Err(Error::invalid(format!(
            "Cannot infer type of argument {} in call to function system.{name}",
            args.first().map(|a| a.text.clone()).unwrap_or_default()
        )));
    };
    Ok(Some(match name {
        "mask_null" => f(name, vec![t.clone()], t, Impl::MaskNull),
        "mask_default" => f(name, vec![t.clone()], t, Impl::MaskDefault),
        "mask_hash" => {
            let mut params = vec![t];
            if args.len() == 2 {
                params.push(CqlType::TEXT);
            }
            f(name, params, CqlType::BLOB, Impl::MaskHash)
        }
        "mask_replace" => f(name, vec![t.clone(), t.clone()], t, Impl::MaskReplace),
        _ => {
            if !matches!(t, CqlType::Native(NativeType::Text | NativeType::Ascii)) {
                return Err(Error::invalid(format!(
                    "Function system.{name} requires an argument of type string, but found argument {} of type {t}",
                    args[0].text
                )));
            }
            let mut params = vec![t.clone(), CqlType::INT, CqlType::INT];
            if args.len() == 4 {
                params.push(CqlType::TEXT);
            }
            f(name, params, t, Impl::MaskPartial(name == "mask_inner"))
        }
    }))
}

/// Function factories: overloads made for the argument types given (collection functions).
fn factory(name: &str, args: &[Arg<'_>]) -> Result<Option<Function>, Error> {
    if let Some(f) = typed_factory(name, args)? {
        return Ok(Some(f));
    }
    let imp = match name {
        "map_keys" => Impl::MapKeys,
        "map_values" => Impl::MapValues,
        "collection_count" => Impl::CollectionCount,
        "collection_min" => Impl::CollectionMin,
        "collection_max" => Impl::CollectionMax,
        "collection_sum" => Impl::CollectionSum,
        "collection_avg" => Impl::CollectionAvg,
        _ => return Ok(None),
    };
    if args.len() != 1 {
        return Err(Error::invalid(format!(
            "Invalid number of arguments for function system.{name}({}). Expected 1 but found {}",
            // The parameters' `toString` (CollectionFcts/FunctionParameter).
            match imp {
                Impl::MapKeys | Impl::MapValues => "map",
                Impl::CollectionCount => "collection",
                _ => "numeric_set_or_list",
            },
            args.len()
        )));
    }
    let Some(t) = args[0].exact_type() else {
        return Err(Error::invalid(format!(
            "Cannot infer type of argument {} in call to function system.{name}",
            args[0].text
        )));
    };
    let unfrozen = unfreeze(&t);
    let bad = || {
        Error::invalid(format!(
            "Function system.{name} requires {} argument, but found argument {} of type {t}",
            // FunctionParameter.validateType's messages.
            match imp {
                Impl::MapKeys | Impl::MapValues => "a map",
                Impl::CollectionSum | Impl::CollectionAvg => "a numeric set/list",
                Impl::CollectionCount => "a collection",
                _ => "a set or list",
            },
            args[0].text
        ))
    };
    let ret = match (&imp, &unfrozen) {
        (Impl::MapKeys, CqlType::Map { key, .. }) => CqlType::set(key.as_ref().clone()),
        (Impl::MapValues, CqlType::Map { value, .. }) => CqlType::list(value.as_ref().clone()),
        (Impl::CollectionCount, CqlType::Map { .. } | CqlType::List { .. } | CqlType::Set { .. }) => CqlType::INT,
        (Impl::CollectionMin | Impl::CollectionMax, CqlType::List { element, .. } | CqlType::Set { element, .. }) => {
            element.as_ref().clone()
        }
        (Impl::CollectionSum | Impl::CollectionAvg, CqlType::List { element, .. } | CqlType::Set { element, .. }) => {
            match element.as_ref() {
                CqlType::Native(n) if num::is_numeric(*n) => element.as_ref().clone(),
                _ => return Err(bad()),
            }
        }
        _ => return Err(bad()),
    };
    Ok(Some(f(name, vec![t], ret, imp)))
}

fn unfreeze(t: &CqlType) -> CqlType {
    match t {
        CqlType::List { element, .. } => CqlType::List { element: element.clone(), frozen: false },
        CqlType::Set { element, .. } => CqlType::Set { element: element.clone(), frozen: false },
        CqlType::Map { key, value, .. } => CqlType::Map { key: key.clone(), value: value.clone(), frozen: false },
        CqlType::Udt { keyspace, name, fields, .. } => {
            CqlType::Udt { keyspace: keyspace.clone(), name: name.clone(), fields: fields.clone(), frozen: false }
        }
        other => other.clone(),
    }
}

/// `receiver.isValueCompatibleWith(provided)`: values of `provided` can be read as `receiver`.
pub fn value_compatible(receiver: &CqlType, provided: &CqlType) -> bool {
    use NativeType as N;
    let (r, p) = (unfreeze(receiver), unfreeze(provided));
    if r == p {
        return true;
    }
    match (&r, &p) {
        (CqlType::Native(N::Blob), _) => true,
        (CqlType::Native(N::Text), CqlType::Native(N::Ascii)) => true,
        (CqlType::Native(N::Varint), CqlType::Native(N::Int | N::Bigint | N::Timestamp)) => true,
        (CqlType::Native(N::Bigint), CqlType::Native(N::Timestamp)) => true,
        (CqlType::Native(N::Timestamp), CqlType::Native(N::Bigint)) => true,
        (CqlType::Native(N::Uuid), CqlType::Native(N::Timeuuid)) => true,
        (CqlType::List { element: a, .. }, CqlType::List { element: b, .. })
        | (CqlType::Set { element: a, .. }, CqlType::Set { element: b, .. }) => value_compatible(a, b),
        (CqlType::Map { key: ka, value: va, .. }, CqlType::Map { key: kb, value: vb, .. }) => {
            unfreeze(ka) == unfreeze(kb) && value_compatible(va, vb)
        }
        _ => false,
    }
}

/// How well an argument fits a parameter type (Cassandra's `AssignmentTestable.TestResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fit {
    No,
    Weak,
    Exact,
}

/// An argument of a function call as the resolver sees it.
#[derive(Debug, Clone)]
pub enum ArgKind<'a> {
    /// A selector, a typed term (type hint) or a function result: its type is known.
    Typed(CqlType),
    Literal(&'a Literal),
    Marker,
    Null,
    /// A collection, tuple or UDT literal.
    Composite(&'a Term),
    /// A function call in a term: resolved against each candidate parameter type.
    Call(&'a QualifiedName, &'a [Term]),
}

#[derive(Debug, Clone)]
pub struct Arg<'a> {
    pub kind: ArgKind<'a>,
    /// The argument as Cassandra prints it in messages and column names.
    pub text: String,
}

impl Arg<'_> {
    pub fn exact_type(&self) -> Option<CqlType> {
        match &self.kind {
            ArgKind::Typed(t) => Some(t.clone()),
            ArgKind::Call(name, args) => resolve_term_call(name, args, None).ok().flatten().map(|f| f.ret),
            _ => None,
        }
    }
}

/// Resolves a function call appearing in a term, for a receiver of type `receiver` if known.
fn resolve_term_call(
    name: &QualifiedName,
    args: &[Term],
    receiver: Option<&CqlType>,
) -> Result<Option<Function>, Error> {
    let fargs: Vec<Arg<'_>> = args.iter().map(term_arg).collect();
    resolve(name, &fargs, receiver, &[], Site::Term)
}

/// The type Cassandra prefers for a literal (`Constants.Type.getPreferedTypeFor`).
pub fn preferred_type(lit: &Literal) -> CqlType {
    use NativeType as N;
    native(match lit.kind {
        LiteralKind::String => N::Text,
        LiteralKind::Integer => {
            if lit.text.parse::<i32>().is_ok() {
                N::Int
            } else if lit.text.parse::<i64>().is_ok() {
                N::Bigint
            } else {
                N::Varint
            }
        }
        LiteralKind::Float => {
            let t = lit.text.as_str();
            if matches!(t, "NaN" | "-NaN" | "Infinity" | "-Infinity") {
                N::Double
            } else {
                match num::parse_decimal(t) {
                    Some(d) => match num::decimal_of_double(num::Num::Dec(d.clone()).to_f64()) {
                        Some(back) if back.as_bigint_and_exponent() == d.as_bigint_and_exponent() => N::Double,
                        _ => N::Decimal,
                    },
                    None => N::Double,
                }
            }
        }
        LiteralKind::Boolean => N::Boolean,
        LiteralKind::Uuid => N::Uuid,
        LiteralKind::Blob => N::Blob,
        LiteralKind::Duration => N::Duration,
    })
}

fn fold(fits: impl IntoIterator<Item = Fit>) -> Fit {
    fits.into_iter().fold(Fit::Exact, |a, b| a.min(b))
}

fn term_fit(term: &Term, receiver: &CqlType) -> Fit {
    match term {
        Term::Literal(l) => literal_fit(l, receiver),
        Term::Null => {
            if receiver.is_counter() {
                Fit::No
            } else {
                Fit::Weak
            }
        }
        Term::BindMarker(_) => Fit::Weak,
        Term::TypeHint(t, _) => match resolve_type_expr(t) {
            Some(t) => typed_fit(&t, receiver),
            None => Fit::Weak,
        },
        Term::List(items) => match unfreeze(receiver) {
            CqlType::List { element, .. } | CqlType::Vector { element, .. } => {
                if items.is_empty() {
                    Fit::Weak
                } else {
                    fold(items.iter().map(|i| term_fit(i, &element)))
                }
            }
            _ => Fit::No,
        },
        Term::Set(items) => match unfreeze(receiver) {
            CqlType::Set { element, .. } => fold(items.iter().map(|i| term_fit(i, &element))),
            CqlType::Map { .. } if items.is_empty() => Fit::Weak,
            _ => Fit::No,
        },
        Term::Map(entries) => match unfreeze(receiver) {
            CqlType::Map { key, value, .. } => {
                if entries.is_empty() {
                    Fit::Weak
                } else {
                    fold(entries.iter().flat_map(|(k, v)| [term_fit(k, &key), term_fit(v, &value)]))
                }
            }
            CqlType::Set { .. } if entries.is_empty() => Fit::Weak,
            _ => Fit::No,
        },
        Term::Tuple(items) => match receiver {
            CqlType::Tuple(types) if items.len() <= types.len() => {
                fold(items.iter().zip(types).map(|(i, t)| term_fit(i, t)))
            }
            // A term between parentheses (Tuples.Literal.testAssignment).
            CqlType::Tuple(_) => Fit::No,
            _ if items.len() == 1 => term_fit(&items[0], receiver),
            _ => Fit::No,
        },
        Term::Udt(fields) => match receiver {
            CqlType::Udt { fields: defs, .. } => {
                if fields.iter().all(|(n, _)| defs.iter().any(|(d, _)| d == n)) {
                    Fit::Weak
                } else {
                    Fit::No
                }
            }
            _ => Fit::No,
        },
        Term::FunctionCall { .. } | Term::Negate(_) => Fit::Weak,
    }
}

fn literal_fit(lit: &Literal, receiver: &CqlType) -> Fit {
    match receiver {
        CqlType::Native(_) => {
            if *receiver == preferred_type(lit) {
                Fit::Exact
            } else if cql_types::literal::is_assignable(receiver, lit.kind) {
                Fit::Weak
            } else {
                Fit::No
            }
        }
        CqlType::Custom(_) => Fit::Weak,
        _ => Fit::No,
    }
}

fn typed_fit(provided: &CqlType, receiver: &CqlType) -> Fit {
    if unfreeze(provided) == unfreeze(receiver) {
        Fit::Exact
    } else if value_compatible(receiver, provided) {
        Fit::Weak
    } else {
        Fit::No
    }
}

impl Arg<'_> {
    pub fn fit(&self, receiver: &CqlType) -> Fit {
        match &self.kind {
            ArgKind::Typed(t) => typed_fit(t, receiver),
            ArgKind::Literal(l) => literal_fit(l, receiver),
            ArgKind::Marker => Fit::Weak,
            ArgKind::Null => {
                if receiver.is_counter() {
                    Fit::No
                } else {
                    Fit::Weak
                }
            }
            ArgKind::Composite(t) => term_fit(t, receiver),
            // FunctionCall.Raw.testAssignment
            ArgKind::Call(name, args) => match resolve_term_call(name, args, Some(receiver)) {
                Ok(Some(f)) if f.ret == *receiver => Fit::Exact,
                Ok(Some(f)) if !value_compatible(receiver, &f.ret) => Fit::No,
                _ => Fit::Weak,
            },
        }
    }
}

/// A type written in a query (type hints): native types and collections/tuples of them.
pub fn resolve_type_expr(t: &TypeExpr) -> Option<CqlType> {
    Some(match t {
        TypeExpr::Native(n) => native(*n),
        TypeExpr::List(e) => CqlType::list(resolve_type_expr(e)?),
        TypeExpr::Set(e) => CqlType::set(resolve_type_expr(e)?),
        TypeExpr::Map(k, v) => CqlType::map(resolve_type_expr(k)?, resolve_type_expr(v)?),
        TypeExpr::Tuple(items) => CqlType::Tuple(items.iter().map(resolve_type_expr).collect::<Option<Vec<_>>>()?),
        TypeExpr::Frozen(inner) => resolve_type_expr(inner)?.frozen_deep(),
        TypeExpr::Vector(e, d) => CqlType::Vector {
            element: Box::new(resolve_type_expr(e)?),
            dimension: u32::try_from(*d).ok().filter(|d| *d > 0)?,
        },
        TypeExpr::Custom(c) => CqlType::Custom(c.clone()),
        TypeExpr::UserDefined(_) => return None,
    })
}

/// A function name as Cassandra prints it (`FunctionName.toString()`).
pub fn display_name(name: &QualifiedName) -> String {
    match &name.keyspace {
        Some(k) => format!("{k}.{}", name.name),
        None => name.name.clone(),
    }
}

impl Function {
    pub fn is_aggregate(&self) -> bool {
        matches!(self.imp, Impl::CountRows | Impl::Count | Impl::Sum | Impl::Avg | Impl::Min | Impl::Max)
    }

    /// `system.<name>`.
    pub fn qualified_name(&self) -> String {
        format!("system.{}", self.name)
    }

    /// The result column name of a call with arguments named `args` (`Function.columnName`).
    pub fn column_name(&self, args: &[String]) -> String {
        match &self.imp {
            Impl::CountRows => "count".to_string(),
            Impl::Arith(op) | Impl::TemporalArith(op) => {
                format!(
                    "{} {} {}",
                    args.first().map(String::as_str).unwrap_or(""),
                    op.symbol(),
                    args.get(1).map(String::as_str).unwrap_or("")
                )
            }
            Impl::Negate => format!("-{}", args.first().map(String::as_str).unwrap_or("")),
            Impl::Cast => format!("cast({} as {})", args.first().map(String::as_str).unwrap_or(""), self.ret),
            _ => format!("{}({})", self.qualified_name(), args.join(", ")),
        }
    }

    /// `Function.toString()`: `system.name : (arg types) -> return type`.
    pub fn signature(&self) -> String {
        format!(
            "{} : ({}) -> {}",
            self.qualified_name(),
            self.args.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", "),
            self.ret
        )
    }

    fn failure(&self, detail: String) -> Error {
        Error::FunctionFailure {
            message: detail,
            keyspace: "system".to_string(),
            function: self.name.clone(),
            arg_types: self.args.iter().map(|t| t.to_string()).collect(),
        }
    }

    /// Runs a scalar function on serialized arguments (`None` is null).
    pub fn execute(&self, args: &[Option<Bytes>]) -> Result<Option<Bytes>, Error> {
        execute_scalar(self, args)
    }
}

/// Where a call appears, which decides how `toJson`/`fromJson` behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    Selection,
    Term,
}

/// Resolves a call of `name` with `args`, as Cassandra's `FunctionResolver.get`. `receiver` is the
/// type the result is assigned to (terms), `pk_types` the table's partition key types (for token).
/// `Ok(None)` means no function has that name.
pub fn resolve(
    name: &QualifiedName,
    args: &[Arg<'_>],
    receiver: Option<&CqlType>,
    pk_types: &[CqlType],
    site: Site,
) -> Result<Option<Function>, Error> {
    let native_name = match name.keyspace.as_deref() {
        None | Some("system") => name.name.as_str(),
        Some(_) => return Ok(None),
    };
    if native_name == "token" {
        let fun = f("token", pk_types.to_vec(), CqlType::BIGINT, Impl::Token);
        validate_single(&fun, args)?;
        return Ok(Some(fun));
    }
    if native_name == "tojson" {
        if site == Site::Term {
            return Err(Error::invalid("toJson() may only be used within the selection clause of SELECT statements"));
        }
        if args.len() != 1 {
            return Err(Error::invalid(format!("toJson() only accepts one argument (got {})", args.len())));
        }
        let Some(t) = args[0].exact_type() else {
            return Err(Error::invalid(format!(
                "Cannot infer type of argument {} in call to function system.tojson",
                args[0].text
            )));
        };
        return Ok(Some(f("tojson", vec![t], CqlType::TEXT, Impl::ToJson)));
    }
    if native_name == "fromjson" {
        let Some(r) = receiver.filter(|_| site == Site::Term) else {
            return Err(Error::invalid("fromJson() cannot be used in the selection clause of a SELECT statement"));
        };
        if args.len() != 1 {
            return Err(Error::invalid(format!("fromJson() only accepts one argument (got {})", args.len())));
        }
        return Ok(Some(f("fromjson", vec![CqlType::TEXT], r.clone(), Impl::FromJson)));
    }
    let mut cands = candidates(native_name);
    if let Some(fun) = factory(native_name, args)? {
        cands.push(fun);
    }
    if cands.is_empty() {
        return Ok(None);
    }
    if cands.len() == 1 {
        let fun = cands.remove(0);
        validate_single(&fun, args)?;
        return Ok(Some(fun));
    }
    let mut compatibles: Vec<Function> = Vec::new();
    for c in cands.iter() {
        if let Some(r) = receiver {
            if typed_fit(&c.ret, r) == Fit::No {
                continue;
            }
        }
        if c.args.len() != args.len() {
            continue;
        }
        match fold(args.iter().zip(&c.args).map(|(a, t)| a.fit(t))) {
            Fit::Exact => return Ok(Some(c.clone())),
            Fit::Weak => compatibles.push(c.clone()),
            Fit::No => {}
        }
    }
    let display = display_name(name);
    let op = Op::from_function_name(native_name)
        .filter(|_| name.keyspace.is_none() || name.keyspace.as_deref() == Some("system"));
    if compatibles.is_empty() {
        if let (Some(op), [a, b]) = (op, args) {
            return Err(Error::invalid(format!(
                "the '{}' operation is not supported between {} and {}",
                op.symbol(),
                a.text,
                b.text
            )));
        }
        return Err(Error::invalid(format!(
            "Invalid call to function {display}, none of its type signatures match (known type signatures: {})",
            cands.iter().map(Function::signature).collect::<Vec<_>>().join(", ")
        )));
    }
    if compatibles.len() > 1 {
        if let Some(op) = op {
            if let Some(r) = receiver {
                if !args.iter().any(|a| matches!(a.kind, ArgKind::Marker)) {
                    if let Some(c) = compatibles.iter().find(|c| c.args.iter().all(|t| t == r)) {
                        return Ok(Some(c.clone()));
                    }
                }
            }
            // FunctionResolver.pickBestMatch.
            return Err(Error::invalid(format!(
                "Ambiguous '{}' operation with args {} and {}: use type hint to disambiguate, example '(int) ?'",
                op.symbol(),
                args.first().map(|a| a.text.as_str()).unwrap_or(""),
                args.get(1).map(|a| a.text.as_str()).unwrap_or("")
            )));
        }
        if native_name == "_negate" {
            return Err(Error::invalid("Ambiguous negation: use type casts to disambiguate"));
        }
        return Err(Error::invalid(format!(
            "Ambiguous call to function {display} (can be matched by following signatures: {}): use type casts to disambiguate",
            compatibles.iter().map(Function::signature).collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(compatibles.pop())
}

fn validate_single(fun: &Function, args: &[Arg<'_>]) -> Result<(), Error> {
    if args.len() != fun.args.len() {
        return Err(Error::invalid(format!(
            "Invalid number of arguments in call to function {}: {} required but {} provided",
            fun.qualified_name(),
            fun.args.len(),
            args.len()
        )));
    }
    for (i, (a, t)) in args.iter().zip(&fun.args).enumerate() {
        if matches!(a.kind, ArgKind::Marker) {
            continue;
        }
        if a.fit(t) == Fit::No {
            return Err(Error::invalid(format!(
                "Type error: {} cannot be passed as argument {i} of function {} of type {t}",
                a.text,
                fun.qualified_name()
            )));
        }
    }
    Ok(())
}

/// The name of the bind variable receiving argument `i` of `fun` (`makeArgSpec`).
pub fn arg_spec_name(fun: &Function, i: usize) -> String {
    format!("arg{i}({})", fun.qualified_name().to_lowercase())
}

/// Cassandra's text of a term (`Term.Raw.getText()`), used in messages and result column names: `NULL`
/// for null, `?` for any bind marker (named or not), UDT field names as they are, type hints as
/// `CQL3Type.Raw` prints them.
pub fn term_text(t: &Term) -> String {
    let join = |items: &[Term]| items.iter().map(term_text).collect::<Vec<_>>().join(", ");
    match t {
        Term::Literal(l) => match l.kind {
            LiteralKind::String => format!("'{}'", l.text),
            LiteralKind::Blob => format!("0x{}", l.text),
            _ => l.text.clone(),
        },
        Term::Null => "NULL".into(),
        Term::BindMarker(_) => "?".into(),
        Term::List(items) => format!("[{}]", join(items)),
        Term::Set(items) => format!("{{{}}}", join(items)),
        Term::Map(entries) => format!(
            "{{{}}}",
            entries.iter().map(|(k, v)| format!("{}: {}", term_text(k), term_text(v))).collect::<Vec<_>>().join(", ")
        ),
        Term::Tuple(items) => format!("({})", join(items)),
        Term::Udt(fields) => {
            format!(
                "{{{}}}",
                fields.iter().map(|(n, v)| format!("{n}: {}", term_text(v))).collect::<Vec<_>>().join(", ")
            )
        }
        Term::FunctionCall { name, args } => format!("{}({})", display_name(name), join(args)),
        Term::TypeHint(t, inner) => format!("({}){}", type_expr_text(t), term_text(inner)),
        Term::Negate(inner) => format!("-{}", term_text(inner)),
    }
}

/// A written type as Cassandra prints it (`CQL3Type.Raw.toString()`), `frozen` where Cassandra's raw
/// types freeze (inside `frozen<…>` and tuples).
pub fn type_expr_text(t: &TypeExpr) -> String {
    crate::statement::ddl::raw_type_text(t)
}

/// The argument of a call in a term (WHERE, VALUES, SET), for resolution.
fn term_arg(t: &Term) -> Arg<'_> {
    let text = term_text(t);
    let kind = match t {
        Term::Literal(l) => ArgKind::Literal(l),
        Term::Null => ArgKind::Null,
        Term::BindMarker(_) => ArgKind::Marker,
        Term::TypeHint(te, _) => match resolve_type_expr(te) {
            Some(ty) => ArgKind::Typed(ty),
            None => ArgKind::Composite(t),
        },
        Term::FunctionCall { name, args } => ArgKind::Call(name, args),
        _ => ArgKind::Composite(t),
    };
    Arg { kind, text }
}

/// Resolves a function call term assigned to `receiver_type` (Cassandra's `FunctionCall.Raw.prepare`).
pub fn prepare_term_call(
    name: &QualifiedName,
    args: &[Term],
    receiver_type: &CqlType,
    receiver: &str,
) -> Result<Function, Error> {
    let fargs: Vec<Arg<'_>> = args.iter().map(term_arg).collect();
    let fun = resolve(name, &fargs, Some(receiver_type), &[], Site::Term)?
        .ok_or_else(|| Error::invalid(format!("Unknown function {} called", display_name(name))))?;
    if fun.is_aggregate() {
        return Err(Error::invalid("Aggregation function are not supported in the where clause"));
    }
    if typed_fit(&fun.ret, receiver_type) == Fit::No {
        if let Impl::Arith(op) | Impl::TemporalArith(op) = fun.imp {
            return Err(Error::invalid(format!(
                "Type error: cannot assign result of operation {} (type {}) to {receiver} (type {receiver_type})",
                op.symbol(),
                fun.ret
            )));
        }
        return Err(Error::invalid(format!(
            "Type error: cannot assign result of function {} (type {}) to {receiver} (type {receiver_type})",
            fun.qualified_name(),
            fun.ret
        )));
    }
    Ok(fun)
}

/// Evaluates a function call term for a receiver of type `typ` called `receiver`.
pub fn call_in_term(
    name: &QualifiedName,
    args: &[Term],
    typ: &CqlType,
    receiver: &str,
    values: &Values<'_>,
) -> Result<Bound, Error> {
    let fun = prepare_term_call(name, args, typ, receiver)?;
    let mut bound = Vec::with_capacity(args.len());
    for (i, (a, t)) in args.iter().zip(&fun.args).enumerate() {
        match crate::bind::eval(a, t, &arg_spec_name(&fun, i), values)? {
            Bound::Value(b) => bound.push(Some(b)),
            Bound::Null => bound.push(None),
            Bound::Unset => {
                return Err(Error::invalid(format!(
                    "Invalid unset value for argument in call to function {}",
                    fun.qualified_name()
                )))
            }
        }
    }
    Ok(match fun.execute(&bound)? {
        Some(b) => Bound::Value(b),
        None => Bound::Null,
    })
}

// ---------------------------------------------------------------------------------------------
// Execution

const MILLIS_PER_DAY: i64 = 86_400_000;
const DATE_EPOCH: i64 = 1 << 31;
/// 100-ns intervals between 1582-10-15 and 1970-01-01.
const GREGORIAN_OFFSET: i64 = 0x01B2_1DD2_1381_4000;

/// The milliseconds since the epoch of a temporal value (`TemporalType.toTimeInMillis`).
fn temporal_millis(t: &CqlType, b: &[u8]) -> Option<i64> {
    match t {
        CqlType::Native(NativeType::Timeuuid) => crate::clock::timeuuid_millis(b),
        CqlType::Native(NativeType::Timestamp) => match CqlValue::deserialize(t, b).ok()? {
            CqlValue::Timestamp(ms) => Some(ms),
            _ => None,
        },
        CqlType::Native(NativeType::Date) => match CqlValue::deserialize(t, b).ok()? {
            CqlValue::Date(d) => Some((d as i64 - DATE_EPOCH) * MILLIS_PER_DAY),
            _ => None,
        },
        _ => None,
    }
}

fn date_of_millis(ms: i64) -> Bytes {
    let days = ms.div_euclid(MILLIS_PER_DAY) + DATE_EPOCH;
    Bytes::from(CqlValue::Date(days as u32).to_bytes())
}

fn bigint(v: i64) -> Bytes {
    Bytes::copy_from_slice(&v.to_be_bytes())
}

/// A version 1 UUID at `millis` with the given clock sequence and node (`TimeUUID.minAtUnixMillis`).
fn fake_timeuuid(millis: i64, extra_ticks: i64, lsb: u64) -> Bytes {
    let ticks = millis.wrapping_mul(10_000).wrapping_add(GREGORIAN_OFFSET).wrapping_add(extra_ticks) as u64;
    let time_low = (ticks & 0xFFFF_FFFF) as u32;
    let time_mid = ((ticks >> 32) & 0xFFFF) as u16;
    let time_hi = (((ticks >> 48) & 0x0FFF) as u16) | 0x1000;
    let mut b = Vec::with_capacity(16);
    b.extend_from_slice(&time_low.to_be_bytes());
    b.extend_from_slice(&time_mid.to_be_bytes());
    b.extend_from_slice(&time_hi.to_be_bytes());
    b.extend_from_slice(&lsb.to_be_bytes());
    Bytes::from(b)
}

fn num_of(t: &CqlType, b: &[u8]) -> Option<Num> {
    match t {
        CqlType::Native(n) => Num::decode(*n, b),
        _ => None,
    }
}

/// The text of a value as a cast to text gives it (`toCQLLiteral` without the quotes).
fn cast_text(t: &CqlType, b: &[u8]) -> Option<String> {
    let v = CqlValue::deserialize(t, b).ok()?;
    Some(match v {
        CqlValue::Ascii(s) | CqlValue::Text(s) => s,
        CqlValue::Float(f) => num::float_text(f),
        CqlValue::Double(d) => num::double_text(d),
        other => {
            let lit = other.to_cql_literal();
            match lit.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
                Some(inner) => inner.replace("''", "'"),
                None => lit,
            }
        }
    })
}

fn execute_scalar(fun: &Function, args: &[Option<Bytes>]) -> Result<Option<Bytes>, Error> {
    use NativeType as N;
    let arg = |i: usize| args.get(i).and_then(|a| a.as_ref());
    let arg_type = |i: usize| fun.args.get(i).cloned().unwrap_or(CqlType::BLOB);
    let now_ms = crate::clock::now_millis();
    Ok(match &fun.imp {
        Impl::Now => Some(Bytes::copy_from_slice(crate::clock::timeuuid().as_bytes())),
        Impl::CurrentTimestamp => Some(Bytes::from(CqlValue::Timestamp(now_ms).to_bytes())),
        Impl::CurrentDate => Some(date_of_millis(now_ms)),
        Impl::CurrentTime => {
            Some(Bytes::from(CqlValue::Time(now_ms.rem_euclid(MILLIS_PER_DAY) * 1_000_000).to_bytes()))
        }
        Impl::Uuid => Some(Bytes::copy_from_slice(uuid::Uuid::new_v4().as_bytes())),
        Impl::MinTimeuuid | Impl::MaxTimeuuid | Impl::ToDate | Impl::ToTimestamp | Impl::ToUnixTimestamp => {
            let Some(b) = arg(0).filter(|b| !b.is_empty()) else { return Ok(None) };
            let Some(ms) = temporal_millis(&arg_type(0), b) else { return Ok(None) };
            match fun.imp {
                Impl::MinTimeuuid => Some(fake_timeuuid(ms, 0, 0x8080_8080_8080_8080)),
                Impl::MaxTimeuuid => Some(fake_timeuuid(ms, 9_999, 0x7f7f_7f7f_7f7f_7f7f)),
                Impl::ToDate => Some(date_of_millis(ms)),
                Impl::ToTimestamp => Some(Bytes::from(CqlValue::Timestamp(ms).to_bytes())),
                _ => Some(bigint(ms)),
            }
        }
        Impl::ToBlob => arg(0).cloned(),
        Impl::FromBlob => {
            let Some(b) = arg(0) else { return Ok(None) };
            if CqlValue::validate(&fun.ret, b).is_err() {
                return Err(Error::invalid(format!(
                    "In call to function {}, value 0x{} is not a valid binary representation for type {}",
                    fun.qualified_name(),
                    b.iter().map(|x| format!("{x:02x}")).collect::<String>(),
                    fun.ret
                )));
            }
            Some(b.clone())
        }
        Impl::Cast => {
            let Some(b) = arg(0) else { return Ok(None) };
            let from = arg_type(0);
            match &fun.ret {
                CqlType::Native(N::Text | N::Ascii) => {
                    if b.is_empty() && !from.empty_is_a_value() {
                        return Ok(None);
                    }
                    cast_text(&from, b).map(|s| Bytes::from(s.into_bytes()))
                }
                CqlType::Native(N::Date) => temporal_millis(&from, b).map(date_of_millis),
                CqlType::Native(N::Timestamp) => {
                    temporal_millis(&from, b).map(|ms| Bytes::from(CqlValue::Timestamp(ms).to_bytes()))
                }
                CqlType::Native(to) => match num_of(&from, b) {
                    Some(n) => Some(n.cast(*to).map_err(|e| fun.failure(e))?.encode()),
                    None => None,
                },
                _ => None,
            }
        }
        Impl::Arith(_) if matches!(fun.ret, CqlType::Native(N::Text | N::Ascii)) => {
            // String concatenation: an empty string is a value here.
            let (Some(l), Some(r)) = (arg(0), arg(1)) else { return Ok(None) };
            let mut joined = Vec::with_capacity(l.len() + r.len());
            joined.extend_from_slice(l);
            joined.extend_from_slice(r);
            Some(Bytes::from(joined))
        }
        Impl::Arith(op) => {
            let (Some(l), Some(r)) = (arg(0), arg(1)) else { return Ok(None) };
            if l.is_empty() || r.is_empty() {
                return Ok(None);
            }
            let (Some(ln), Some(rn)) = (num_of(&arg_type(0), l), num_of(&arg_type(1), r)) else { return Ok(None) };
            let CqlType::Native(rt) = fun.ret else { return Ok(None) };
            match num::arith(*op, rt, &ln, &rn) {
                Ok(v) => Some(v.encode()),
                Err(e) => {
                    return Err(Error::FunctionFailure {
                        message: format!("the operation '{} {} {}' failed: {e}", arg_type(0), op.symbol(), arg_type(1)),
                        keyspace: "system".into(),
                        function: fun.name.clone(),
                        arg_types: fun.args.iter().map(|t| t.to_string()).collect(),
                    })
                }
            }
        }
        Impl::Negate => {
            let Some(b) = arg(0).filter(|b| !b.is_empty()) else { return Ok(None) };
            num_of(&arg_type(0), b).map(|n| num::negate(&n).encode())
        }
        Impl::TemporalArith(op) => {
            let (Some(l), Some(r)) = (arg(0), arg(1)) else { return Ok(None) };
            if l.is_empty() || r.is_empty() {
                return Ok(None);
            }
            let Some(ms) = temporal_millis(&arg_type(0), l) else { return Ok(None) };
            let Ok(CqlValue::Duration { months, days, nanoseconds }) = CqlValue::deserialize(&native(N::Duration), r)
            else {
                return Ok(None);
            };
            // TemporalType.validateDuration: a timestamp takes whole milliseconds, a date whole days.
            let is_date = arg_type(0) == native(N::Date);
            let precise = if is_date { nanoseconds == 0 } else { nanoseconds % 1_000_000 == 0 };
            if !precise {
                let duration = CqlValue::Duration { months, days, nanoseconds }.to_cql_literal();
                return Err(Error::FunctionFailure {
                    message: format!(
                        "the operation '{} {} {}' failed: The duration must have a {} precision. Was: {duration}",
                        arg_type(0),
                        op.symbol(),
                        arg_type(1),
                        if is_date { "day" } else { "millisecond" }
                    ),
                    keyspace: "system".into(),
                    function: fun.name.clone(),
                    arg_types: fun.args.iter().map(|t| t.to_string()).collect(),
                });
            }
            let sign = if *op == Op::Add { 1 } else { -1 };
            let result = add_duration(ms, sign * months as i64, sign * days as i64, sign * nanoseconds);
            if arg_type(0) == native(N::Date) {
                Some(date_of_millis(result))
            } else {
                Some(Bytes::from(CqlValue::Timestamp(result).to_bytes()))
            }
        }
        Impl::Token => {
            if args.iter().any(|a| a.is_none()) {
                return Ok(None);
            }
            let parts: Vec<&[u8]> = args.iter().map(|a| a.as_deref().unwrap_or(&[])).collect();
            let serialized = cql_types::key::serialize_partition_key(&parts);
            Some(bigint(cql_types::token::murmur3_token(&serialized)))
        }
        Impl::ToJson => match arg(0) {
            None => Some(Bytes::from_static(b"null")),
            Some(b) => Some(Bytes::from(crate::json::to_json(&arg_type(0), b).into_bytes())),
        },
        Impl::FromJson => {
            let Some(b) = arg(0) else { return Ok(None) };
            let text = String::from_utf8_lossy(b).into_owned();
            let parsed = crate::json::parse(&text).map_err(|e| Error::FunctionFailure {
                message: format!(
                    "execution of 'system.fromjson[text]' failed: Could not decode JSON string '{text}': com.fasterxml.jackson.core.JsonParseException: {e}"
                ),
                keyspace: "system".into(),
                function: "fromjson".into(),
                arg_types: vec!["text".into()],
            })?;
            crate::json::from_json(&fun.ret, &parsed)
                .map_err(|e| fun.failure(format!("org.apache.cassandra.serializers.MarshalException: {e}")))?
        }
        Impl::Abs | Impl::Exp | Impl::Log | Impl::Log10 | Impl::Round => {
            let Some(b) = arg(0).filter(|b| !b.is_empty()) else { return Ok(None) };
            let Some(n) = num_of(&arg_type(0), b) else { return Ok(None) };
            Some(math(&fun.imp, &n).map_err(|e| fun.failure(e))?.encode())
        }
        Impl::MapKeys
        | Impl::MapValues
        | Impl::CollectionCount
        | Impl::CollectionMin
        | Impl::CollectionMax
        | Impl::CollectionSum
        | Impl::CollectionAvg => {
            let Some(b) = arg(0) else { return Ok(None) };
            collection_fn(fun, &arg_type(0), b)?
        }
        Impl::Similarity(sim) => {
            let (Some(a), Some(b)) = (arg(0), arg(1)) else { return Ok(None) };
            let floats = |bytes: &[u8]| -> Vec<f32> {
                bytes.chunks_exact(4).map(|c| f32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect()
            };
            let (a, b) = (floats(a), floats(b));
            let score = match sim {
                Similarity::Cosine => {
                    let (mut dot, mut n1, mut n2) = (0f32, 0f32, 0f32);
                    for (x, y) in a.iter().zip(&b) {
                        dot += x * y;
                        n1 += x * x;
                        n2 += y * y;
                    }
                    let cos = (dot as f64 / (n1 as f64 * n2 as f64).sqrt()) as f32;
                    (1.0 + cos) / 2.0
                }
                Similarity::Euclidean => {
                    let d: f32 = a.iter().zip(&b).map(|(x, y)| (x - y) * (x - y)).sum();
                    1.0 / (1.0 + d)
                }
                Similarity::DotProduct => {
                    let d: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
                    (1.0 + d) / 2.0
                }
            };
            Some(Bytes::copy_from_slice(&score.to_be_bytes()))
        }
        Impl::Floor => {
            if (0..fun.args.len()).any(|i| arg(i).is_none_or(|b| b.is_empty())) {
                return Ok(None);
            }
            let duration = arg(1).and_then(|b| CqlValue::deserialize(&native(N::Duration), b).ok());
            let Some(CqlValue::Duration { months, days, nanoseconds }) = duration else { return Ok(None) };
            let text = CqlValue::Duration { months, days, nanoseconds }.to_cql_literal();
            let d = (i64::from(months), i64::from(days), nanoseconds);
            if arg_type(0) == native(N::Time) {
                let Some(CqlValue::Time(t)) = arg(0).and_then(|b| CqlValue::deserialize(&native(N::Time), b).ok())
                else {
                    return Ok(None);
                };
                return Ok(Some(Bytes::from(CqlValue::Time(floor_time(t, d)?).to_bytes())));
            }
            let Some(time) = arg(0).and_then(|b| temporal_millis(&arg_type(0), b)) else { return Ok(None) };
            let start = match arg(2) {
                Some(b) => match temporal_millis(&arg_type(2), b) {
                    Some(ms) => ms,
                    None => return Ok(None),
                },
                None => 0,
            };
            if fun.ret == native(N::Date) {
                if nanoseconds != 0 {
                    return Err(Error::invalid(format!(
                        "The floor on date values cannot be computed for the {text} duration as precision is below 1 day"
                    )));
                }
            } else if nanoseconds.trailing_zeros() < 6 {
                return Err(Error::invalid(format!(
                    "The floor cannot be computed for the {text} duration as precision is below 1 millisecond"
                )));
            }
            let floor = floor_timestamp(time, d, start)?;
            Some(if fun.ret == native(N::Date) {
                date_of_millis(floor)
            } else {
                Bytes::from(CqlValue::Timestamp(floor).to_bytes())
            })
        }
        Impl::MaskNull => None,
        Impl::MaskDefault => Some(Bytes::from(
            masked_value(&fun.ret)
                .ok_or_else(|| Error::invalid(format!("There isn't a defined masked value for type {}", fun.ret)))?
                .to_bytes(),
        )),
        Impl::MaskHash => {
            let Some(v) = arg(0) else { return Ok(None) };
            let algorithm = match arg(1) {
                Some(a) => String::from_utf8_lossy(a).into_owned(),
                None => "SHA-256".to_string(),
            };
            Some(Bytes::from(
                digest(&algorithm, v)
                    .ok_or_else(|| Error::invalid(format!("Hash algorithm not found: {algorithm}")))?,
            ))
        }
        Impl::MaskReplace => arg(1).cloned(),
        Impl::MaskPartial(inner) => {
            let Some(v) = arg(0) else { return Ok(None) };
            let int_arg = |i: usize| {
                arg(i).and_then(|b| <[u8; 4]>::try_from(b.as_ref()).ok()).map(i32::from_be_bytes).unwrap_or(0)
            };
            let (begin, end) = (int_arg(1), int_arg(2));
            let padding = match arg(3) {
                None => '*',
                Some(p) => {
                    let p = String::from_utf8_lossy(p).into_owned();
                    let mut chars = p.chars();
                    match (chars.next(), chars.next()) {
                        (Some(c), None) => c,
                        _ => {
                            return Err(Error::invalid(format!(
                                "The padding argument for function {} should be single-character, but '{p}' has {} characters.",
                                fun.qualified_name(),
                                p.encode_utf16().count()
                            )))
                        }
                    }
                }
            };
            let text = String::from_utf8_lossy(v).into_owned();
            let chars: Vec<char> = text.chars().collect();
            let size = chars.len() as i64;
            let end_index = size - 1 - end as i64;
            let masked: String = chars
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let i = i as i64;
                    let in_middle = i >= begin as i64 && i <= end_index;
                    if in_middle == *inner {
                        padding
                    } else {
                        *c
                    }
                })
                .collect();
            Some(Bytes::from(masked.into_bytes()))
        }
        Impl::CountRows | Impl::Count | Impl::Sum | Impl::Avg | Impl::Min | Impl::Max => None,
    })
}

/// The value `mask_default` gives for a type (`AbstractType.getMaskedValue`): `****` for text, zero for
/// numbers, times and durations, `false`, the epoch for dates and timestamps, the nil UUID, the
/// smallest timeuuid of the epoch, `0.0.0.0`, an empty blob or collection, and tuples, UDTs and vectors
/// of their components' masked values. `None` for custom types.
fn masked_value(t: &CqlType) -> Option<CqlValue> {
    use NativeType as N;
    Some(match t {
        CqlType::Native(n) => match n {
            N::Ascii => CqlValue::Ascii("****".into()),
            N::Text => CqlValue::Text("****".into()),
            N::Bigint => CqlValue::Bigint(0),
            N::Counter => CqlValue::Counter(0),
            N::Int => CqlValue::Int(0),
            N::Smallint => CqlValue::Smallint(0),
            N::Tinyint => CqlValue::Tinyint(0),
            N::Varint => CqlValue::Varint(0.into()),
            N::Decimal => CqlValue::Decimal(0.into()),
            N::Float => CqlValue::Float(0.0),
            N::Double => CqlValue::Double(0.0),
            N::Blob => CqlValue::Blob(Vec::new()),
            N::Boolean => CqlValue::Boolean(false),
            N::Date => CqlValue::Date(DATE_EPOCH as u32),
            N::Time => CqlValue::Time(0),
            N::Timestamp => CqlValue::Timestamp(0),
            N::Duration => CqlValue::Duration { months: 0, days: 0, nanoseconds: 0 },
            N::Inet => CqlValue::Inet(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)),
            N::Uuid => CqlValue::Uuid(uuid::Uuid::nil()),
            N::Timeuuid => {
                let min = fake_timeuuid(0, 0, 0x8080_8080_8080_8080);
                CqlValue::Timeuuid(uuid::Uuid::from_slice(&min).ok()?)
            }
        },
        CqlType::List { .. } => CqlValue::List(Vec::new()),
        CqlType::Set { .. } => CqlValue::Set(Vec::new()),
        CqlType::Map { .. } => CqlValue::Map(Vec::new()),
        CqlType::Tuple(types) => {
            CqlValue::Tuple(types.iter().map(|t| masked_value(t).map(Some)).collect::<Option<_>>()?)
        }
        CqlType::Udt { fields, .. } => {
            CqlValue::Udt(fields.iter().map(|(_, t)| masked_value(t).map(Some)).collect::<Option<_>>()?)
        }
        CqlType::Vector { element, dimension } => CqlValue::Vector(vec![masked_value(element)?; *dimension as usize]),
        CqlType::Custom(_) => return None,
    })
}

/// The digest of `data` by the Java `MessageDigest` algorithm named `algorithm` (case-insensitive);
/// `None` for an algorithm Sibyl does not have.
fn digest(algorithm: &str, data: &[u8]) -> Option<Vec<u8>> {
    use sha2::Digest;
    Some(match algorithm.to_ascii_uppercase().as_str() {
        "MD5" => md5::Md5::digest(data).to_vec(),
        "SHA" | "SHA1" | "SHA-1" => sha1::Sha1::digest(data).to_vec(),
        "SHA-224" | "SHA224" => sha2::Sha224::digest(data).to_vec(),
        "SHA-256" | "SHA256" => sha2::Sha256::digest(data).to_vec(),
        "SHA-384" | "SHA384" => sha2::Sha384::digest(data).to_vec(),
        "SHA-512" | "SHA512" => sha2::Sha512::digest(data).to_vec(),
        "SHA-512/224" | "SHA512/224" => sha2::Sha512_224::digest(data).to_vec(),
        "SHA-512/256" | "SHA512/256" => sha2::Sha512_256::digest(data).to_vec(),
        _ => return None,
    })
}

/// `Duration.floorTimestamp`: the latest `start + n × duration` (n ≥ 0) not after `time`, all in
/// milliseconds; months counted in the UTC calendar. `d` is (months, days, nanoseconds).
fn floor_timestamp(time: i64, d: (i64, i64, i64), start: i64) -> Result<i64, Error> {
    let (months, days, nanos) = d;
    if start > time {
        return Err(Error::invalid("The floor function starting time is greater than the provided time"));
    }
    if months < 0 || days < 0 || nanos < 0 {
        return Err(Error::invalid("Negative durations are not supported by the floor function"));
    }
    let duration_ms = days * MILLIS_PER_DAY + nanos / 1_000_000;
    if months == 0 {
        if duration_ms == 0 {
            return Ok(time);
        }
        return Ok(time - (time - start) % duration_ms);
    }
    let year_month = |ms: i64| {
        let (y, m, _) = civil_from_days(ms.div_euclid(MILLIS_PER_DAY));
        y * 12 + i64::from(m)
    };
    let mut multiplier = (year_month(time) - year_month(start)) / months;
    let mut period_start = add_duration(start, multiplier * months, 0, 0);
    if days == 0 && nanos == 0 {
        return Ok(period_start);
    }
    let mut floor = period_start + multiplier * duration_ms;
    while floor > time {
        multiplier -= 1;
        period_start = add_duration(period_start, -months, 0, 0);
        floor = period_start + multiplier * duration_ms;
    }
    Ok(floor.max(start))
}

/// `Duration.floorTime`: a time of day (nanoseconds) rounded down to a multiple of a duration under a day.
fn floor_time(time: i64, d: (i64, i64, i64)) -> Result<i64, Error> {
    let (months, days, nanos) = d;
    if months < 0 || days < 0 || nanos < 0 {
        return Err(Error::invalid("Negative durations are not supported by the floor function"));
    }
    if months != 0 || days != 0 || nanos > 86_400_000_000_000 {
        return Err(Error::invalid("For time values, the floor can only be computed for durations smaller that a day"));
    }
    Ok(if nanos == 0 { time } else { time - time % nanos })
}

/// `Duration.addTo`: months and days in the UTC calendar, then nanoseconds (as milliseconds).
fn add_duration(ms: i64, months: i64, days: i64, nanos: i64) -> i64 {
    let mut result = ms;
    if months != 0 {
        let day_ms = ms.rem_euclid(MILLIS_PER_DAY);
        let days_since_epoch = ms.div_euclid(MILLIS_PER_DAY);
        let (y, m, d) = civil_from_days(days_since_epoch);
        let total = y * 12 + (m as i64 - 1) + months;
        let (ny, nm) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32);
        let nd = d.min(days_in_month(ny, nm));
        result = days_from_civil(ny, nm, nd) * MILLIS_PER_DAY + day_ms;
    }
    result + days * MILLIS_PER_DAY + nanos / 1_000_000
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn math(imp: &Impl, n: &Num) -> Result<Num, String> {
    use bigdecimal::RoundingMode;
    let f = |x: f64| -> f64 {
        match imp {
            Impl::Exp => x.exp(),
            Impl::Log => x.ln(),
            Impl::Log10 => x.log10(),
            _ => x,
        }
    };
    Ok(match (imp, n) {
        (Impl::Abs, Num::I8(v)) => Num::I8(v.wrapping_abs()),
        (Impl::Abs, Num::I16(v)) => Num::I16(v.wrapping_abs()),
        (Impl::Abs, Num::I32(v)) => Num::I32(v.wrapping_abs()),
        (Impl::Abs, Num::I64(v)) => Num::I64(v.wrapping_abs()),
        (Impl::Abs, Num::F32(v)) => Num::F32(v.abs()),
        (Impl::Abs, Num::F64(v)) => Num::F64(v.abs()),
        (Impl::Abs, Num::Dec(d)) => Num::Dec(d.abs()),
        (Impl::Abs, Num::Var(b)) => {
            Num::Var(if b.sign() == bigdecimal::num_bigint::Sign::Minus { -b.clone() } else { b.clone() })
        }
        (Impl::Round, Num::F32(v)) => Num::F32((v + 0.5).floor()),
        (Impl::Round, Num::F64(v)) => Num::F64((v + 0.5).floor()),
        (Impl::Round, Num::Dec(d)) => Num::Dec(d.with_scale_round(0, RoundingMode::HalfUp)),
        (Impl::Round, other) => other.clone(),
        (_, Num::I8(v)) => Num::I8(f(*v as f64) as i8),
        (_, Num::I16(v)) => Num::I16(f(*v as f64) as i16),
        (_, Num::I32(v)) => Num::I32(f(*v as f64) as i32),
        (_, Num::I64(v)) => Num::I64(f(*v as f64) as i64),
        (_, Num::F32(v)) => Num::F32(f(*v as f64) as f32),
        (_, Num::F64(v)) => Num::F64(f(*v)),
        (_, Num::Dec(d)) => {
            let r = f(Num::Dec(d.clone()).to_f64());
            Num::Dec(num::decimal_of_double(r).ok_or_else(|| format!("Infinite or NaN: {}", num::double_text(r)))?)
        }
        (_, Num::Var(b)) => Num::Var(bigdecimal::num_bigint::BigInt::from(f(Num::Var(b.clone()).to_f64()) as i64)),
    })
}

fn collection_fn(fun: &Function, t: &CqlType, b: &[u8]) -> Result<Option<Bytes>, Error> {
    let v = CqlValue::deserialize(t, b).map_err(|e| Error::invalid(e.0))?;
    let (elements, element_type): (Vec<CqlValue>, Option<CqlType>) = match (&v, unfreeze(t)) {
        (
            CqlValue::List(items) | CqlValue::Set(items),
            CqlType::List { element, .. } | CqlType::Set { element, .. },
        ) => (items.clone(), Some(*element)),
        (CqlValue::Map(entries), _) => match fun.imp {
            Impl::MapKeys => {
                return Ok(Some(Bytes::from(
                    CqlValue::Set(entries.iter().map(|(k, _)| k.clone()).collect()).to_bytes(),
                )))
            }
            Impl::MapValues => {
                return Ok(Some(Bytes::from(
                    CqlValue::List(entries.iter().map(|(_, v)| v.clone()).collect()).to_bytes(),
                )))
            }
            _ => (entries.iter().map(|(k, _)| k.clone()).collect(), None),
        },
        _ => return Ok(None),
    };
    Ok(match fun.imp {
        Impl::CollectionCount => Some(Bytes::copy_from_slice(&(elements.len() as i32).to_be_bytes())),
        Impl::CollectionMin | Impl::CollectionMax => {
            let Some(et) = element_type else { return Ok(None) };
            let mut best: Option<Vec<u8>> = None;
            for e in &elements {
                let eb = e.to_bytes();
                let better = match &best {
                    None => true,
                    Some(cur) => {
                        let o = CqlValue::compare(&et, &eb, cur);
                        if fun.imp == Impl::CollectionMin {
                            o.is_lt()
                        } else {
                            o.is_gt()
                        }
                    }
                };
                if better {
                    best = Some(eb);
                }
            }
            best.map(Bytes::from)
        }
        Impl::CollectionSum | Impl::CollectionAvg => {
            let Some(CqlType::Native(et)) = element_type else { return Ok(None) };
            let agg_fun = Function {
                name: if fun.imp == Impl::CollectionSum { "sum".into() } else { "avg".into() },
                args: vec![native(et)],
                ret: native(et),
                imp: if fun.imp == Impl::CollectionSum { Impl::Sum } else { Impl::Avg },
            };
            let mut agg = aggregate::Aggregator::new(&agg_fun);
            for e in &elements {
                agg.add(&[Some(Bytes::from(e.to_bytes()))]);
            }
            agg.compute()?
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(kind: LiteralKind, text: &str) -> Literal {
        Literal { kind, text: text.into() }
    }

    fn name(n: &str) -> QualifiedName {
        QualifiedName { keyspace: None, name: n.into() }
    }

    #[test]
    fn legacy_and_snake_case_names_resolve_and_print_as_called() {
        let args = [Arg { kind: ArgKind::Typed(CqlType::BLOB), text: "b".into() }];
        let f = resolve(&name("blobasint"), &args, None, &[], Site::Selection).unwrap().unwrap();
        assert_eq!(f.column_name(&["b".into()]), "system.blobasint(b)");
        let f = resolve(&name("blob_as_int"), &args, None, &[], Site::Selection).unwrap().unwrap();
        assert_eq!(f.ret, CqlType::INT);
    }

    #[test]
    fn operations_pick_the_exact_overload_for_literals() {
        let l = lit(LiteralKind::Integer, "1");
        let args = [
            Arg { kind: ArgKind::Typed(CqlType::BIGINT), text: "v".into() },
            Arg { kind: ArgKind::Literal(&l), text: "1".into() },
        ];
        let f = resolve(&name("_add"), &args, None, &[], Site::Selection).unwrap().unwrap();
        assert_eq!(f.ret, CqlType::BIGINT);
        assert_eq!(f.column_name(&["v".into(), "1".into()]), "v + 1");
    }

    #[test]
    fn min_and_max_timeuuid_bracket_a_millisecond() {
        let fun =
            resolve(&name("mintimeuuid"), &[Arg { kind: ArgKind::Marker, text: "?".into() }], None, &[], Site::Term)
                .unwrap()
                .unwrap();
        let ts = Bytes::from(CqlValue::Timestamp(1_000).to_bytes());
        let u = fun.execute(&[Some(ts)]).unwrap().unwrap();
        assert_eq!(crate::clock::timeuuid_millis(&u), Some(1_000));
        assert_eq!(&u[8..], &[0x80; 8]);
    }

    #[test]
    fn term_text_prints_null_and_markers_as_cassandra() {
        use cql_parser::ast::BindMarker;
        let named = Term::BindMarker(BindMarker { index: 0, name: Some("v".into()) });
        let anonymous = Term::BindMarker(BindMarker { index: 1, name: None });
        assert_eq!(term_text(&Term::List(vec![Term::Null, named, anonymous])), "[NULL, ?, ?]");
    }

    #[test]
    fn term_text_prints_udt_fields_and_type_hints_as_written() {
        let udt = Term::Udt(vec![("Name".into(), Term::Literal(lit(LiteralKind::String, "x")))]);
        assert_eq!(term_text(&udt), "{Name: 'x'}");
        let hint = Term::TypeHint(
            TypeExpr::Frozen(Box::new(TypeExpr::List(Box::new(TypeExpr::Set(Box::new(TypeExpr::Native(
                NativeType::Int,
            ))))))),
            Box::new(Term::List(vec![])),
        );
        assert_eq!(term_text(&hint), "(frozen<list<frozen<set<int>>>>)[]");
    }

    #[test]
    fn floor_of_a_timestamp_counts_periods_from_the_start() {
        let hour = (0, 0, 3_600_000_000_000);
        assert_eq!(floor_timestamp(5_400_000, hour, 0).unwrap(), 3_600_000);
        assert_eq!(floor_timestamp(5_400_000, hour, 1_000).unwrap(), 3_601_000);
        assert_eq!(floor_timestamp(-1, hour, -7_200_000).unwrap(), -3_600_000);
        // 2016-11-15 by 2 months from 2016-01-01: 2016-11-01.
        let day = |y, m, d| days_from_civil(y, m, d) * MILLIS_PER_DAY;
        assert_eq!(floor_timestamp(day(2016, 11, 15), (2, 0, 0), day(2016, 1, 1)).unwrap(), day(2016, 11, 1));
        // 1 month and 1 day periods from 2016-01-01: 01-01, 02-02, 03-04, ...
        assert_eq!(floor_timestamp(day(2016, 3, 2), (1, 1, 0), day(2016, 1, 1)).unwrap(), day(2016, 2, 2));
        assert!(floor_timestamp(0, hour, 1).is_err());
        assert!(floor_timestamp(0, (0, -1, 0), 0).is_err());
    }

    #[test]
    fn floor_of_a_time_needs_a_duration_under_a_day() {
        assert_eq!(floor_time(5_400_000_000_000, (0, 0, 3_600_000_000_000)).unwrap(), 3_600_000_000_000);
        assert!(floor_time(0, (0, 1, 0)).is_err());
    }

    #[test]
    fn mask_default_values_per_type() {
        let hex = |t: CqlType| masked_value(&t).unwrap().to_bytes();
        assert_eq!(hex(CqlType::TEXT), b"****".to_vec());
        assert_eq!(hex(CqlType::INT), vec![0, 0, 0, 0]);
        assert_eq!(hex(CqlType::BLOB), Vec::<u8>::new());
        assert_eq!(hex(native(NativeType::Date)), vec![0x80, 0, 0, 0]);
        assert_eq!(hex(CqlType::list(CqlType::INT)), vec![0, 0, 0, 0]);
        assert!(masked_value(&CqlType::Custom("a.B".into())).is_none());
    }

    #[test]
    fn digests_by_java_algorithm_names() {
        assert_eq!(digest("sha-256", b"abc").unwrap()[..4], [0xba, 0x78, 0x16, 0xbf]);
        assert_eq!(digest("MD5", b"").unwrap()[..4], [0xd4, 0x1d, 0x8c, 0xd9]);
        assert!(digest("SHA-999", b"").is_none());
    }

    #[test]
    fn adding_months_clamps_to_the_end_of_month() {
        // 2020-01-31 + 1mo = 2020-02-29
        let jan31 = days_from_civil(2020, 1, 31) * MILLIS_PER_DAY;
        assert_eq!(add_duration(jan31, 1, 0, 0), days_from_civil(2020, 2, 29) * MILLIS_PER_DAY);
    }
}
