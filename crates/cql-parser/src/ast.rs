//! The syntax tree of CQL statements. Names are already normalised (unquoted identifiers lower-cased).
//! Bind markers are numbered in the order they appear in the statement text, from 0.

pub use cql_types::LiteralKind;

/// One CQL statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    Select(Select),
    Insert(Insert),
    Update(Update),
    Delete(Delete),
    Batch(Batch),
    Use(String),
    CreateKeyspace(CreateKeyspace),
    AlterKeyspace(AlterKeyspace),
    DropKeyspace(DropKeyspace),
    CreateTable(CreateTable),
    AlterTable(AlterTable),
    DropTable(DropTable),
    Truncate(QualifiedName),
    CreateType(CreateType),
    AlterType(AlterType),
    DropType(DropType),
    CreateIndex(CreateIndex),
    DropIndex(DropIndex),
    Describe(Describe),
    /// `CREATE ROLE` and the legacy `CREATE USER`.
    CreateRole(CreateRole),
    /// `ALTER ROLE` and the legacy `ALTER USER`.
    AlterRole(AlterRole),
    /// `DROP ROLE` and the legacy `DROP USER`.
    DropRole(DropRole),
    /// `LIST ROLES` and the legacy `LIST USERS`.
    ListRoles(ListRoles),
    /// `GRANT role TO grantee`
    GrantRole(RoleGrant),
    /// `REVOKE role FROM revokee`
    RevokeRole(RoleGrant),
    /// `GRANT permission ON resource TO role`
    GrantPermissions(PermissionChange),
    /// `REVOKE permission ON resource FROM role`
    RevokePermissions(PermissionChange),
    /// `LIST permission [ON resource] [OF role] [NORECURSIVE]`
    ListPermissions(ListPermissions),
    /// `CREATE MATERIALIZED VIEW`
    CreateView(CreateView),
    /// `ALTER MATERIALIZED VIEW`
    AlterView(AlterView),
    /// `DROP MATERIALIZED VIEW`
    DropView(DropView),
    /// `CREATE [OR REPLACE] FUNCTION`
    CreateFunction(CreateFunction),
    /// `DROP FUNCTION`
    DropFunction(DropFunction),
    /// `CREATE [OR REPLACE] AGGREGATE`
    CreateAggregate(CreateAggregate),
    /// `DROP AGGREGATE` (same shape as `DROP FUNCTION`)
    DropAggregate(DropFunction),
    /// `CREATE TRIGGER`
    CreateTrigger(CreateTrigger),
    /// `DROP TRIGGER`
    DropTrigger(DropTrigger),
}

/// `CREATE MATERIALIZED VIEW [IF NOT EXISTS] v AS SELECT selectors FROM base [WHERE …]
/// PRIMARY KEY (…) [WITH CLUSTERING ORDER BY (…) AND properties]`
#[derive(Debug, Clone, PartialEq)]
pub struct CreateView {
    pub name: QualifiedName,
    pub if_not_exists: bool,
    pub base: QualifiedName,
    /// Empty means `*`.
    pub selectors: Vec<Selector>,
    pub where_clause: Vec<Relation>,
    /// How many bind markers the statement holds (Cassandra refuses any).
    pub bind_markers: usize,
    pub primary_key: PrimaryKey,
    /// As written; duplicates are kept for the query layer to refuse.
    pub clustering_order: Vec<(String, Order)>,
    pub properties: Vec<Property>,
}

/// `ALTER MATERIALIZED VIEW [IF EXISTS] v WITH properties`
#[derive(Debug, Clone, PartialEq)]
pub struct AlterView {
    pub name: QualifiedName,
    pub if_exists: bool,
    pub properties: Vec<Property>,
}

/// `DROP MATERIALIZED VIEW [IF EXISTS] v`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropView {
    pub name: QualifiedName,
    pub if_exists: bool,
}

