//! Secondary indexes: their definitions in the schema (Cassandra's `IndexMetadata` and index
//! targets), which restrictions each kind of index answers, the DDL that creates and drops them
//! (`ddl`), the hidden storage tables that hold their entries (`entries`) and vector similarity for
//! ANN ordering (`vector`).
//!
//! Two implementations exist, as in Cassandra 5.0: the legacy index (`CREATE INDEX`, kind
//! `COMPOSITES`), which answers one restriction per query, and the storage-attached index
//! (`USING 'sai'`, kind `CUSTOM`), whose indexes on one table answer their restrictions together.

pub mod ddl;
pub mod entries;
pub mod vector;

use std::collections::BTreeMap;

use cql_parser::ast::Operator;
use cql_types::{CqlType, NativeType};
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;

use crate::schema::{quote_identifier, Column, Table};

/// The canonical class of storage-attached indexes.
pub const SAI_CLASS: &str = "org.apache.cassandra.index.sai.StorageAttachedIndex";
/// The SASI class, refused as a Cassandra 5.0 node with its default configuration refuses it.
pub const SASI_CLASS: &str = "org.apache.cassandra.index.sasi.SASIIndex";

/// What part of a column an index covers (Cassandra's `IndexTarget.Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Simple,
    Values,
    Keys,
    Entries,
    Full,
}

impl TargetKind {
    /// As Cassandra prints it in targets and messages (`IndexTarget.Type.toString`).
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Simple => "",
            TargetKind::Values => "values",
            TargetKind::Keys => "keys",
            TargetKind::Entries => "entries",
            TargetKind::Full => "full",
        }
    }
}

/// `system_schema.indexes.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    Composites,
    Custom,
}

impl IndexKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IndexKind::Composites => "COMPOSITES",
            IndexKind::Custom => "CUSTOM",
        }
    }
    pub fn parse(s: &str) -> Option<IndexKind> {
        match s {
            "COMPOSITES" => Some(IndexKind::Composites),
            "CUSTOM" => Some(IndexKind::Custom),
            _ => None,
        }
    }
}

/// One index of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexDef {
    pub name: String,
    pub kind: IndexKind,
    /// The indexed column.
    pub column: String,
    pub target: TargetKind,
    /// As `system_schema.indexes.options` shows them: `target`, and for custom indexes `class_name`
    /// (as written) and the `WITH OPTIONS` given.
    pub options: BTreeMap<String, String>,
    /// The hidden storage table holding the index's entries.
    pub storage_id: Uuid,
}

/// SAI's non-tokenizing analysis of text values (`case_sensitive`, `ascii`, `normalize` options):
/// indexed values and query values are compared after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Analyzer {
    pub lowercase: bool,
    pub normalize: bool,
    pub ascii: bool,
}

impl Analyzer {
    /// The analyzed form of a UTF-8 value (other bytes are kept as they are).
    pub fn apply(&self, value: &[u8]) -> bytes::Bytes {
        let Ok(text) = std::str::from_utf8(value) else { return bytes::Bytes::copy_from_slice(value) };
        let mut out: String = if self.normalize { text.nfc().collect() } else { text.to_string() };
        if self.lowercase {
            out = out.to_lowercase();
        }
        if self.ascii {
            out = out.chars().map(fold_to_ascii).collect();
        }
        bytes::Bytes::from(out.into_bytes())
    }
}

/// Latin-1 letters without their accents (the common cases of Lucene's ASCII folding).
fn fold_to_ascii(c: char) -> char {
    match c {
        'À'..='Å' => 'A',
        'à'..='å' => 'a',
        'Ç' => 'C',
        'ç' => 'c',
        'È'..='Ë' => 'E',
        'è'..='ë' => 'e',
        'Ì'..='Ï' => 'I',
        'ì'..='ï' => 'i',
        'Ñ' => 'N',
        'ñ' => 'n',
        'Ò'..='Ö' | 'Ø' => 'O',
        'ò'..='ö' | 'ø' => 'o',
        'Ù'..='Ü' => 'U',
        'ù'..='ü' => 'u',
        'Ý' => 'Y',
        'ý' | 'ÿ' => 'y',
        other => other,
    }
}

