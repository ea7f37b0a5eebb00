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