/// `CREATE [OR REPLACE] FUNCTION [IF NOT EXISTS] f(arg type, …) (CALLED | RETURNS NULL) ON NULL INPUT
/// RETURNS type LANGUAGE lang AS 'body'`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateFunction {
    pub name: QualifiedName,
    pub or_replace: bool,
    pub if_not_exists: bool,
    pub arguments: Vec<(String, TypeExpr)>,
    pub called_on_null_input: bool,
    pub return_type: TypeExpr,
    /// Lower-cased, as Cassandra keeps it.
    pub language: String,
    pub body: String,
}

/// `DROP FUNCTION | AGGREGATE [IF EXISTS] f[(type, …)]`; `arguments` is `None` without parentheses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropFunction {
    pub name: QualifiedName,
    pub if_exists: bool,
    pub arguments: Option<Vec<TypeExpr>>,
}

/// `CREATE [OR REPLACE] AGGREGATE [IF NOT EXISTS] a(type, …) SFUNC s STYPE type [FINALFUNC f]
/// [INITCOND term]`
#[derive(Debug, Clone, PartialEq)]
pub struct CreateAggregate {
    pub name: QualifiedName,
    pub or_replace: bool,
    pub if_not_exists: bool,
    pub arguments: Vec<TypeExpr>,
    pub state_function: String,
    pub state_type: TypeExpr,
    pub final_function: Option<String>,
    pub initial_condition: Option<Term>,
}

/// `CREATE TRIGGER [IF NOT EXISTS] name ON table USING 'class'`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTrigger {
    pub name: String,
    pub if_not_exists: bool,
    pub table: QualifiedName,
    pub class: String,
}

/// `DROP TRIGGER [IF EXISTS] name ON table`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropTrigger {
    pub name: String,
    pub if_exists: bool,
    pub table: QualifiedName,
}

/// `[keyspace.]name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QualifiedName {
    pub keyspace: Option<String>,
    pub name: String,
}

/// A type as written (UDT names unresolved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeExpr {
    Native(cql_types::NativeType),
    List(Box<TypeExpr>),
    Set(Box<TypeExpr>),
    Map(Box<TypeExpr>, Box<TypeExpr>),
    Tuple(Vec<TypeExpr>),
    Frozen(Box<TypeExpr>),
    /// The dimension as written: Cassandra's grammar accepts any integer and the type check refuses
    /// non-positive ones ("vectors may only have positive dimensions").
    Vector(Box<TypeExpr>, i32),
    UserDefined(QualifiedName),
    /// `'org.apache.cassandra.db.marshal.…'`
    Custom(String),
}

/// A bind marker: `?` or `:name`, with its position among the statement's markers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindMarker {
    pub index: usize,
    /// `Some` for `:name` markers (name normalised like an identifier).
    pub name: Option<String>,
}

/// A constant as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    pub kind: LiteralKind,
    /// The literal's text: string content unescaped, integer/float digits with sign, hex digits of a blob, …
    pub text: String,
}