/// How a similarity is computed for ANN ordering (SAI's `similarity_function`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Similarity {
    Euclidean,
    DotProduct,
    Cosine,
}

impl IndexDef {
    /// The `target` option: the column, or `kind(column)`.
    pub fn target_text(column: &str, target: TargetKind) -> String {
        match target {
            TargetKind::Simple => quote_identifier(column),
            k => format!("{}({})", k.as_str(), quote_identifier(column)),
        }
    }

    /// The class named by `USING`, if any.
    pub fn class_name(&self) -> Option<&str> {
        self.options.get("class_name").map(String::as_str)
    }

    /// A storage-attached index (`'sai'`, `'StorageAttachedIndex'` or the full class name).
    pub fn is_sai(&self) -> bool {
        self.kind == IndexKind::Custom && self.class_name().map(is_sai_class).unwrap_or(false)
    }

    /// Cassandra's `IndexMetadata.equalsWithoutName`: same kind and options.
    pub fn same_definition(&self, other: &IndexDef) -> bool {
        self.kind == other.kind && self.options == other.options
    }

    /// The text analysis of an SAI index whose options ask for one.
    pub fn analyzer(&self) -> Option<Analyzer> {
        if !self.is_sai() {
            return None;
        }
        let flag = |k: &str| self.options.get(k).map(|v| v.eq_ignore_ascii_case("true"));
        let lowercase = flag("case_sensitive") == Some(false);
        let normalize = flag("normalize") == Some(true);
        let ascii = flag("ascii") == Some(true);
        (lowercase || normalize || ascii).then_some(Analyzer { lowercase, normalize, ascii })
    }

    /// The vector similarity of an SAI index on a vector column (COSINE unless set).
    pub fn similarity(&self) -> Similarity {
        match self.options.get("similarity_function").map(|s| s.to_ascii_uppercase()).as_deref() {
            Some("EUCLIDEAN") => Similarity::Euclidean,
            Some("DOT_PRODUCT") => Similarity::DotProduct,
            _ => Similarity::Cosine,
        }
    }

    /// `CREATE [CUSTOM] INDEX …;` as DESCRIBE prints it (`IndexMetadata.appendCqlTo`).
    pub fn create_statement(&self, table: &Table) -> String {
        let on = format!("{}.{}", quote_identifier(&table.keyspace), quote_identifier(&table.name));
        let target = self.options.get("target").cloned().unwrap_or_default();
        match self.kind {
            IndexKind::Custom => {
                let mut rest = self.options.clone();
                rest.remove("target");
                let class = rest.remove("class_name").unwrap_or_default();
                let mut s = format!(
                    "CREATE CUSTOM INDEX {} ON {on} ({target}) USING {}",
                    quote_identifier(&self.name),
                    crate::schema::cql_quote(&class)
                );
                if !rest.is_empty() {
                    s.push_str(" WITH OPTIONS = ");
                    s.push_str(&crate::schema::cql_string_map(&rest));
                }
                s.push(';');
                s
            }
            IndexKind::Composites => {
                format!("CREATE INDEX {} ON {on} ({target});", quote_identifier(&self.name))
            }
        }
    }

    /// Whether this index answers ANN ordering on `column` (an SAI index on a float vector).
    pub fn supports_ann(&self, column: &Column) -> bool {
        column.name == self.column
            && self.is_sai()
            && matches!(&column.typ, CqlType::Vector { element, .. } if **element == CqlType::Native(cql_types::NativeType::Float))
    }

    /// Whether this index also keeps its entries in value order (an SAI index on a non-key column
    /// of a fixed-width ordered type), so a range reads one slice of them. Ranges on other types
    /// it answers (varint, decimal, inet) filter a scan.
    pub fn keeps_value_order(&self, column: &Column) -> bool {
        column.name == self.column
            && self.is_sai()
            && self.target == TargetKind::Simple
            && !column.is_primary_key()
            && matches!(
                column.typ,
                CqlType::Native(
                    NativeType::Tinyint
                        | NativeType::Smallint
                        | NativeType::Int
                        | NativeType::Bigint
                        | NativeType::Float
                        | NativeType::Double
                        | NativeType::Date
                        | NativeType::Time
                        | NativeType::Timestamp
                        | NativeType::Timeuuid
                )
            )
    }

