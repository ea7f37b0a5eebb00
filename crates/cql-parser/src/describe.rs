//! `DESCRIBE` / `DESC`.

use crate::input::choice;
use nom::combinator::map;
use nom::sequence::{pair, preceded};

use crate::ast::{Describe, DescribeTarget, QualifiedName, Statement};
use crate::input::{flag, kw, kw_any, kw_keyspace, kw_table, opt_, sym, Input, PResult};
use crate::names::{function_name, ident, keyspace_name, table_name, user_type_name};

/// `DESCRIBE target [WITH INTERNALS]`. The keyword forms are tried first, as Cassandra does; anything
/// else is a `[keyspace.]name` to look up.
pub(crate) fn describe_statement(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, _) = choice((kw("DESCRIBE"), kw("DESC")))(i)?;
    let (i, target) = choice((
        map(kw("CLUSTER"), |_| DescribeTarget::Cluster),
        map(pair(flag(kw("FULL")), kw("SCHEMA")), |(full, _)| DescribeTarget::Schema { full }),
        map(kw("KEYSPACES"), |_| DescribeTarget::Keyspaces),
        |i| {
            let (i, only) = flag(kw("ONLY"))(i)?;
            let (i, _) = kw_keyspace(i)?;
            let (i, name) = opt_(keyspace_name)(i)?;
            Ok((i, DescribeTarget::Keyspace { name, only }))
        },
        map(kw_any(&["TABLES", "COLUMNFAMILIES"]), |_| DescribeTarget::Tables),
        map(preceded(kw_table, table_name), DescribeTarget::Table),
        map(preceded(kw("INDEX"), table_name), DescribeTarget::Index),
        map(preceded(pair(kw("MATERIALIZED"), kw("VIEW")), table_name), DescribeTarget::MaterializedView),
        map(kw("TYPES"), |_| DescribeTarget::Types),
        map(preceded(kw("TYPE"), user_type_name), DescribeTarget::Type),
        map(kw("FUNCTIONS"), |_| DescribeTarget::Functions),
        map(preceded(kw("FUNCTION"), function_name), DescribeTarget::Function),
        map(kw("AGGREGATES"), |_| DescribeTarget::Aggregates),
        map(preceded(kw("AGGREGATE"), function_name), DescribeTarget::Aggregate),
        map(generic_name, DescribeTarget::Generic),
    ))(i)?;
    let (i, with_internals) = flag(pair(kw("WITH"), kw("INTERNALS")))(i)?;
    Ok((i, Statement::Describe(Describe { target, with_internals })))
}

/// `[keyspace.]name`
fn generic_name(i: Input<'_>) -> PResult<'_, QualifiedName> {
    let (i, first) = ident(i)?;
    let (i, dot) = opt_(sym("."))(i)?;
    if dot.is_none() {
        return Ok((i, QualifiedName { keyspace: None, name: first }));
    }
    let (i, name) = ident(i)?;
    Ok((i, QualifiedName { keyspace: Some(first), name }))
}

#[cfg(test)]
mod tests {
    use crate::ast::{DescribeTarget, QualifiedName, Statement};
    use crate::parse_statement;

    fn target(src: &str) -> (DescribeTarget, bool) {
        match parse_statement(src) {
            Ok(Statement::Describe(d)) => (d.target, d.with_internals),
            other => panic!("{src}: {other:?}"),
        }
    }

    fn name(ks: Option<&str>, n: &str) -> QualifiedName {
        QualifiedName { keyspace: ks.map(str::to_string), name: n.to_string() }
    }

    #[test]
    fn keyword_forms() {
        assert_eq!(target("DESCRIBE CLUSTER").0, DescribeTarget::Cluster);
        assert_eq!(target("DESC FULL SCHEMA").0, DescribeTarget::Schema { full: true });
        assert_eq!(target("DESC KEYSPACES").0, DescribeTarget::Keyspaces);
        assert_eq!(target("DESC TABLES").0, DescribeTarget::Tables);
        assert_eq!(target("DESC TYPES").0, DescribeTarget::Types);
        assert_eq!(target("DESC FUNCTIONS").0, DescribeTarget::Functions);
        assert_eq!(target("DESC AGGREGATES").0, DescribeTarget::Aggregates);
    }

    #[test]
    fn keyspace_forms() {
        assert_eq!(target("DESC KEYSPACE").0, DescribeTarget::Keyspace { name: None, only: false });
        assert_eq!(target("DESC ONLY KEYSPACE ks").0, DescribeTarget::Keyspace { name: Some("ks".into()), only: true });
    }

    #[test]
    fn named_objects() {
        assert_eq!(target("DESC TABLE ks.t").0, DescribeTarget::Table(name(Some("ks"), "t")));
        assert_eq!(target("DESC TYPE t").0, DescribeTarget::Type(name(None, "t")));
        assert_eq!(target("DESC FUNCTION ks.f").0, DescribeTarget::Function(name(Some("ks"), "f")));
        assert_eq!(target("DESC AGGREGATE a").0, DescribeTarget::Aggregate(name(None, "a")));
        assert_eq!(target("DESC INDEX i").0, DescribeTarget::Index(name(None, "i")));
        assert_eq!(target("DESC MATERIALIZED VIEW v").0, DescribeTarget::MaterializedView(name(None, "v")));
    }

    #[test]
    fn a_bare_name_is_generic() {
        assert_eq!(target("DESCRIBE ks.t").0, DescribeTarget::Generic(name(Some("ks"), "t")));
        assert_eq!(target("DESC only").0, DescribeTarget::Generic(name(None, "only")));
    }

    #[test]
    fn with_internals() {
        assert!(target("DESCRIBE TABLE t WITH INTERNALS").1);
    }
}