/// A value expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    Literal(Literal),
    /// `null`
    Null,
    BindMarker(BindMarker),
    /// `[a, b]`
    List(Vec<Term>),
    /// `{a, b}` (a non-empty set)
    Set(Vec<Term>),
    /// `{k: v, …}` and the empty `{}` (which may also stand for an empty set)
    Map(Vec<(Term, Term)>),
    /// `(a, b)`
    Tuple(Vec<Term>),
    /// `{field: value, …}` where every key is an identifier
    Udt(Vec<(String, Term)>),
    /// `f(args)` or `ks.f(args)`
    FunctionCall {
        name: QualifiedName,
        args: Vec<Term>,
    },
    /// `(type) term`
    TypeHint(TypeExpr, Box<Term>),
    /// `-term` where term is not a numeric literal (numeric literals carry their sign)
    Negate(Box<Term>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

/// `SELECT`.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub json: bool,
    pub distinct: bool,
    /// Empty means `*`.
    pub selectors: Vec<Selector>,
    pub table: QualifiedName,
    pub where_clause: Vec<Relation>,
    /// `GROUP BY` selectors: columns, the last one possibly a function of a column (`floor(t, 1h)`).
    pub group_by: Vec<SelectorExpr>,
    pub order_by: Vec<(String, Order)>,
    /// `ORDER BY v ANN OF term`: the vector of each ANN ordering, with the position of that ordering
    /// in `order_by` (Cassandra's grammar allows any ordering to be an ANN one, then checks).
    pub ann: Vec<(usize, Term)>,
    pub per_partition_limit: Option<Term>,
    pub limit: Option<Term>,
    pub allow_filtering: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    pub expr: SelectorExpr,
    pub alias: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SelectorExpr {
    Column(String),
    /// `count(*)` (also `COUNT(1)` is a FunctionCall with a literal)
    CountStar,
    /// Any function call, including `writetime(c)`, `ttl(c)`, `token(k)`, aggregates.
    FunctionCall {
        name: QualifiedName,
        args: Vec<SelectorExpr>,
    },
    /// `CAST(x AS type)`
    Cast(Box<SelectorExpr>, TypeExpr),
    /// `x.field`
    Field(Box<SelectorExpr>, String),
    /// `x[term]`
    Element(Box<SelectorExpr>, Box<Term>),
    /// `x[from..to]`, where either bound may be absent (`x[a..]`, `x[..b]`)
    Slice(Box<SelectorExpr>, Option<Box<Term>>, Option<Box<Term>>),
    /// A constant or bind marker used as a selector.
    Term(Term),
    /// `(x)`: a selector between parentheses, which Cassandra keeps in the result column name
    /// (a parenthesised term stays a `Term`, its type inferred from where it is used).
    Parenthesised(Box<SelectorExpr>),
}

/// The left-hand side of a WHERE relation.
#[derive(Debug, Clone, PartialEq)]
pub enum RelationLhs {
    Column(String),
    /// `token(a, b)`
    Token(Vec<String>),
    /// `(a, b)` for multi-column relations
    Tuple(Vec<String>),
    /// `m[key]`
    Element(String, Term),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    In,
    Contains,
    ContainsKey,
    Like,
    /// `IS NOT NULL` (rhs is `Term::Null`)
    IsNotNull,
}

impl Operator {
    /// The operator as CQL writes it (and as Cassandra prints it in messages).
    pub fn as_cql(self) -> &'static str {
        match self {
            Operator::Eq => "=",
            Operator::Neq => "!=",
            Operator::Lt => "<",
            Operator::Lte => "<=",
            Operator::Gt => ">",
            Operator::Gte => ">=",
            Operator::In => "IN",
            Operator::Contains => "CONTAINS",
            Operator::ContainsKey => "CONTAINS KEY",
            Operator::Like => "LIKE",
            Operator::IsNotNull => "IS NOT",
        }
    }
}

/// `lhs op rhs`. For `IN`, rhs is a `Term::List` of the values (tuples for multi-column IN) or a bind marker.
#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    pub lhs: RelationLhs,
    pub op: Operator,
    pub rhs: Term,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UsingParam {
    Ttl(Term),
    Timestamp(Term),
    Timeout(Term),
}

