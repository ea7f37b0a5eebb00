//! `WITH name = value AND …` properties of keyspaces, tables and indexes.

use crate::input::choice;
use nom::combinator::map;

use crate::ast::{Literal, Property, PropertyValue, Term};
use crate::input::{failure, kw, many_, sep1, sym, Input, PErr, PResult};
use crate::names::ident;
use crate::terms::{constant, term};

/// `property AND property …`
pub(crate) fn properties(i: Input<'_>) -> PResult<'_, Vec<Property>> {
    let start = i.pos;
    let (i, props) = sep1(property, kw("AND"))(i)?;
    check_unique(start, &props)?;
    Ok((i, props))
}

/// Fails if a property is defined twice, as Cassandra does.
pub(crate) fn check_unique(pos: usize, props: &[Property]) -> Result<(), nom::Err<PErr>> {
    for (n, p) in props.iter().enumerate() {
        if props[..n].iter().any(|q| q.name == p.name) {
            return Err(failure(pos, format!("Multiple definition for property {}", p.name)));
        }
    }
    Ok(())
}

/// `name = constant`, `name = identifier` or `name = {map}`
pub(crate) fn property(i: Input<'_>) -> PResult<'_, Property> {
    let (i, name) = ident(i)?;
    let (i, _) = sym("=")(i)?;
    let (i, value) = choice((
        map(property_map, PropertyValue::Map),
        map(constant, PropertyValue::Constant),
        map(ident, PropertyValue::Identifier),
    ))(i)?;
    Ok((i, Property { name, value }))
}

/// `{'k': v, …}` where keys and values are constants.
pub(crate) fn property_map(i: Input<'_>) -> PResult<'_, Vec<(Literal, Literal)>> {
    let (i, _) = sym("{")(i)?;
    if i.is_sym("}") {
        return Ok((i.advance(), Vec::new()));
    }
    let (i, first) = entry(i)?;
    let (i, mut rest) = many_(|i| {
        let (i, _) = sym(",")(i)?;
        entry(i)
    })(i)?;
    let (i, _) = sym("}")(i)?;
    rest.insert(0, first);
    for (n, (k, _)) in rest.iter().enumerate() {
        if rest[..n].iter().any(|(q, _)| q.text == k.text) {
            return Err(failure(i.pos, format!("Multiple definition for property {}", k.text)));
        }
    }
    Ok((i, rest))
}

/// `key: value`
fn entry(i: Input<'_>) -> PResult<'_, (Literal, Literal)> {
    let key_start = i.pos;
    let (i, key) = term(i)?;
    let key = constant_of(key, i, key_start, None)?;
    let (i, _) = sym(":")(i)?;
    let value_start = i.pos;
    let (i, value) = term(i)?;
    let value = constant_of(value, i, value_start, Some(&key))?;
    Ok((i, (key, value)))
}

/// The constant a property map entry must be, or Cassandra's error for anything else.
fn constant_of(t: Term, end: Input<'_>, start: usize, key: Option<&Literal>) -> Result<Literal, nom::Err<PErr>> {
    let text = end.ctx.source_between(start, end.pos);
    let markers =
        if matches!(t, Term::BindMarker(_)) { " (bind variables are not supported in DDL queries)" } else { "" };
    match (t, key) {
        (Term::Literal(l), _) => Ok(l),
        (_, None) => Err(failure(start, format!("Invalid property name: {text}{markers}"))),
        (_, Some(k)) => {
            Err(failure(start, format!("Invalid property value: {text} for property: {}{markers}", k.text)))
        }
    }
}
