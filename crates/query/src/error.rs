//! CQL errors, with the codes and bodies the native protocol gives them.

use bytes::Bytes;

/// The error classes of the native protocol (spec §9), as the query layer produces them.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 0x0000
    #[error("{0}")]
    Server(String),
    /// 0x000A
    #[error("{0}")]
    Protocol(String),
    /// 0x0100
    #[error("{0}")]
    BadCredentials(String),
    /// 0x1000: `consistency`, `required`, `alive`.
    #[error("{message}")]
    Unavailable { message: String, consistency: u16, required: i32, alive: i32 },
    /// 0x1001
    #[error("{0}")]
    Overloaded(String),
    /// 0x1100: `consistency`, `received`, `block_for`, `write_type`.
    #[error("{message}")]
    WriteTimeout { message: String, consistency: u16, received: i32, block_for: i32, write_type: String },
    /// 0x1200
    #[error("{message}")]
    ReadTimeout { message: String, consistency: u16, received: i32, block_for: i32, data_present: bool },
    /// 0x1400
    #[error("{message}")]
    FunctionFailure { message: String, keyspace: String, function: String, arg_types: Vec<String> },
    /// 0x2000
    #[error("{0}")]
    Syntax(String),
    /// 0x2100
    #[error("{0}")]
    Unauthorized(String),
    /// 0x2200
    #[error("{0}")]
    Invalid(String),
    /// 0x2300
    #[error("{0}")]
    Config(String),
    /// 0x2400: keyspace, and table ("" for a keyspace).
    #[error("{message}")]
    AlreadyExists { message: String, keyspace: String, table: String },
    /// 0x2500: the unknown statement id.
    #[error("{message}")]
    Unprepared { message: String, id: Bytes },
}

/// Protocol error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum ErrorCode {
    Server = 0x0000,
    Protocol = 0x000A,
    BadCredentials = 0x0100,
    Unavailable = 0x1000,
    Overloaded = 0x1001,
    IsBootstrapping = 0x1002,
    Truncate = 0x1003,
    WriteTimeout = 0x1100,
    ReadTimeout = 0x1200,
    ReadFailure = 0x1300,
    FunctionFailure = 0x1400,
    WriteFailure = 0x1500,
    Syntax = 0x2000,
    Unauthorized = 0x2100,
    Invalid = 0x2200,
    Config = 0x2300,
    AlreadyExists = 0x2400,
    Unprepared = 0x2500,
}

impl Error {
    /// The protocol error code of this error: the one place errors become codes.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Server(_) => ErrorCode::Server,
            Error::Protocol(_) => ErrorCode::Protocol,
            Error::BadCredentials(_) => ErrorCode::BadCredentials,
            Error::Unavailable { .. } => ErrorCode::Unavailable,
            Error::Overloaded(_) => ErrorCode::Overloaded,
            Error::WriteTimeout { .. } => ErrorCode::WriteTimeout,
            Error::ReadTimeout { .. } => ErrorCode::ReadTimeout,
            Error::FunctionFailure { .. } => ErrorCode::FunctionFailure,
            Error::Syntax(_) => ErrorCode::Syntax,
            Error::Unauthorized(_) => ErrorCode::Unauthorized,
            Error::Invalid(_) => ErrorCode::Invalid,
            Error::Config(_) => ErrorCode::Config,
            Error::AlreadyExists { .. } => ErrorCode::AlreadyExists,
            Error::Unprepared { .. } => ErrorCode::Unprepared,
        }
    }

    pub fn invalid(msg: impl Into<String>) -> Error {
        Error::Invalid(msg.into())
    }
}