#[derive(Debug, Clone, PartialEq)]
pub enum InsertValues {
    /// `(cols) VALUES (terms)`
    Values { columns: Vec<String>, values: Vec<Term> },
    /// `JSON 'text' [DEFAULT NULL|UNSET]`
    Json { json: Term, default_unset: bool },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Insert {
    pub table: QualifiedName,
    pub values: InsertValues,
    pub if_not_exists: bool,
    pub using: Vec<UsingParam>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Assignment {
    /// `c = v`
    Set { column: String, value: Term },
    /// `c[k] = v`
    SetElement { column: String, key: Term, value: Term },
    /// `c.field = v`
    SetField { column: String, field: String, value: Term },
    /// `c = c + v` (also `c += v`)
    Add { column: String, value: Term },
    /// `c = c - v` (also `c -= v`)
    Subtract { column: String, value: Term },
    /// `c = v + c`
    Prepend { column: String, value: Term },
}

/// The left-hand side of an `IF` condition.
#[derive(Debug, Clone, PartialEq)]
pub enum ConditionLhs {
    Column(String),
    Element(String, Term),
    Field(String, String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub lhs: ConditionLhs,
    pub op: Operator,
    pub rhs: Term,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Conditions {
    /// `IF EXISTS`
    Exists,
    /// `IF c = v AND …`
    Columns(Vec<Condition>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    pub table: QualifiedName,
    pub using: Vec<UsingParam>,
    pub assignments: Vec<Assignment>,
    pub where_clause: Vec<Relation>,
    pub conditions: Option<Conditions>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DeleteTarget {
    Column(String),
    Element(String, Term),
    Field(String, String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Delete {
    pub table: QualifiedName,
    /// Empty means the whole row(s).
    pub targets: Vec<DeleteTarget>,
    pub using: Vec<UsingParam>,
    pub where_clause: Vec<Relation>,
    pub conditions: Option<Conditions>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchKind {
    Logged,
    Unlogged,
    Counter,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub kind: BatchKind,
    pub using: Vec<UsingParam>,
    /// Only Insert, Update and Delete. May be empty.
    pub statements: Vec<Statement>,
}

/// The value of a `WITH` property.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyValue {
    /// A constant (string, number, boolean …) with its text.
    Constant(Literal),
    /// An identifier used as a value (rare; e.g. `WITH caching = keys_only` in old syntax).
    Identifier(String),
    /// `{'k': v, …}`
    Map(Vec<(Literal, Literal)>),
}

/// `name = value` in a `WITH … AND …` clause.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    /// Lower-cased property name.
    pub name: String,
    pub value: PropertyValue,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateKeyspace {
    pub name: String,
    pub if_not_exists: bool,
    pub properties: Vec<Property>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlterKeyspace {
    pub name: String,
    pub if_exists: bool,
    pub properties: Vec<Property>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DropKeyspace {
    pub name: String,
    pub if_exists: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    pub name: String,
    pub typ: TypeExpr,
    pub is_static: bool,
    /// `name type PRIMARY KEY` written inline.
    pub primary_key: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PrimaryKey {
    pub partition_key: Vec<String>,
    pub clustering: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateTable {
    pub name: QualifiedName,
    pub if_not_exists: bool,
    pub columns: Vec<ColumnDef>,
    /// The `PRIMARY KEY (…)` clause, if written separately.
    pub primary_key: Option<PrimaryKey>,
    /// `WITH CLUSTERING ORDER BY (…)`
    pub clustering_order: Vec<(String, Order)>,
    pub compact_storage: bool,
    pub properties: Vec<Property>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AlterTableAction {
    Add {
        if_not_exists: bool,
        columns: Vec<ColumnDef>,
    },
    Drop {
        if_exists: bool,
        columns: Vec<String>,
        timestamp: Option<Term>,
    },
    Rename {
        if_exists: bool,
        renames: Vec<(String, String)>,
    },
    /// `ALTER c TYPE t` (rejected by Cassandra 4+, parsed to give its error)
    AlterType {
        column: String,
        typ: TypeExpr,
    },
    With(Vec<Property>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlterTable {
    pub name: QualifiedName,
    pub if_exists: bool,
    pub action: AlterTableAction,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DropTable {
    pub name: QualifiedName,
    pub if_exists: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateType {
    pub name: QualifiedName,
    pub if_not_exists: bool,
    pub fields: Vec<(String, TypeExpr)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AlterTypeAction {
    Add { if_not_exists: bool, field: String, typ: TypeExpr },
    Rename { if_exists: bool, renames: Vec<(String, String)> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlterType {
    pub name: QualifiedName,
    pub if_exists: bool,
    pub action: AlterTypeAction,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DropType {
    pub name: QualifiedName,
    pub if_exists: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexTarget {
    /// `(c)` or `(VALUES(c))` on a collection is `Values`.
    Column(String),
    Keys(String),
    Values(String),
    Entries(String),
    Full(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateIndex {
    /// `CREATE CUSTOM INDEX`
    pub custom: bool,
    pub name: Option<String>,
    /// The keyspace of a qualified index name (`CREATE INDEX ks.i ON …`).
    pub keyspace: Option<String>,
    pub if_not_exists: bool,
    pub table: QualifiedName,
    pub targets: Vec<IndexTarget>,
    /// `CREATE CUSTOM INDEX … USING 'class'`
    pub custom_class: Option<String>,
    pub properties: Vec<Property>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DropIndex {
    pub name: QualifiedName,
    pub if_exists: bool,
}

/// What a `DESCRIBE` names.
#[derive(Debug, Clone, PartialEq)]
pub enum DescribeTarget {
    Cluster,
    /// `[FULL] SCHEMA`
    Schema {
        full: bool,
    },
    Keyspaces,
    /// `[ONLY] KEYSPACE [name]`
    Keyspace {
        name: Option<String>,
        only: bool,
    },
    Tables,
    Table(QualifiedName),
    Types,
    Type(QualifiedName),
    Functions,
    Function(QualifiedName),
    Aggregates,
    Aggregate(QualifiedName),
    Index(QualifiedName),
    MaterializedView(QualifiedName),
    /// `DESCRIBE name` / `DESCRIBE ks.name`: a keyspace, table, view, index or type, looked up in that order.
    Generic(QualifiedName),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Describe {
    pub target: DescribeTarget,
    /// `WITH INTERNALS`
    pub with_internals: bool,
}

/// One option of `CREATE ROLE … WITH` / `ALTER ROLE … WITH` (or what `CREATE USER` implies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleOption {
    Password(String),
    HashedPassword(String),
    Login(bool),
    Superuser(bool),
    /// `OPTIONS = {…}`: custom options for the role manager.
    Options(Vec<(String, String)>),
    /// `ACCESS TO ALL DATACENTERS`
    AccessToAllDatacenters,
    /// `ACCESS TO DATACENTERS {'dc1', …}`
    AccessToDatacenters(Vec<String>),
    /// `ACCESS FROM ALL CIDRS`
    AccessFromAllCidrs,
    /// `ACCESS FROM CIDRS {'group', …}`
    AccessFromCidrs(Vec<String>),
}

/// `CREATE ROLE [IF NOT EXISTS] name [WITH option AND …]`, or `CREATE USER` (login implied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRole {
    pub name: String,
    pub if_not_exists: bool,
    pub options: Vec<RoleOption>,
}

/// `ALTER ROLE [IF EXISTS] name [WITH option AND …]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterRole {
    pub name: String,
    pub if_exists: bool,
    pub options: Vec<RoleOption>,
}

/// `DROP ROLE [IF EXISTS] name`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropRole {
    pub name: String,
    pub if_exists: bool,
}

/// `LIST ROLES [OF role] [NORECURSIVE]`, or `LIST USERS` (`users`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRoles {
    pub of: Option<String>,
    pub recursive: bool,
    /// The legacy `LIST USERS`: only roles that can log in, as `name`/`super`/`datacenters`.
    pub users: bool,
}

/// `GRANT role TO grantee` / `REVOKE role FROM grantee`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleGrant {
    pub role: String,
    pub grantee: String,
}

/// What permissions are about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// `ALL KEYSPACES`
    AllKeyspaces,
    /// `KEYSPACE ks`
    Keyspace(String),
    /// `ALL TABLES IN KEYSPACE ks`
    AllTables(String),
    /// `[TABLE] [ks.]t`
    Table(QualifiedName),
    /// `ALL ROLES`
    AllRoles,
    /// `ROLE r`
    Role(String),
    /// `ALL FUNCTIONS [IN KEYSPACE ks]`
    AllFunctions(Option<String>),
    /// `FUNCTION [ks.]f(types)`
    Function(QualifiedName, Vec<TypeExpr>),
    /// `ALL MBEANS`
    AllMbeans,
    /// `MBEAN[S] 'pattern'`
    Mbean(String),
}

/// `GRANT`/`REVOKE permission[, permission…] ON resource TO|FROM role`. `permission` holds the
/// keywords upper-cased (`SELECT`, `MODIFY`, …), `None` for `ALL [PERMISSIONS]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionChange {
    pub permission: Option<Vec<String>>,
    pub resource: Resource,
    pub role: String,
}

/// `LIST permission[, permission…] [ON resource] [OF role] [NORECURSIVE]`; `permission` is `None` for `ALL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPermissions {
    pub permission: Option<Vec<String>>,
    pub resource: Option<Resource>,
    pub of: Option<String>,
    pub recursive: bool,
}
