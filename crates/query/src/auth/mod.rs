//! Authentication, roles and authorization, as Cassandra 5.0's `PasswordAuthenticator`,
//! `CassandraRoleManager` and `CassandraAuthorizer` do them.
//!
//! Off by default (`AllowAllAuthenticator`, `AllowAllAuthorizer`). Roles, memberships and
//! permissions live in the stored tables of `system_auth` ([`schema`]), read and written with
//! internal CQL statements that skip authorization ([`store`]). Reads go through caches whose
//! entries expire after the configured validity (Cassandra's `*_validity`, 2 s by default) and
//! that every role or permission statement clears.
//!
//! - [`check`]: which permission on which resource a statement needs, and the check itself.
//! - [`statements`]: `CREATE/ALTER/DROP ROLE`, `GRANT`/`REVOKE`, `LIST ROLES`/`LIST USERS`/`LIST`.

mod check;
pub mod resource;
pub(crate) mod schema;
mod statements;
mod store;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

pub use resource::{Permission, Resource};

pub(crate) use check::{after_schema_change, authorize};
pub(crate) use statements::execute as execute_statement;
pub(crate) use store::RoleRow;

use crate::{ClientState, Error, QueryProcessor};

/// The name of the role created on first start when authentication is on, and its password.
pub const DEFAULT_SUPERUSER: &str = "cassandra";
const DEFAULT_SUPERUSER_PASSWORD: &str = "cassandra";
/// Cassandra's `GENSALT_LOG2_ROUNDS` default.
pub const BCRYPT_ROUNDS: u32 = 10;

/// Who checks credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Authenticator {
    #[default]
    AllowAll,
    Password,
}

impl Authenticator {
    /// Accepts the short or the fully qualified class name, as cassandra.yaml does.
    pub fn parse(name: &str) -> Option<Authenticator> {
        match name.trim().trim_start_matches("org.apache.cassandra.auth.") {
            "AllowAllAuthenticator" => Some(Authenticator::AllowAll),
            "PasswordAuthenticator" => Some(Authenticator::Password),
            _ => None,
        }
    }

    /// The class name the AUTHENTICATE message carries.
    pub fn class_name(self) -> &'static str {
        match self {
            Authenticator::AllowAll => "org.apache.cassandra.auth.AllowAllAuthenticator",
            Authenticator::Password => "org.apache.cassandra.auth.PasswordAuthenticator",
        }
    }

    pub fn requires_authentication(self) -> bool {
        self == Authenticator::Password
    }
}

/// Who checks permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Authorizer {
    #[default]
    AllowAll,
    Cassandra,
}

impl Authorizer {
    pub fn parse(name: &str) -> Option<Authorizer> {
        match name.trim().trim_start_matches("org.apache.cassandra.auth.") {
            "AllowAllAuthorizer" => Some(Authorizer::AllowAll),
            "CassandraAuthorizer" => Some(Authorizer::Cassandra),
            _ => None,
        }
    }

    pub fn requires_authorization(self) -> bool {
        self == Authorizer::Cassandra
    }
}

/// The auth settings of cassandra.yaml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    pub authenticator: Authenticator,
    pub authorizer: Authorizer,
    /// `roles_validity`: how long a role read from `system_auth` is reused.
    pub roles_validity: Duration,
    /// `permissions_validity`
    pub permissions_validity: Duration,
    /// `credentials_validity`: how long a password hash is reused.
    pub credentials_validity: Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            authenticator: Authenticator::AllowAll,
            authorizer: Authorizer::AllowAll,
            roles_validity: Duration::from_secs(2),
            permissions_validity: Duration::from_secs(2),
            credentials_validity: Duration::from_secs(2),
        }
    }
}

/// A small cache whose entries expire after `validity`.
struct Cache<K, V> {
    validity: Duration,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: std::hash::Hash + Eq, V: Clone> Cache<K, V> {
    fn new(validity: Duration) -> Self {
        Cache { validity, entries: Mutex::new(HashMap::new()) }
    }

    fn get_or_load(&self, key: K, load: impl FnOnce() -> Result<V, Error>) -> Result<V, Error> {
        if self.validity.is_zero() {
            return load();
        }
        if let Some((at, v)) = self.entries.lock().get(&key) {
            if at.elapsed() < self.validity {
                return Ok(v.clone());
            }
        }
        let v = load()?;
        self.entries.lock().insert(key, (Instant::now(), v.clone()));
        Ok(v)
    }

    fn clear(&self) {
        self.entries.lock().clear();
    }
}

/// The processor's auth configuration and caches.
pub(crate) struct AuthState {
    pub config: AuthConfig,
    credentials: Cache<String, Option<String>>,
    roles: Cache<String, Option<Arc<RoleRow>>>,
    permissions: Cache<(String, String), Vec<Permission>>,
}

impl AuthState {
    pub fn new(config: AuthConfig) -> AuthState {
        AuthState {
            credentials: Cache::new(config.credentials_validity),
            roles: Cache::new(config.roles_validity),
            permissions: Cache::new(config.permissions_validity),
            config,
        }
    }

