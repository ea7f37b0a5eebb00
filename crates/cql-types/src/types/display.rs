//! The canonical CQL text of a type (as Cassandra 5.0 writes it in `system_schema.columns.type` and in
//! DESCRIBE output) and the parser that reads it back.
//!
//! Printing follows Cassandra's `CQL3Type.toString()`: native names in lower case (`text`, never
//! `varchar`), `list<int>`, `frozen<list<int>>`, `map<text, int>` (comma and space), tuples always as
//! `frozen<tuple<int, text>>`, `vector<float, 3>` (never frozen), a UDT by its name alone (no keyspace),
//! double-quoted when it is not a valid unquoted identifier, wrapped in `frozen<...>` when frozen, and a
//! custom type as its class name in single quotes.

use super::*;

pub(crate) fn fmt_type(t: &CqlType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match t {
        CqlType::Native(n) => f.write_str(n.name()),
        CqlType::List { element, frozen } => wrap_frozen(*frozen, f, |f| write!(f, "list<{element}>")),
        CqlType::Set { element, frozen } => wrap_frozen(*frozen, f, |f| write!(f, "set<{element}>")),
        CqlType::Map { key, value, frozen } => wrap_frozen(*frozen, f, |f| write!(f, "map<{key}, {value}>")),
        CqlType::Tuple(components) => {
            f.write_str("frozen<tuple<")?;
            for (i, c) in components.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{c}")?;
            }
            f.write_str(">>")
        }
        CqlType::Udt { name, frozen, .. } => wrap_frozen(*frozen, f, |f| f.write_str(&maybe_quote(name))),
        CqlType::Vector { element, dimension } => write!(f, "vector<{element}, {dimension}>"),
        CqlType::Custom(class) => write!(f, "'{}'", class.replace('\'', "''")),
    }
}

fn wrap_frozen(
    frozen: bool,
    f: &mut fmt::Formatter<'_>,
    inner: impl FnOnce(&mut fmt::Formatter<'_>) -> fmt::Result,
) -> fmt::Result {
    if frozen {
        f.write_str("frozen<")?;
        inner(f)?;
        f.write_str(">")
    } else {
        inner(f)
    }
}

/// Parses a type's CQL text. Accepts any letter case, extra whitespace, `varchar`, `frozen<...>` around
/// anything freezable (and freezes everything nested in it, as Cassandra does), `tuple<...>` with or
/// without `frozen<...>`, keyspace-qualified and double-quoted UDT names, and `'custom.Class'`.
/// An unknown bare word is a UDT to be resolved by the caller:
/// `Udt { keyspace: "", name, fields: vec![], frozen }` (the name lower-cased unless it was quoted;
/// `keyspace` set when written `ks.name`).
///
/// Rejects what Cassandra rejects when it prepares a type: `frozen<>` around a native type, non-frozen
/// collections or UDTs nested in a non-frozen collection, counters inside collections, durations in sets
/// or as map keys, and vectors of non-positive dimension.
pub(crate) fn parse_type(s: &str) -> Result<CqlType, TypeParseError> {
    let err = |reason: String| TypeParseError { text: s.to_string(), reason };
    let mut parser = Parser { rest: s };
    let t = parser.parse().map_err(err)?;
    parser.skip_ws();
    if !parser.rest.is_empty() {
        return Err(err(format!("unexpected '{}' after the type", parser.rest)));
    }
    check_nesting(&t).map_err(err)?;
    Ok(t)
}

struct Parser<'a> {
    rest: &'a str,
}

impl<'a> Parser<'a> {
    fn skip_ws(&mut self) {
        self.rest = self.rest.trim_start();
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.rest.chars().next()
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        match self.peek() {
            Some(found) if found == c => {
                self.rest = &self.rest[c.len_utf8()..];
                Ok(())
            }
            Some(found) => Err(format!("expected '{c}' but found '{found}'")),
            None => Err(format!("expected '{c}' but the text ended")),
        }
    }

    fn word(&mut self) -> Option<&'a str> {
        self.skip_ws();
        let end = self.rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(self.rest.len());
        if end == 0 {
            return None;
        }
        let (word, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(word)
    }