    /// Whether this index answers `op` on `column` (`Index.supportsExpression`). `Eq` on a map
    /// element (`m[k] = v`) is asked as [`Operator::Eq`] with `entry` set.
    pub fn supports(&self, column: &Column, op: Operator, entry: bool) -> bool {
        if column.name != self.column {
            return false;
        }
        let collection = column.typ.is_multi_cell()
            && matches!(column.typ, CqlType::List { .. } | CqlType::Set { .. } | CqlType::Map { .. });
        if entry {
            return self.target == TargetKind::Entries && op == Operator::Eq;
        }
        match self.target {
            TargetKind::Keys => return op == Operator::ContainsKey,
            TargetKind::Values if collection => return op == Operator::Contains,
            TargetKind::Values => return false,
            TargetKind::Entries => return false,
            TargetKind::Full => return op == Operator::Eq,
            TargetKind::Simple => {}
        }
        if matches!(column.typ, CqlType::Vector { .. }) {
            // Vector indexes only answer ANN ordering.
            return false;
        }
        if !self.is_sai() {
            return op == Operator::Eq;
        }
        match op {
            Operator::Eq => true,
            Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte => sai_supports_range(&column.typ),
            _ => false,
        }
    }
}

/// SAI answers ranges on the types it indexes by value, not on literal types (text, ascii,
/// boolean, uuid, blob and frozen values).
fn sai_supports_range(t: &CqlType) -> bool {
    match t {
        CqlType::Native(n) => !matches!(
            n,
            NativeType::Text | NativeType::Ascii | NativeType::Boolean | NativeType::Uuid | NativeType::Blob
        ),
        _ => false,
    }
}

/// The tables of a schema that have indexes, by id.
pub fn indexed_tables(schema: &crate::schema::Schema) -> std::collections::HashMap<Uuid, std::sync::Arc<Table>> {
    schema
        .keyspaces
        .values()
        .flat_map(|k| k.tables.values())
        .filter(|t| !t.indexes.is_empty())
        .map(|t| (t.id, t.clone()))
        .collect()
}

/// True for the names a storage-attached index may be created with.
pub fn is_sai_class(class: &str) -> bool {
    let lower = class.to_ascii_lowercase();
    lower == "sai" || lower == "storageattachedindex" || class == SAI_CLASS
}

