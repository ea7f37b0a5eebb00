//! Schema objects written back as CQL, the way Cassandra 5.0's `DESCRIBE` writes them.

use super::params::{cql_map, quote};
use super::{quote_identifier, ColumnKind, Keyspace, Table, UserType};

/// `CREATE KEYSPACE …;` as DESCRIBE prints it.
pub fn create_keyspace(ks: &Keyspace) -> String {
    // DESCRIBE names Cassandra's own strategies by their simple class name.
    let mut replication = ks.replication.clone();
    if let Some(class) = replication.get_mut("class") {
        if let Some(simple) = class.strip_prefix("org.apache.cassandra.locator.") {
            *class = simple.to_string();
        }
    }
    format!(
        "CREATE KEYSPACE {} WITH replication = {}  AND durable_writes = {};",
        quote_identifier(&ks.name),
        cql_map(&replication),
        ks.durable_writes
    )
}

/// `CREATE TYPE …;` as DESCRIBE prints it (UserType.toCqlString).
pub fn create_type(u: &UserType) -> String {
    let fields: Vec<String> = u.fields.iter().map(|(n, t)| format!("    {} {t}", quote_identifier(n))).collect();
    format!("CREATE TYPE {}.{} (\n{}\n);", quote_identifier(&u.keyspace), quote_identifier(&u.name), fields.join(",\n"))
}

/// `CREATE TABLE …;` as DESCRIBE prints it (TableMetadata.toCqlString).
pub fn create_table(t: &Table, if_not_exists: bool) -> String {
    let mut s = String::new();
    s.push_str(if t.virtual_table.is_some() { "CREATE VIRTUAL TABLE " } else { "CREATE TABLE " });
    if if_not_exists {
        s.push_str("IF NOT EXISTS ");
    }
    s.push_str(&quote_identifier(&t.keyspace));
    s.push('.');
    s.push_str(&quote_identifier(&t.name));
    s.push_str(" (\n");
    let single_pk = t.partition_key_count == 1 && t.clustering_count == 0;
    let mut lines = Vec::new();
    for c in &t.columns {
        let mut line = format!("    {} {}", quote_identifier(&c.name), c.typ);
        if c.kind == ColumnKind::Static {
            line.push_str(" static");
        }
        if single_pk && c.kind == ColumnKind::PartitionKey {
            line.push_str(" PRIMARY KEY");
        }
        lines.push(line);
    }
    if !single_pk {
        let pk: Vec<String> = t.partition_key().iter().map(|c| quote_identifier(&c.name)).collect();
        let pk = if pk.len() == 1 { pk[0].clone() } else { format!("({})", pk.join(", ")) };
        let mut key = vec![pk];
        key.extend(t.clustering().iter().map(|c| quote_identifier(&c.name)));
        lines.push(format!("    PRIMARY KEY ({})", key.join(", ")));
    }
    s.push_str(&lines.join(",\n"));
    s.push_str("\n) WITH ");
    let mut options = Vec::new();
    if t.clustering_count > 0 {
        let order: Vec<String> = t
            .clustering()
            .iter()
            .map(|c| format!("{} {}", quote_identifier(&c.name), if c.reversed { "DESC" } else { "ASC" }))
            .collect();
        options.push(format!("CLUSTERING ORDER BY ({})", order.join(", ")));
    }
    if t.virtual_table.is_some() {
        options.push(format!("comment = {}", quote(&t.params.comment)));
    } else {
        options.extend(t.params.cql_options());
    }
    s.push_str(&options.join("\n    AND "));
    s.push(';');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::TableParams;
    use cql_types::CqlType;
    use uuid::Uuid;

    #[test]
    fn a_simple_table_prints_its_key_inline_and_regular_columns_by_name() {
        let t = Table::new(
            "demo",
            "users",
            Uuid::nil(),
            vec![("id".into(), CqlType::INT)],
            vec![],
            vec![("name".into(), CqlType::TEXT, false), ("email".into(), CqlType::TEXT, false)],
            TableParams::default(),
        );
        let cql = create_table(&t, false);
        assert!(cql.starts_with(
            "CREATE TABLE demo.users (\n    id int PRIMARY KEY,\n    email text,\n    name text\n) WITH additional_write_policy = '99p'\n    AND allow_auto_snapshot = true\n"
        ), "{cql}");
        assert!(cql.ends_with("    AND speculative_retry = '99p';"), "{cql}");
    }

    #[test]
    fn a_clustered_table_prints_its_key_and_clustering_order() {
        let t = Table::new(
            "ks",
            "t",
            Uuid::nil(),
            vec![("a".into(), CqlType::INT), ("b".into(), CqlType::INT)],
            vec![("c".into(), CqlType::TEXT, true)],
            vec![("v".into(), CqlType::TEXT, false)],
            TableParams::default(),
        );
        let cql = create_table(&t, false);
        assert!(cql.contains(
            "    a int,\n    b int,\n    c text,\n    v text,\n    PRIMARY KEY ((a, b), c)\n) WITH CLUSTERING ORDER BY (c DESC)\n    AND additional_write_policy"
        ), "{cql}");
    }
}