    /// A string delimited by `quote`, where a doubled quote stands for one.
    fn quoted(&mut self, quote: char) -> Result<String, String> {
        self.expect(quote)?;
        let mut out = String::new();
        let mut chars = self.rest.char_indices();
        while let Some((i, c)) = chars.next() {
            if c == quote {
                if self.rest[i + 1..].starts_with(quote) {
                    out.push(quote);
                    chars.next();
                } else {
                    self.rest = &self.rest[i + 1..];
                    return Ok(out);
                }
            } else {
                out.push(c);
            }
        }
        Err(format!("unterminated {quote}-quoted name"))
    }

    fn identifier(&mut self) -> Result<String, String> {
        if self.peek() == Some('"') {
            self.quoted('"')
        } else {
            self.word().map(str::to_ascii_lowercase).ok_or_else(|| "expected a type name".to_string())
        }
    }

    fn angle<T>(&mut self, inner: impl FnOnce(&mut Self) -> Result<T, String>) -> Result<T, String> {
        self.expect('<')?;
        let t = inner(self)?;
        self.expect('>')?;
        Ok(t)
    }

    fn parse(&mut self) -> Result<CqlType, String> {
        match self.peek() {
            None => return Err("expected a type".to_string()),
            Some('\'') => return self.quoted('\'').map(CqlType::Custom),
            Some('"') => return self.udt(),
            Some(_) => {}
        }
        let before = self.rest;
        let word = self.word().ok_or_else(|| format!("unexpected '{}'", self.rest))?;
        let lower = word.to_ascii_lowercase();
        // A keyword not followed by '<' is a UDT with that name (e.g. a type called "list").
        let generic = self.peek() == Some('<');
        match lower.as_str() {
            "frozen" if generic => self.angle(Self::parse).and_then(freeze),
            "list" if generic => {
                self.angle(Self::parse).map(|element| CqlType::List { element: Box::new(element), frozen: false })
            }
            "set" if generic => {
                self.angle(Self::parse).map(|element| CqlType::Set { element: Box::new(element), frozen: false })
            }
            "map" if generic => self.angle(|p| {
                let key = p.parse()?;
                p.expect(',')?;
                let value = p.parse()?;
                Ok(CqlType::Map { key: Box::new(key), value: Box::new(value), frozen: false })
            }),
            "tuple" if generic => self.angle(|p| {
                let mut components = vec![p.parse()?.frozen_deep()];
                while p.peek() == Some(',') {
                    p.expect(',')?;
                    components.push(p.parse()?.frozen_deep());
                }
                Ok(CqlType::Tuple(components))
            }),
            "vector" if generic => self.angle(|p| {
                let element = p.parse()?;
                p.expect(',')?;
                let digits = p.word().ok_or_else(|| "expected the vector dimension".to_string())?;
                let dimension: u32 = digits.parse().map_err(|_| format!("invalid vector dimension '{digits}'"))?;
                if dimension == 0 {
                    return Err(format!("vectors may only have positive dimensions; given {dimension}"));
                }
                Ok(CqlType::Vector { element: Box::new(element), dimension })
            }),
            _ => match NativeType::from_name(&lower) {
                Some(native) => Ok(CqlType::Native(native)),
                None => {
                    self.rest = before;
                    self.udt()
                }
            },
        }
    }

    fn udt(&mut self) -> Result<CqlType, String> {
        let first = self.identifier()?;
        let (keyspace, name) = if self.peek() == Some('.') {
            self.expect('.')?;
            (first, self.identifier()?)
        } else {
            (String::new(), first)
        };
        Ok(CqlType::Udt { keyspace, name, fields: vec![], frozen: false })
    }
}

fn freeze(t: CqlType) -> Result<CqlType, String> {
    match t {
        CqlType::Native(_) | CqlType::Custom(_) => {
            Err(format!("frozen<> is only allowed on collections, tuples, and user-defined types (got {t})"))
        }
        CqlType::Vector { .. } => Ok(t),
        other => Ok(other.frozen_deep()),
    }
}