    /// Forgets everything cached: after any change to roles or permissions.
    pub fn invalidate(&self) {
        self.credentials.clear();
        self.roles.clear();
        self.permissions.clear();
    }
}

fn bad_credentials(user: &str) -> Error {
    Error::BadCredentials(format!("Provided username {user} and/or password are incorrect"))
}

/// A salted bcrypt hash of `password` in the `$2a$` form Cassandra's jBCrypt writes.
pub(crate) fn hash_password(password: &str) -> Result<String, Error> {
    bcrypt::hash_with_result(password, BCRYPT_ROUNDS)
        .map(|h| h.format_for_version(bcrypt::Version::TwoA))
        .map_err(|e| Error::Server(format!("cannot hash the password: {e}")))
}

impl QueryProcessor {
    /// Turns authentication and authorization on as configured; with `PasswordAuthenticator`, creates
    /// the default superuser `cassandra` (password `cassandra`) if no role exists yet.
    pub fn with_auth(mut self, config: AuthConfig) -> Result<QueryProcessor, Error> {
        self.auth = AuthState::new(config);
        if self.auth.config.authenticator.requires_authentication() && store::all_roles(&self)?.is_empty() {
            let hash = hash_password(DEFAULT_SUPERUSER_PASSWORD)?;
            store::insert_role(&self, DEFAULT_SUPERUSER, true, true, Some(&hash))?;
            tracing::info!("Created default superuser role '{DEFAULT_SUPERUSER}'");
        }
        Ok(self)
    }

    /// The configured authenticator (the protocol layer asks for credentials when it requires them).
    pub fn authenticator(&self) -> Authenticator {
        self.auth.config.authenticator
    }

    /// Checks a user name and password (SASL PLAIN) as `PasswordAuthenticator` does, and that the
    /// role may log in; returns the role name to log in as. Costs a bcrypt verification: call it
    /// off the async reactor.
    pub fn authenticate(&self, user: &str, password: &str) -> Result<String, Error> {
        let hash = self
            .auth
            .credentials
            .get_or_load(user.to_string(), || Ok(store::role(self, user)?.and_then(|r| r.salted_hash.clone())))?;
        let Some(hash) = hash else { return Err(bad_credentials(user)) };
        match bcrypt::verify(password, &hash) {
            Ok(true) => {}
            Ok(false) => return Err(bad_credentials(user)),
            Err(e) => {
                tracing::warn!(error = %e, "invalid password hash encountered, rejecting user");
                return Err(bad_credentials(user));
            }
        }
        match self.cached_role(user)? {
            Some(r) if r.can_login => Ok(user.to_string()),
            _ => Err(Error::BadCredentials(format!("{user} is not permitted to log in"))),
        }
    }

    pub(crate) fn cached_role(&self, name: &str) -> Result<Option<Arc<RoleRow>>, Error> {
        self.auth.roles.get_or_load(name.to_string(), || Ok(store::role(self, name)?.map(Arc::new)))
    }

    fn cached_permissions(&self, role: &str, resource: &Resource) -> Result<Vec<Permission>, Error> {
        self.auth
            .permissions
            .get_or_load((role.to_string(), resource.name()), || store::permissions(self, role, &resource.name()))
    }

    /// The role and every role granted to it, directly or not (`getRoles(role, true)`), the role first.
    pub(crate) fn role_hierarchy(&self, name: &str) -> Result<Vec<Arc<RoleRow>>, Error> {
        let mut out: Vec<Arc<RoleRow>> = Vec::new();
        let mut todo = vec![name.to_string()];
        while let Some(n) = todo.pop() {
            if out.iter().any(|r| r.name == n) {
                continue;
            }
            if let Some(r) = self.cached_role(&n)? {
                todo.extend(r.member_of.iter().rev().cloned());
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Whether the role or one granted to it is a superuser (`Roles.hasSuperuserStatus`).
    pub(crate) fn has_superuser_status(&self, name: &str) -> Result<bool, Error> {
        Ok(self.role_hierarchy(name)?.iter().any(|r| r.is_superuser))
    }

    /// The permissions the logged-in user has on exactly this resource (`IAuthorizer.authorize`).
    pub(crate) fn permissions_on(&self, state: &ClientState, resource: &Resource) -> Result<Vec<Permission>, Error> {
        if !self.auth.config.authorizer.requires_authorization() {
            return Ok(resource.applicable_permissions().to_vec());
        }
        let Some(user) = &state.user else { return Ok(Vec::new()) };
        if self.has_superuser_status(user)? {
            return Ok(resource.applicable_permissions().to_vec());
        }
        let mut out = Vec::new();
        for role in self.role_hierarchy(user)? {
            for p in self.cached_permissions(&role.name, resource)? {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        Ok(out)
    }

    /// Whether the user has `permission` on the resource or one of its parents.
    pub(crate) fn has_permission(
        &self,
        state: &ClientState,
        permission: Permission,
        resource: &Resource,
    ) -> Result<bool, Error> {
        if !self.auth.config.authorizer.requires_authorization() {
            return Ok(true);
        }
        // A permission on ALL KEYSPACES does not reach into the system keyspaces
        // (`ClientState.ensurePermission`: their chain stops below the root).
        let in_system_keyspace = match resource {
            Resource::Keyspace(k) | Resource::AllTables(k) | Resource::Table(k, _) => check::is_system_keyspace(k),
            _ => false,
        };
        for r in resource.chain() {
            if in_system_keyspace && r == Resource::AllKeyspaces {
                continue;
            }
            if self.permissions_on(state, &r)?.contains(&permission) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
