//! The authentication exchange: STARTUP is answered AUTHENTICATE when the server's authenticator
//! requires credentials, the client sends them in AUTH_RESPONSE as a SASL PLAIN token, and
//! AUTH_SUCCESS logs the connection in. Until then only AUTH_RESPONSE is accepted.
//!
//! Checking a password costs a bcrypt verification (tens of milliseconds by design): it runs on
//! tokio's blocking pool, never on the reactor.

use std::sync::Arc;

use query::{Error, QueryProcessor};

/// The credentials of a SASL PLAIN token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub user: String,
    pub password: String,
}

/// Decodes `[authzid] NUL authcid NUL password` (RFC 4616) as Cassandra's
/// `PlainTextSaslAuthenticator` does: the authorization id is ignored, and empty or missing parts
/// are refused with its messages.
pub(crate) fn decode_plain(token: &[u8]) -> Result<Credentials, Error> {
    let mut user: Option<&[u8]> = None;
    let mut password: Option<&[u8]> = None;
    let mut end = token.len();
    for i in (0..token.len()).rev() {
        if token[i] != 0 {
            continue;
        }
        if password.is_none() {
            password = Some(&token[i + 1..end]);
        } else if user.is_none() {
            user = Some(&token[i + 1..end]);
        } else {
            return Err(Error::BadCredentials(
                "Credential format error: username or password is empty or contains NUL(\\0) character".into(),
            ));
        }
        end = i;
    }
    let password = password.filter(|p| !p.is_empty());
    let Some(password) = password else {
        return Err(Error::BadCredentials("Password must not be null".into()));
    };
    let user = user.filter(|u| !u.is_empty());
    let Some(user) = user else {
        return Err(Error::BadCredentials("Authentication ID must not be null".into()));
    };
    Ok(Credentials {
        user: String::from_utf8_lossy(user).into_owned(),
        password: String::from_utf8_lossy(password).into_owned(),
    })
}

/// Checks an AUTH_RESPONSE token; the role name to log in as.
pub(crate) async fn authenticate(processor: Arc<QueryProcessor>, token: Option<&[u8]>) -> Result<String, Error> {
    let credentials = decode_plain(token.unwrap_or_default())?;
    tokio::task::spawn_blocking(move || processor.authenticate(&credentials.user, &credentials.password))
        .await
        .map_err(|e| Error::Server(format!("authentication failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(user: &str, password: &str) -> Credentials {
        Credentials { user: user.into(), password: password.into() }
    }

    #[test]
    fn a_plain_token_carries_user_and_password_after_an_empty_authzid() {
        assert_eq!(decode_plain(b"\0cassandra\0secret"), Ok(creds("cassandra", "secret")));
    }

    #[test]
    fn the_authorization_id_is_ignored() {
        assert_eq!(decode_plain(b"admin\0bob\0pw"), Ok(creds("bob", "pw")));
    }

    #[test]
    fn a_missing_or_empty_password_is_refused() {
        let err = Error::BadCredentials("Password must not be null".into());
        assert_eq!(decode_plain(b""), Err(err.clone()));
        assert_eq!(decode_plain(b"\0bob\0"), Err(err));
    }

    #[test]
    fn a_missing_user_is_refused() {
        assert_eq!(decode_plain(b"\0\0pw"), Err(Error::BadCredentials("Authentication ID must not be null".into())));
        assert_eq!(decode_plain(b"pw"), Err(Error::BadCredentials("Password must not be null".into())));
    }

    #[test]
    fn a_token_with_too_many_separators_is_a_format_error() {
        assert!(
            matches!(decode_plain(b"a\0b\0c\0d"), Err(Error::BadCredentials(m)) if m.starts_with("Credential format error"))
        );
    }

    #[test]
    fn user_names_keep_their_case_and_utf8() {
        assert_eq!(decode_plain("\0Zoë\0pässword".as_bytes()), Ok(creds("Zoë", "pässword")));
    }
}
