//! Schema statements: `USE`, keyspaces, tables, user types, indexes, `TRUNCATE`; materialized views
//! (`view`), functions, aggregates and triggers (`udf`) branch off from here.

use crate::input::choice;
use nom::combinator::map;
use nom::sequence::{delimited, pair, preceded, separated_pair, tuple};

use crate::ast::{
    AlterKeyspace, AlterTable, AlterTableAction, AlterType, AlterTypeAction, ColumnDef, CreateIndex, CreateKeyspace,
    CreateTable, CreateType, DropIndex, DropKeyspace, DropTable, DropType, IndexTarget, Literal, Order, PrimaryKey,
    Property, Statement, Term,
};
use crate::input::{
    comma_list1, fail, failure, fatal, flag, kw, kw_keyspace, kw_table, many_, opt_, sep1, sym, Expect, Input, PResult,
};
use crate::lexer::TokenKind;
use crate::modification::if_not_exists_clause;
use crate::names::{cident, ident, index_name, keyspace_name, table_name, user_type_name};
use crate::properties::{check_unique, properties, property};
use crate::types::comparator_type;

/// `IF EXISTS`, if present.
pub(crate) fn if_exists_clause(i: Input<'_>) -> PResult<'_, bool> {
    flag(pair(kw("IF"), kw("EXISTS")))(i)
}

/// `USE keyspace`
pub(crate) fn use_statement(i: Input<'_>) -> PResult<'_, Statement> {
    map(preceded(kw("USE"), keyspace_name), Statement::Use)(i)
}

/// `TRUNCATE [TABLE] table`
pub(crate) fn truncate_statement(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = kw("TRUNCATE")(i)?;
    let (i, _) = opt_(kw_table)(i)?;
    map(table_name, Statement::Truncate)(i)
}

/// `CREATE KEYSPACE | TABLE | TYPE | [CUSTOM] INDEX …`
pub(crate) fn create_statement(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = kw("CREATE")(i)?;
    choice((
        create_keyspace,
        create_table,
        create_type,
        create_index,
        crate::auth::create_role,
        crate::view::create_view,
        crate::udf::create_function_or_aggregate,
        crate::udf::create_trigger,
    ))(i)
}

/// `ALTER KEYSPACE | TABLE | TYPE …`
pub(crate) fn alter_statement(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = kw("ALTER")(i)?;
    choice((alter_keyspace, alter_table, alter_type, crate::auth::alter_role, crate::view::alter_view))(i)
}

/// `DROP KEYSPACE | TABLE | TYPE | INDEX …`
pub(crate) fn drop_statement(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = kw("DROP")(i)?;
    choice((
        |i| {
            let (i, _) = kw_keyspace(i)?;
            let (i, if_exists) = if_exists_clause(i)?;
            let (i, name) = keyspace_name(i)?;
            Ok((i, Statement::DropKeyspace(DropKeyspace { name, if_exists })))
        },
        |i| {
            let (i, _) = kw_table(i)?;
            let (i, if_exists) = if_exists_clause(i)?;
            let (i, name) = table_name(i)?;
            Ok((i, Statement::DropTable(DropTable { name, if_exists })))
        },
        |i| {
            let (i, _) = kw("TYPE")(i)?;
            let (i, if_exists) = if_exists_clause(i)?;
            let (i, name) = user_type_name(i)?;
            Ok((i, Statement::DropType(DropType { name, if_exists })))
        },
        |i| {
            let (i, _) = kw("INDEX")(i)?;
            let (i, if_exists) = if_exists_clause(i)?;
            let (i, name) = index_name(i)?;
            Ok((i, Statement::DropIndex(DropIndex { name, if_exists })))
        },
        crate::auth::drop_role,
        crate::view::drop_view,
        crate::udf::drop_function_or_aggregate,
        crate::udf::drop_trigger,
    ))(i)
}

/// `KEYSPACE [IF NOT EXISTS] ks WITH properties`
fn create_keyspace(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = kw_keyspace(i)?;
    let (i, if_not_exists) = if_not_exists_clause(i)?;
    let (i, name) = keyspace_name(i)?;
    let (i, properties) = preceded(kw("WITH"), properties)(i)?;
    Ok((i, Statement::CreateKeyspace(CreateKeyspace { name, if_not_exists, properties })))
}

/// `KEYSPACE [IF EXISTS] ks WITH properties`
fn alter_keyspace(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = kw_keyspace(i)?;
    let (i, if_exists) = if_exists_clause(i)?;
    let (i, name) = keyspace_name(i)?;
    let (i, properties) = preceded(kw("WITH"), properties)(i)?;
    Ok((i, Statement::AlterKeyspace(AlterKeyspace { name, if_exists, properties })))
}

/// One element between the parentheses of `CREATE TABLE`.
enum TableElement {
    Column(ColumnDef),
    PrimaryKey(PrimaryKey),
}

/// What may follow `WITH` in `CREATE TABLE`.
enum TableOption {
    ClusteringOrder(Vec<(String, Order)>),
    CompactStorage,
    Property(Property),
}

/// `TABLE [IF NOT EXISTS] t (columns…, PRIMARY KEY (…)) [WITH options AND …]`
fn create_table(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = kw_table(i)?;
    let (i, if_not_exists) = if_not_exists_clause(i)?;
    let (i, name) = table_name(i)?;
    let (i, _) = sym("(")(i)?;
    let elements_start = i.pos;
    let (i, first) = table_element(i)?;
    // A trailing comma is allowed: `(a int, b int,)`.
    let (i, rest) = many_(preceded(sym(","), opt_(table_element)))(i)?;
    let (i, _) = sym(")")(i)?;
    let mut columns = Vec::new();
    let mut primary_key = None;
    for element in std::iter::once(first).chain(rest.into_iter().flatten()) {
        match element {
            TableElement::Column(c) => columns.push(c),
            TableElement::PrimaryKey(_) if primary_key.is_some() => {
                return fatal(elements_start, "Multiple PRIMARY KEYs specified (exactly one required)");
            }
            TableElement::PrimaryKey(pk) => primary_key = Some(pk),
        }
    }
    let options_start = i.pos;
    let (i, options) = opt_(preceded(kw("WITH"), sep1(table_option, kw("AND"))))(i)?;
    let mut clustering_order = Vec::new();
    let mut compact_storage = false;
    let mut properties = Vec::new();
    for option in options.unwrap_or_default() {
        match option {
            TableOption::ClusteringOrder(order) => clustering_order.extend(order),
            TableOption::CompactStorage => compact_storage = true,
            TableOption::Property(p) => properties.push(p),
        }
    }
    check_unique(options_start, &properties)?;
    Ok((
        i,
        Statement::CreateTable(CreateTable {
            name,
            if_not_exists,
            columns,
            primary_key,
            clustering_order,
            compact_storage,
            properties,
        }),
    ))
}

fn table_element(i: Input<'_>) -> PResult<'_, TableElement> {
    choice((map(primary_key_clause, TableElement::PrimaryKey), map(column_definition, TableElement::Column)))(i)
}

/// `name type [STATIC] [PRIMARY KEY]`
fn column_definition(i: Input<'_>) -> PResult<'_, ColumnDef> {
    let (i, name) = ident(i)?;
    let (i, typ) = comparator_type(i)?;
    let (i, is_static) = flag(kw("STATIC"))(i)?;
    let (i, primary_key) = flag(pair(kw("PRIMARY"), kw("KEY")))(i)?;
    Ok((i, ColumnDef { name, typ, is_static, primary_key }))
}

/// `PRIMARY KEY (pk, c1, c2)` or `PRIMARY KEY ((pk1, pk2), c1, …)`
pub(crate) fn primary_key_clause(i: Input<'_>) -> PResult<'_, PrimaryKey> {
    let (i, _) = pair(kw("PRIMARY"), kw("KEY"))(i)?;
    let (i, _) = sym("(")(i)?;
    let (i, partition_key) = choice((delimited(sym("("), comma_list1(ident), sym(")")), map(ident, |k| vec![k])))(i)?;
    let (i, clustering) = many_(preceded(sym(","), ident))(i)?;
    let (i, _) = sym(")")(i)?;
    Ok((i, PrimaryKey { partition_key, clustering }))
}

fn table_option(i: Input<'_>) -> PResult<'_, TableOption> {
    choice((
        map(pair(kw("COMPACT"), kw("STORAGE")), |_| TableOption::CompactStorage),
        map(
            preceded(
                tuple((kw("CLUSTERING"), kw("ORDER"), kw("BY"))),
                delimited(sym("("), comma_list1(clustering_order), sym(")")),
            ),
            TableOption::ClusteringOrder,
        ),
        map(property, TableOption::Property),
    ))(i)
}

/// `c ASC` or `c DESC` (the direction is required here).
pub(crate) fn clustering_order(i: Input<'_>) -> PResult<'_, (String, Order)> {
    pair(ident, choice((map(kw("ASC"), |_| Order::Asc), map(kw("DESC"), |_| Order::Desc))))(i)
}

/// `name type [STATIC]` in `ALTER TABLE … ADD`.
fn added_column(i: Input<'_>) -> PResult<'_, ColumnDef> {
    let (i, name) = ident(i)?;
    let (i, typ) = comparator_type(i)?;
    let (i, is_static) = flag(kw("STATIC"))(i)?;
    Ok((i, ColumnDef { name, typ, is_static, primary_key: false }))
}

/// `TABLE [IF EXISTS] t ALTER c TYPE t | ADD … | DROP … | RENAME … | WITH …`
fn alter_table(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = kw_table(i)?;
    let (i, if_exists) = if_exists_clause(i)?;
    let (i, name) = table_name(i)?;
    let (i, action) = choice((
        |i| {
            let (i, _) = kw("ALTER")(i)?;
            let (i, column) = cident(i)?;
            let (i, _) = kw("TYPE")(i)?;
            let (i, typ) = comparator_type(i)?;
            Ok((i, AlterTableAction::AlterType { column, typ }))
        },
        |i| {
            let (i, _) = kw("ADD")(i)?;
            let (i, if_not_exists) = if_not_exists_clause(i)?;
            let (i, columns) =
                choice((delimited(sym("("), comma_list1(added_column), sym(")")), map(added_column, |c| vec![c])))(i)?;
            Ok((i, AlterTableAction::Add { if_not_exists, columns }))
        },
        alter_table_drop,
        |i| {
            let (i, _) = kw("RENAME")(i)?;
            let (i, if_exists) = if_exists_clause(i)?;
            let (i, renames) = sep1(separated_pair(ident, kw("TO"), ident), kw("AND"))(i)?;
            Ok((i, AlterTableAction::Rename { if_exists, renames }))
        },
        map(preceded(kw("WITH"), properties), AlterTableAction::With),
    ))(i)?;
    Ok((i, Statement::AlterTable(AlterTable { name, if_exists, action })))
}

/// `DROP [IF EXISTS] c | (c, …) [USING TIMESTAMP n]`
fn alter_table_drop(i: Input<'_>) -> PResult<'_, AlterTableAction> {
    if i.is_kw("DROP") && i.advance().is_kw("COMPACT") && i.advance().advance().is_kw("STORAGE") {
        return fatal(i.pos, "ALTER TABLE ... DROP COMPACT STORAGE is not supported");
    }
    let (i, _) = kw("DROP")(i)?;
    let (i, if_exists) = if_exists_clause(i)?;
    let (i, columns) = choice((delimited(sym("("), comma_list1(ident), sym(")")), map(ident, |c| vec![c])))(i)?;
    let (i, timestamp) = opt_(preceded(pair(kw("USING"), kw("TIMESTAMP")), integer))(i)?;
    Ok((i, AlterTableAction::Drop { if_exists, columns, timestamp }))
}

/// An integer literal (no bind marker).
fn integer(i: Input<'_>) -> PResult<'_, Term> {
    let t = i.token();
    if t.kind == TokenKind::Integer {
        Ok((i.advance(), Term::Literal(Literal { kind: cql_types::LiteralKind::Integer, text: t.text.clone() })))
    } else {
        fail(i, Expect::Integer)
    }
}

/// `TYPE [IF NOT EXISTS] name (field type, …)`
fn create_type(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = kw("TYPE")(i)?;
    let (i, if_not_exists) = if_not_exists_clause(i)?;
    let (i, name) = user_type_name(i)?;
    let (i, _) = sym("(")(i)?;
    let field = |i| pair(ident, comparator_type)(i);
    let (i, first) = field(i)?;
    // A trailing comma is allowed, as for tables.
    let (i, rest) = many_(preceded(sym(","), opt_(field)))(i)?;
    let (i, _) = sym(")")(i)?;
    let fields = std::iter::once(first).chain(rest.into_iter().flatten()).collect();
    Ok((i, Statement::CreateType(CreateType { name, if_not_exists, fields })))
}

/// `TYPE [IF EXISTS] name ADD [IF NOT EXISTS] field type | RENAME [IF EXISTS] f TO g AND …`
fn alter_type(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = kw("TYPE")(i)?;
    let (i, if_exists) = if_exists_clause(i)?;
    let (i, name) = user_type_name(i)?;
    let (i, action) = choice((
        |i| {
            let (i, _) = kw("ADD")(i)?;
            let (i, if_not_exists) = if_not_exists_clause(i)?;
            let (i, field) = ident(i)?;
            let (i, typ) = comparator_type(i)?;
            Ok((i, AlterTypeAction::Add { if_not_exists, field, typ }))
        },
        |i| {
            let (i, _) = kw("RENAME")(i)?;
            let (i, if_exists) = if_exists_clause(i)?;
            let (i, renames) = sep1(separated_pair(ident, kw("TO"), ident), kw("AND"))(i)?;
            Ok((i, AlterTypeAction::Rename { if_exists, renames }))
        },
        |i: Input<'_>| {
            // Cassandra parses `ALTER field TYPE type` and then refuses it.
            let start = i.pos;
            let (_, _) = tuple((kw("ALTER"), ident, kw("TYPE"), comparator_type))(i)?;
            fatal(start, "Altering field types is no longer supported")
        },
    ))(i)?;
    Ok((i, Statement::AlterType(AlterType { name, if_exists, action })))
}

/// `[CUSTOM] INDEX [IF NOT EXISTS] [name] ON t (targets) [USING 'class'] [WITH properties]`
fn create_index(i: Input<'_>) -> PResult<'_, Statement> {
    let start = i.pos;
    let (i, custom) = flag(kw("CUSTOM"))(i)?;
    let (i, _) = kw("INDEX")(i)?;
    let (i, if_not_exists) = if_not_exists_clause(i)?;
    let (i, name) = opt_(index_name)(i)?;
    let (i, _) = kw("ON")(i)?;
    let (i, table) = table_name(i)?;
    let (i, _) = sym("(")(i)?;
    let (i, targets) = opt_(comma_list1(index_target))(i)?;
    let (i, _) = sym(")")(i)?;
    let (i, custom_class) = opt_(preceded(kw("USING"), string))(i)?;
    let (i, properties) = opt_(preceded(kw("WITH"), properties))(i)?;
    if custom && custom_class.is_none() {
        return Err(failure(start, "CUSTOM index requires specifying the index class"));
    }
    Ok((
        i,
        Statement::CreateIndex(CreateIndex {
            custom,
            keyspace: name.as_ref().and_then(|n| n.keyspace.clone()),
            name: name.map(|n| n.name),
            if_not_exists,
            table,
            targets: targets.unwrap_or_default(),
            custom_class,
            properties: properties.unwrap_or_default(),
        }),
    ))
}

/// `c`, `keys(c)`, `values(c)`, `entries(c)` or `full(c)`
fn index_target(i: Input<'_>) -> PResult<'_, IndexTarget> {
    let wrapped = |word: &'static str, make: fn(String) -> IndexTarget| {
        map(preceded(kw(word), delimited(sym("("), cident, sym(")"))), make)
    };
    choice((
        wrapped("VALUES", IndexTarget::Values),
        wrapped("KEYS", IndexTarget::Keys),
        wrapped("ENTRIES", IndexTarget::Entries),
        wrapped("FULL", IndexTarget::Full),
        map(cident, IndexTarget::Column),
    ))(i)
}

/// A string literal's content.
pub(crate) fn string(i: Input<'_>) -> PResult<'_, String> {
    let t = i.token();
    if t.kind == TokenKind::Str {
        Ok((i.advance(), t.text.clone()))
    } else {
        fail(i, Expect::Str)
    }
}

#[cfg(test)]
mod tests {
    use crate::ast::{AlterTableAction, IndexTarget, Order, PrimaryKey, PropertyValue, Statement, TypeExpr};
    use crate::parse_statement;
    use cql_types::NativeType;

    fn parse(src: &str) -> Statement {
        parse_statement(src).unwrap_or_else(|e| panic!("{src}: {e}"))
    }

    #[test]
    fn create_keyspace_with_replication_map() {
        let Statement::CreateKeyspace(k) = parse(
            "CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'SimpleStrategy'} AND durable_writes = true",
        ) else {
            panic!()
        };
        assert!(k.if_not_exists);
        assert!(matches!(&k.properties[0].value, PropertyValue::Map(m) if m.len() == 1));
        assert_eq!(k.properties[1].name, "durable_writes");
    }

    #[test]
    fn create_table_with_compound_key_and_options() {
        let Statement::CreateTable(t) = parse(
            "CREATE TABLE t (a int, b int, c int, s int STATIC, PRIMARY KEY ((a, b), c)) \
             WITH CLUSTERING ORDER BY (c DESC) AND COMPACT STORAGE AND comment = 'x'",
        ) else {
            panic!()
        };
        assert_eq!(
            t.primary_key,
            Some(PrimaryKey { partition_key: vec!["a".into(), "b".into()], clustering: vec!["c".into()] })
        );
        assert!(t.columns[3].is_static);
        assert_eq!(t.clustering_order, [("c".to_string(), Order::Desc)]);
        assert!(t.compact_storage);
        assert_eq!(t.properties.len(), 1);
    }

    #[test]
    fn inline_primary_key() {
        let Statement::CreateTable(t) = parse("CREATE TABLE t (k int PRIMARY KEY, v text)") else { panic!() };
        assert!(t.columns[0].primary_key && t.primary_key.is_none());
    }

    #[test]
    fn columnfamily_is_a_synonym_of_table() {
        assert!(matches!(parse("CREATE COLUMNFAMILY t (k int PRIMARY KEY)"), Statement::CreateTable(_)));
    }

    #[test]
    fn clustering_order_requires_a_direction() {
        assert!(
            parse_statement("CREATE TABLE t (k int, c int, PRIMARY KEY (k, c)) WITH CLUSTERING ORDER BY (c)").is_err()
        );
    }

    #[test]
    fn alter_table_actions() {
        let action = |src: &str| match parse(src) {
            Statement::AlterTable(a) => a.action,
            other => panic!("{other:?}"),
        };
        assert!(
            matches!(action("ALTER TABLE t ADD (a int, b text)"), AlterTableAction::Add { columns, .. } if columns.len() == 2)
        );
        assert!(matches!(
            action("ALTER TABLE t DROP a USING TIMESTAMP 5"),
            AlterTableAction::Drop { timestamp: Some(_), .. }
        ));
        assert!(
            matches!(action("ALTER TABLE t RENAME a TO b AND c TO d"), AlterTableAction::Rename { renames, .. } if renames.len() == 2)
        );
        assert!(matches!(action("ALTER TABLE t ALTER a TYPE text"), AlterTableAction::AlterType { .. }));
        assert!(matches!(action("ALTER TABLE t WITH comment = 'c'"), AlterTableAction::With(p) if p.len() == 1));
    }

    #[test]
    fn create_type_fields() {
        let Statement::CreateType(t) = parse("CREATE TYPE ks.addr (street text, zip int)") else { panic!() };
        assert_eq!(
            t.fields,
            vec![
                ("street".into(), TypeExpr::Native(NativeType::Text)),
                ("zip".into(), TypeExpr::Native(NativeType::Int))
            ]
        );
    }

    #[test]
    fn index_targets() {
        let Statement::CreateIndex(i) = parse("CREATE INDEX ON t (keys(m), values(l), entries(e), full(f), c)") else {
            panic!()
        };
        assert_eq!(
            i.targets,
            vec![
                IndexTarget::Keys("m".into()),
                IndexTarget::Values("l".into()),
                IndexTarget::Entries("e".into()),
                IndexTarget::Full("f".into()),
                IndexTarget::Column("c".into()),
            ]
        );
    }

    #[test]
    fn index_names_may_name_their_keyspace() {
        let Statement::CreateIndex(i) = parse("CREATE INDEX ks.i ON t (v)") else { panic!() };
        assert_eq!((i.keyspace.as_deref(), i.name.as_deref()), (Some("ks"), Some("i")));
        let Statement::CreateIndex(i) = parse("CREATE INDEX ON ks.t (v)") else { panic!() };
        assert_eq!((i.keyspace, i.name), (None, None));
    }

    #[test]
    fn custom_index_with_class_and_options() {
        let Statement::CreateIndex(i) = parse("CREATE CUSTOM INDEX i ON t (v) USING 'sai' WITH OPTIONS = {'a': 'b'}")
        else {
            panic!()
        };
        assert_eq!((i.name.as_deref(), i.custom_class.as_deref()), (Some("i"), Some("sai")));
        assert_eq!(i.properties[0].name, "options");
    }

    #[test]
    fn drops_and_truncate() {
        assert!(matches!(parse("DROP KEYSPACE IF EXISTS ks"), Statement::DropKeyspace(d) if d.if_exists));
        assert!(matches!(parse("DROP TABLE ks.t"), Statement::DropTable(d) if !d.if_exists));
        assert!(matches!(parse("DROP TYPE t"), Statement::DropType(_)));
        assert!(matches!(parse("DROP INDEX ks.i"), Statement::DropIndex(d) if d.name.keyspace.is_some()));
        assert!(matches!(parse("TRUNCATE TABLE t"), Statement::Truncate(_)));
    }

    #[test]
    fn use_keyspace() {
        assert_eq!(parse("USE \"Ks\""), Statement::Use("Ks".into()));
    }
}
