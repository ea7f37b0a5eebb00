//! The CQL native protocol server: what Cassandra drivers talk to.
//!
//! Owns: the TCP accept loop and connection limits, TLS, frames and their compression, decoding every
//! request message and encoding every response message for protocol v3, v4 and v5 (with v5's
//! checksummed segment framing), connection state (negotiated version, compression, `ClientState`),
//! stream multiplexing and back-pressure, SCHEMA_CHANGE events, and turning `query::Error`s into
//! ERROR frames. See `docs/protocol.md` for what is supported, version by version.
//!
//! Must not know: how statements are parsed, checked or executed, what the schema or the storage
//! looks like. It only calls [`query::QueryProcessor`] and encodes what it returns.
//!
//! Entry point: [`run`] with a [`ServerConfig`].

mod auth;
pub mod compression;
mod connection;
pub mod events;
pub mod frame;
#[doc(hidden)]
pub mod fuzzing;
pub mod request;
pub mod response;
pub mod segment;
mod server;
pub mod tls;
pub mod wire;

pub use server::{run, ServerConfig};
pub use tls::{TlsConfig, TlsError};
