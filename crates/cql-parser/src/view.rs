//! Materialized views: `CREATE`, `ALTER` and `DROP MATERIALIZED VIEW`, with the grammar of Cassandra's
//! `createMaterializedViewStatement`, `alterMaterializedViewStatement` and `dropMaterializedViewStatement`.

use nom::combinator::map;
use nom::sequence::{delimited, pair, preceded, tuple};

use crate::ast::{AlterView, CreateView, DropView, Order, Property, Statement};
use crate::ddl::{clustering_order, if_exists_clause, primary_key_clause};
use crate::input::{choice, comma_list1, fatal, kw, opt_, sep1, sym, Input, PResult};
use crate::modification::if_not_exists_clause;
use crate::names::table_name;
use crate::properties::{check_unique, properties, property};
use crate::relations::opt_where;
use crate::select::selectors;

/// What may follow `WITH` in `CREATE MATERIALIZED VIEW`.
enum ViewOption {
    ClusteringOrder(Vec<(String, Order)>),
    Property(Property),
}

/// `MATERIALIZED VIEW`
fn kw_materialized_view(i: Input<'_>) -> PResult<'_, ()> {
    map(pair(kw("MATERIALIZED"), kw("VIEW")), |_| ())(i)
}

/// `MATERIALIZED VIEW [IF NOT EXISTS] v AS SELECT selectors FROM base [WHERE …] PRIMARY KEY (…) [WITH …]`
pub(crate) fn create_view(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = kw_materialized_view(i)?;
    let (i, if_not_exists) = if_not_exists_clause(i)?;
    let (i, name) = table_name(i)?;
    let (i, _) = pair(kw("AS"), kw("SELECT"))(i)?;
    let markers_before = i.markers;
    let (i, selectors) = selectors(i)?;
    let (i, _) = kw("FROM")(i)?;
    let (i, base) = table_name(i)?;
    let (i, where_clause) = opt_where(i)?;
    let bind_markers = i.markers - markers_before;
    let (i, primary_key) = primary_key_clause(i)?;
    let options_start = i.pos;
    let (i, options) = opt_(preceded(kw("WITH"), sep1(view_option, kw("AND"))))(i)?;
    let mut clustering_order = Vec::new();
    let mut properties = Vec::new();
    for option in options.unwrap_or_default() {
        match option {
            ViewOption::ClusteringOrder(order) => clustering_order.extend(order),
            ViewOption::Property(p) => properties.push(p),
        }
    }
    check_unique(options_start, &properties)?;
    Ok((
        i,
        Statement::CreateView(CreateView {
            name,
            if_not_exists,
            base,
            selectors,
            where_clause,
            bind_markers,
            primary_key,
            clustering_order,
            properties,
        }),
    ))
}

fn view_option(i: Input<'_>) -> PResult<'_, ViewOption> {
    if i.is_kw("COMPACT") && i.advance().is_kw("STORAGE") {
        return fatal(i.pos, "COMPACT STORAGE tables are not allowed starting with version 4.0");
    }
    choice((
        map(
            preceded(
                tuple((kw("CLUSTERING"), kw("ORDER"), kw("BY"))),
                delimited(sym("("), comma_list1(clustering_order), sym(")")),
            ),
            ViewOption::ClusteringOrder,
        ),
        map(property, ViewOption::Property),
    ))(i)
}

/// `MATERIALIZED VIEW [IF EXISTS] v WITH properties`
pub(crate) fn alter_view(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = kw_materialized_view(i)?;
    let (i, if_exists) = if_exists_clause(i)?;
    let (i, name) = table_name(i)?;
    let (i, properties) = preceded(kw("WITH"), properties)(i)?;
    Ok((i, Statement::AlterView(AlterView { name, if_exists, properties })))
}

/// `MATERIALIZED VIEW [IF EXISTS] v`
pub(crate) fn drop_view(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = kw_materialized_view(i)?;
    let (i, if_exists) = if_exists_clause(i)?;
    let (i, name) = table_name(i)?;
    Ok((i, Statement::DropView(DropView { name, if_exists })))
}

#[cfg(test)]
mod tests {
    use crate::ast::{Order, Statement};
    use crate::parse_statement;

    fn view(src: &str) -> crate::ast::CreateView {
        match parse_statement(src) {
            Ok(Statement::CreateView(v)) => v,
            other => panic!("{src}: {other:?}"),
        }
    }

    #[test]
    fn a_view_keeps_its_base_selection_key_and_options() {
        let v = view(
            "CREATE MATERIALIZED VIEW IF NOT EXISTS ks.v AS SELECT a, b FROM ks.t \
             WHERE a IS NOT NULL AND b IS NOT NULL PRIMARY KEY ((b), a) \
             WITH CLUSTERING ORDER BY (a DESC) AND comment = 'c'",
        );
        assert!(v.if_not_exists);
        assert_eq!((v.name.name.as_str(), v.base.name.as_str()), ("v", "t"));
        assert_eq!(v.selectors.len(), 2);
        assert_eq!(v.where_clause.len(), 2);
        assert_eq!((v.primary_key.partition_key, v.primary_key.clustering), (vec!["b".into()], vec!["a".into()]));
        assert_eq!(v.clustering_order, [("a".to_string(), Order::Desc)]);
        assert_eq!(v.properties[0].name, "comment");
        assert_eq!(v.bind_markers, 0);
    }

    #[test]
    fn a_view_counts_its_bind_markers() {
        assert_eq!(view("CREATE MATERIALIZED VIEW v AS SELECT * FROM t WHERE k = ? PRIMARY KEY (k)").bind_markers, 1);
    }

    #[test]
    fn a_view_needs_a_primary_key() {
        assert!(parse_statement("CREATE MATERIALIZED VIEW v AS SELECT * FROM t WHERE k IS NOT NULL").is_err());
    }

    #[test]
    fn compact_storage_is_refused_in_a_view() {
        let e = parse_statement("CREATE MATERIALIZED VIEW v AS SELECT * FROM t PRIMARY KEY (k) WITH COMPACT STORAGE")
            .unwrap_err();
        assert_eq!(e.message, "COMPACT STORAGE tables are not allowed starting with version 4.0");
    }

    #[test]
    fn alter_and_drop_view() {
        assert!(matches!(
            parse_statement("ALTER MATERIALIZED VIEW IF EXISTS ks.v WITH comment = 'x'"),
            Ok(Statement::AlterView(a)) if a.if_exists && a.properties.len() == 1
        ));
        assert!(matches!(
            parse_statement("DROP MATERIALIZED VIEW IF EXISTS v"),
            Ok(Statement::DropView(d)) if d.if_exists && d.name.keyspace.is_none()
        ));
    }
}