/// The rules Cassandra applies when it prepares a collection type.
fn check_nesting(t: &CqlType) -> Result<(), String> {
    let nested_non_frozen = |inner: &CqlType| -> Result<(), String> {
        match inner {
            CqlType::Udt { frozen: false, .. } => {
                Err(format!("Non-frozen UDTs are not allowed inside collections: {t}"))
            }
            i if i.is_multi_cell() => Err(format!("Non-frozen collections are not allowed inside collections: {t}")),
            _ => Ok(()),
        }
    };
    let no_counter = |inner: &CqlType| {
        if inner.is_counter() {
            Err(format!("Counters are not allowed inside collections: {t}"))
        } else {
            Ok(())
        }
    };
    let is_duration = |inner: &CqlType| matches!(inner, CqlType::Native(NativeType::Duration));
    match t {
        CqlType::List { element, frozen } => {
            if !frozen {
                nested_non_frozen(element)?;
            }
            no_counter(element)?;
            check_nesting(element)
        }
        CqlType::Set { element, frozen } => {
            if !frozen {
                nested_non_frozen(element)?;
            }
            no_counter(element)?;
            if is_duration(element) {
                return Err(format!("Durations are not allowed inside sets: {t}"));
            }
            check_nesting(element)
        }
        CqlType::Map { key, value, frozen } => {
            if !frozen {
                nested_non_frozen(key)?;
                nested_non_frozen(value)?;
            }
            no_counter(key)?;
            no_counter(value)?;
            if is_duration(key) {
                return Err(format!("Durations are not allowed as map keys: {t}"));
            }
            check_nesting(key)?;
            check_nesting(value)
        }
        CqlType::Tuple(components) => components.iter().try_for_each(check_nesting),
        CqlType::Udt { fields, .. } => fields.iter().try_for_each(|(_, f)| check_nesting(f)),
        CqlType::Vector { element, .. } => check_nesting(element),
        CqlType::Native(_) | CqlType::Custom(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn udt(name: &str, frozen: bool) -> CqlType {
        CqlType::Udt { keyspace: String::new(), name: name.into(), fields: vec![], frozen }
    }

    fn parse(s: &str) -> CqlType {
        s.parse().unwrap()
    }

    #[test]
    fn native_types_print_lower_case() {
        assert_eq!(CqlType::Native(NativeType::Timeuuid).to_string(), "timeuuid");
    }

    #[test]
    fn list_prints_with_angle_brackets() {
        assert_eq!(CqlType::list(CqlType::INT).to_string(), "list<int>");
    }

    #[test]
    fn frozen_list_prints_wrapped_in_frozen() {
        assert_eq!(CqlType::list(CqlType::INT).frozen().to_string(), "frozen<list<int>>");
    }

    #[test]
    fn map_separates_key_and_value_with_comma_and_space() {
        assert_eq!(CqlType::map(CqlType::TEXT, CqlType::INT).to_string(), "map<text, int>");
    }

    #[test]
    fn set_of_frozen_map_prints_inner_frozen() {
        let t = CqlType::set(CqlType::map(CqlType::INT, CqlType::TEXT).frozen());
        assert_eq!(t.to_string(), "set<frozen<map<int, text>>>");
    }

    #[test]
    fn tuple_always_prints_frozen() {
        assert_eq!(CqlType::Tuple(vec![CqlType::INT, CqlType::TEXT]).to_string(), "frozen<tuple<int, text>>");
    }

    #[test]
    fn vector_prints_element_and_dimension() {
        let t = CqlType::Vector { element: Box::new(CqlType::Native(NativeType::Float)), dimension: 3 };
        assert_eq!(t.to_string(), "vector<float, 3>");
    }

    #[test]
    fn udt_prints_its_bare_name() {
        assert_eq!(udt("address", false).to_string(), "address");
    }

    #[test]
    fn frozen_udt_prints_wrapped_in_frozen() {
        assert_eq!(udt("address", true).to_string(), "frozen<address>");
    }

    #[test]
    fn udt_name_needing_quotes_is_double_quoted() {
        assert_eq!(udt("Address", true).to_string(), "frozen<\"Address\">");
    }

    #[test]
    fn custom_type_prints_its_class_in_single_quotes() {
        let t = CqlType::Custom("org.apache.cassandra.db.marshal.DateType".into());
        assert_eq!(t.to_string(), "'org.apache.cassandra.db.marshal.DateType'");
    }

    #[test]
    fn varchar_parses_as_text() {
        assert_eq!(parse("varchar"), CqlType::TEXT);
    }

    #[test]
    fn parsing_ignores_case_and_whitespace() {
        assert_eq!(parse(" MAP < Text ,INT > "), CqlType::map(CqlType::TEXT, CqlType::INT));
    }

    #[test]
    fn frozen_freezes_nested_collections() {
        let t = parse("frozen<list<set<int>>>");
        assert_eq!(t, CqlType::list(CqlType::set(CqlType::INT).frozen()).frozen());
    }

    #[test]
    fn tuple_parses_with_or_without_frozen() {
        let expected = CqlType::Tuple(vec![CqlType::INT, CqlType::TEXT]);
        assert_eq!(parse("tuple<int, text>"), expected);
        assert_eq!(parse("frozen<tuple<int, text>>"), expected);
    }

    #[test]
    fn tuple_components_are_frozen() {
        assert_eq!(parse("tuple<list<int>>"), CqlType::Tuple(vec![CqlType::list(CqlType::INT).frozen()]));
    }

    #[test]
    fn unknown_word_parses_as_unresolved_udt() {
        assert_eq!(parse("frozen<Address>"), udt("address", true));
    }

    #[test]
    fn quoted_udt_name_keeps_its_case() {
        assert_eq!(parse("frozen<\"Address\">"), udt("Address", true));
    }

    #[test]
    fn keyspace_qualified_udt_keeps_its_keyspace() {
        let expected = CqlType::Udt { keyspace: "ks".into(), name: "addr".into(), fields: vec![], frozen: false };
        assert_eq!(parse("ks.addr"), expected);
    }

    #[test]
    fn custom_type_parses_from_single_quotes() {
        assert_eq!(parse("'a.B'"), CqlType::Custom("a.B".into()));
    }

    #[test]
    fn vector_parses_dimension() {
        let expected = CqlType::Vector { element: Box::new(CqlType::Native(NativeType::Float)), dimension: 3 };
        assert_eq!(parse("vector<float, 3>"), expected);
    }

    #[test]
    fn canonical_text_round_trips() {
        for text in [
            "int",
            "list<int>",
            "frozen<list<int>>",
            "map<text, frozen<list<int>>>",
            "set<frozen<map<int, text>>>",
            "frozen<tuple<int, text>>",
            "list<frozen<tuple<int, frozen<list<text>>>>>",
            "vector<float, 3>",
            "frozen<address>",
            "map<text, frozen<\"Address\">>",
            "'org.apache.cassandra.db.marshal.DateType'",
        ] {
            assert_eq!(parse(text).to_string(), text);
        }
    }

    #[test]
    fn frozen_native_type_is_rejected() {
        let err = "frozen<int>".parse::<CqlType>().unwrap_err();
        assert_eq!(err.reason, "frozen<> is only allowed on collections, tuples, and user-defined types (got int)");
    }

    #[test]
    fn non_frozen_collection_inside_collection_is_rejected() {
        let err = "list<list<int>>".parse::<CqlType>().unwrap_err();
        assert_eq!(err.reason, "Non-frozen collections are not allowed inside collections: list<list<int>>");
    }

    #[test]
    fn non_frozen_udt_inside_collection_is_rejected() {
        let err = "set<address>".parse::<CqlType>().unwrap_err();
        assert_eq!(err.reason, "Non-frozen UDTs are not allowed inside collections: set<address>");
    }

    #[test]
    fn counter_inside_collection_is_rejected() {
        assert!("list<counter>".parse::<CqlType>().is_err());
    }

    #[test]
    fn duration_map_key_is_rejected() {
        let err = "map<duration, int>".parse::<CqlType>().unwrap_err();
        assert_eq!(err.reason, "Durations are not allowed as map keys: map<duration, int>");
    }

    #[test]
    fn trailing_text_is_rejected() {
        assert!("int int".parse::<CqlType>().is_err());
    }

    #[test]
    fn unclosed_generic_is_rejected() {
        assert!("list<int".parse::<CqlType>().is_err());
    }

    #[test]
    fn empty_text_is_rejected() {
        assert!("".parse::<CqlType>().is_err());
    }

    #[test]
    fn zero_dimension_vector_is_rejected() {
        assert!("vector<float, 0>".parse::<CqlType>().is_err());
    }
}