/// The index groups of a table (Cassandra's `Index.Group`): each legacy index alone, and all its
/// storage-attached indexes together.
pub fn groups(table: &Table) -> Vec<Vec<&IndexDef>> {
    let mut out: Vec<Vec<&IndexDef>> = Vec::new();
    let sai: Vec<&IndexDef> = table.indexes.iter().filter(|i| i.is_sai()).collect();
    for i in table.indexes.iter().filter(|i| !i.is_sai()) {
        out.push(vec![i]);
    }
    if !sai.is_empty() {
        out.push(sai);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ColumnKind, TableParams};

    fn def(column: &str, target: TargetKind, class: Option<&str>) -> IndexDef {
        let mut options = BTreeMap::new();
        options.insert("target".to_string(), IndexDef::target_text(column, target));
        if let Some(c) = class {
            options.insert("class_name".to_string(), c.to_string());
        }
        IndexDef {
            name: format!("t_{column}_idx"),
            kind: if class.is_some() { IndexKind::Custom } else { IndexKind::Composites },
            column: column.to_string(),
            target,
            options,
            storage_id: Uuid::nil(),
        }
    }

    fn col(name: &str, typ: CqlType) -> Column {
        Column { name: name.into(), typ, kind: ColumnKind::Regular, position: -1, reversed: false }
    }

    #[test]
    fn analysis_lowercases_and_folds_accents_when_asked() {
        let mut i = def("v", TargetKind::Simple, Some("sai"));
        assert_eq!(i.analyzer(), None);
        i.options.insert("case_sensitive".into(), "false".into());
        i.options.insert("ascii".into(), "true".into());
        let a = i.analyzer().unwrap();
        assert_eq!(a.apply("Crème BRÛLÉE".as_bytes()).as_ref(), b"creme brulee");
        assert_eq!(def("v", TargetKind::Simple, None).analyzer(), None);
    }

    #[test]
    fn normalization_makes_canonically_equivalent_text_equal() {
        let mut i = def("v", TargetKind::Simple, Some("sai"));
        i.options.insert("normalize".into(), "true".into());
        let a = i.analyzer().unwrap();
        assert_eq!(a.apply("cafe\u{301}".as_bytes()), a.apply("caf\u{e9}".as_bytes()));
    }

    #[test]
    fn sai_class_names_are_recognized_as_cassandra_resolves_them() {
        assert!(is_sai_class("sai"));
        assert!(is_sai_class("SAI"));
        assert!(is_sai_class("StorageAttachedIndex"));
        assert!(is_sai_class(SAI_CLASS));
        assert!(!is_sai_class("org.example.MyIndex"));
    }

    #[test]
    fn a_legacy_index_answers_equality_only() {
        let i = def("v", TargetKind::Simple, None);
        let c = col("v", CqlType::INT);
        assert!(i.supports(&c, Operator::Eq, false));
        assert!(!i.supports(&c, Operator::Gt, false));
        assert!(!i.supports(&col("w", CqlType::INT), Operator::Eq, false));
    }

    #[test]
    fn sai_answers_ranges_on_numeric_types_but_not_on_text() {
        let i = def("v", TargetKind::Simple, Some("sai"));
        assert!(i.supports(&col("v", CqlType::INT), Operator::Gte, false));
        let t = def("v", TargetKind::Simple, Some("sai"));
        assert!(!t.supports(&col("v", CqlType::TEXT), Operator::Gt, false));
        assert!(t.supports(&col("v", CqlType::TEXT), Operator::Eq, false));
    }

    #[test]
    fn collection_targets_answer_their_own_operator() {
        let m = col("m", CqlType::map(CqlType::INT, CqlType::TEXT));
        assert!(def("m", TargetKind::Keys, None).supports(&m, Operator::ContainsKey, false));
        assert!(def("m", TargetKind::Values, None).supports(&m, Operator::Contains, false));
        assert!(!def("m", TargetKind::Values, None).supports(&m, Operator::ContainsKey, false));
        assert!(def("m", TargetKind::Entries, None).supports(&m, Operator::Eq, true));
    }

    #[test]
    fn describe_prints_custom_options_sorted_and_quoted() {
        let mut i = def("v", TargetKind::Simple, Some("sai"));
        i.options.insert("similarity_function".into(), "DOT_PRODUCT".into());
        let t = Table::new(
            "ks",
            "t",
            Uuid::nil(),
            vec![("k".into(), CqlType::INT)],
            vec![],
            vec![("v".into(), CqlType::INT, false)],
            TableParams::default(),
        );
        assert_eq!(
            i.create_statement(&t),
            "CREATE CUSTOM INDEX t_v_idx ON ks.t (v) USING 'sai' WITH OPTIONS = {'similarity_function': 'DOT_PRODUCT'};"
        );
        assert_eq!(def("v", TargetKind::Keys, None).create_statement(&t), "CREATE INDEX t_v_idx ON ks.t (keys(v));");
    }

    #[test]
    fn legacy_indexes_are_groups_of_one_and_sai_indexes_one_group() {
        let mut t = Table::new(
            "ks",
            "t",
            Uuid::nil(),
            vec![("k".into(), CqlType::INT)],
            vec![],
            vec![("a".into(), CqlType::INT, false), ("b".into(), CqlType::INT, false)],
            TableParams::default(),
        );
        t.indexes = vec![def("a", TargetKind::Simple, None), def("b", TargetKind::Simple, None)];
        assert_eq!(groups(&t).len(), 2);
        t.indexes = vec![def("a", TargetKind::Simple, Some("sai")), def("b", TargetKind::Simple, Some("sai"))];
        assert_eq!(groups(&t).len(), 1);
    }
}
