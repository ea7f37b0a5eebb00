//! Request messages (spec §4.1), decoded from a frame body for a given protocol version.
//!
//! Values are zero-copy slices of the body. Differences by version:
//! - v3: a negative [value] length is always null (there is no "not set").
//! - v5: QUERY/EXECUTE/BATCH flags are an [int] with `keyspace` (0x80) and `now_in_seconds`
//!   (0x100); PREPARE carries flags and an optional keyspace; EXECUTE carries the result
//!   metadata id after the statement id.

use bytes::Bytes;
use query::{BatchOptions, BatchStatement, QueryOptions, Value};

use crate::frame::{Opcode, ProtocolVersion};
use crate::wire::{self, RawValue, WireError};

/// Query parameter flags (spec §4.1.4).
pub mod query_flags {
    pub const VALUES: u32 = 0x01;
    pub const SKIP_METADATA: u32 = 0x02;
    pub const PAGE_SIZE: u32 = 0x04;
    pub const PAGING_STATE: u32 = 0x08;
    pub const SERIAL_CONSISTENCY: u32 = 0x10;
    pub const DEFAULT_TIMESTAMP: u32 = 0x20;
    pub const NAMES_FOR_VALUES: u32 = 0x40;
    /// v5 only.
    pub const KEYSPACE: u32 = 0x80;
    /// v5 only.
    pub const NOW_IN_SECONDS: u32 = 0x100;
}

/// The event types REGISTER accepts.
pub const EVENT_TYPES: &[&str] = &["TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"];

/// Highest consistency code Cassandra knows (NODE_LOCAL).
const MAX_CONSISTENCY: u16 = 0x000B;

/// A decoded request. Strings borrow from the frame body.
#[derive(Debug, Clone)]
pub enum Request<'a> {
    /// Options with upper-cased keys, in wire order.
    Startup(Vec<(String, String)>),
    AuthResponse(Option<&'a [u8]>),
    Options,
    Query {
        query: &'a str,
        options: QueryOptions,
    },
    Prepare {
        query: &'a str,
        keyspace: Option<&'a str>,
    },
    /// `options.result_metadata_id` holds the v5 result metadata id.
    Execute {
        id: Bytes,
        options: QueryOptions,
    },
    Batch {
        statements: Vec<BatchStatement>,
        options: BatchOptions,
    },
    Register {
        events: Vec<String>,
    },
}

/// A body that is not a valid message: answered with a protocol error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("{0}")]
    Wire(#[from] WireError),
    #[error("{0}")]
    Invalid(String),
}

fn invalid(msg: impl Into<String>) -> DecodeError {
    DecodeError::Invalid(msg.into())
}

impl<'a> Request<'a> {
    /// Decodes the body of a request (after any custom payload, tracing or compression has been
    /// dealt with). `body` must be the buffer `bytes` points into: values are sliced from it.
    pub fn decode(opcode: Opcode, version: ProtocolVersion, body: &'a Bytes) -> Result<Request<'a>, DecodeError> {
        let mut buf: &'a [u8] = &body[..];
        let buf = &mut buf;
        Ok(match opcode {
            Opcode::Startup => {
                let mut options = wire::read_string_map(buf)?;
                for (k, _) in &mut options {
                    k.make_ascii_uppercase();
                }
                Request::Startup(options)
            }
            Opcode::AuthResponse => Request::AuthResponse(wire::read_bytes(buf)?),
            Opcode::Options => Request::Options,
            Opcode::Query => {
                let query = wire::read_long_string(buf)?;
                let options = decode_query_parameters(buf, version, body)?;
                Request::Query { query, options }
            }
            Opcode::Prepare => {
                let query = wire::read_long_string(buf)?;
                let mut keyspace = None;
                if version >= ProtocolVersion::V5 {
                    let flags = wire::read_int(buf)? as u32;
                    if flags & 0x01 != 0 {
                        keyspace = Some(wire::read_string(buf)?);
                    }
                }
                Request::Prepare { query, keyspace }
            }
            Opcode::Execute => {
                let id = body.slice_ref(wire::read_short_bytes(buf)?);
                let result_metadata_id = if version >= ProtocolVersion::V5 {
                    Some(body.slice_ref(wire::read_short_bytes(buf)?))
                } else {
                    None
                };
                let mut options = decode_query_parameters(buf, version, body)?;
                options.result_metadata_id = result_metadata_id;
                Request::Execute { id, options }
            }
            Opcode::Batch => decode_batch(buf, version, body)?,
            Opcode::Register => {
                let events = wire::read_string_list(buf)?;
                if let Some(bad) = events.iter().find(|e| !EVENT_TYPES.contains(&e.as_str())) {
                    return Err(invalid(format!("Invalid value '{bad}' for Type")));
                }
                Request::Register { events }
            }
            other => return Err(invalid(format!("Unexpected message {} from a client", other.name()))),
        })
    }
}

fn read_consistency(buf: &mut &[u8]) -> Result<u16, DecodeError> {
    let code = wire::read_consistency(buf)?;
    if code > MAX_CONSISTENCY {
        return Err(invalid(format!("Unknown code {code} for a consistency level")));
    }
    Ok(code)
}

fn read_flags(buf: &mut &[u8], version: ProtocolVersion) -> Result<u32, DecodeError> {
    Ok(if version.has_int_query_flags() { wire::read_int(buf)? as u32 } else { wire::read_byte(buf)?.into() })
}

fn read_timestamp(buf: &mut &[u8]) -> Result<i64, DecodeError> {
    let ts = wire::read_long(buf)?;
    if ts == i64::MIN {
        return Err(invalid(format!("Out of bound timestamp, must be in [{}, {}] (got {ts})", i64::MIN + 1, i64::MAX)));
    }
    Ok(ts)
}

fn read_bound_value(buf: &mut &[u8], version: ProtocolVersion, body: &Bytes) -> Result<Value, DecodeError> {
    Ok(match wire::read_value(buf, version.has_unset_values())? {
        RawValue::Null => Value::Null,
        RawValue::Unset => Value::Unset,
        RawValue::Bytes(b) => Value::Bytes(body.slice_ref(b)),
    })
}

fn read_values(buf: &mut &[u8], version: ProtocolVersion, body: &Bytes) -> Result<Vec<Value>, DecodeError> {
    let n = wire::read_short(buf)? as usize;
    let mut values = Vec::with_capacity(n.min(buf.len() / 4));
    for _ in 0..n {
        values.push(read_bound_value(buf, version, body)?);
    }
    Ok(values)
}

/// `<consistency><flags>[values][page_size][paging_state][serial_consistency][timestamp]`
/// `[keyspace][now_in_seconds]` (spec §4.1.4).
pub fn decode_query_parameters(
    buf: &mut &[u8],
    version: ProtocolVersion,
    body: &Bytes,
) -> Result<QueryOptions, DecodeError> {
    use query_flags::*;
    let consistency = read_consistency(buf)?;
    let flags = read_flags(buf, version)?;
    let mut options = QueryOptions { consistency, skip_metadata: flags & SKIP_METADATA != 0, ..Default::default() };
    if flags & VALUES != 0 {
        if flags & NAMES_FOR_VALUES != 0 {
            let n = wire::read_short(buf)? as usize;
            let mut names = Vec::with_capacity(n.min(buf.len() / 6));
            let mut values = Vec::with_capacity(n.min(buf.len() / 6));
            for _ in 0..n {
                names.push(wire::read_string(buf)?.to_owned());
                values.push(read_bound_value(buf, version, body)?);
            }
            options.names = Some(names);
            options.values = values;
        } else {
            options.values = read_values(buf, version, body)?;
        }
    }
    if flags & PAGE_SIZE != 0 {
        options.page_size = Some(wire::read_int(buf)?);
    }
    if flags & PAGING_STATE != 0 {
        options.paging_state = wire::read_bytes(buf)?.map(|b| body.slice_ref(b));
    }
    if flags & SERIAL_CONSISTENCY != 0 {
        options.serial_consistency = Some(read_consistency(buf)?);
    }
    if flags & DEFAULT_TIMESTAMP != 0 {
        options.timestamp = Some(read_timestamp(buf)?);
    }
    if version >= ProtocolVersion::V5 {
        if flags & KEYSPACE != 0 {
            options.keyspace = Some(wire::read_string(buf)?.to_owned());
        }
        if flags & NOW_IN_SECONDS != 0 {
            options.now_in_seconds = Some(wire::read_int(buf)?);
        }
    }
    Ok(options)
}

/// `<type><n><query_1>...<query_n><consistency><flags>[<serial_consistency>][<timestamp>]`
/// `[keyspace][now_in_seconds]` (spec §4.1.7).
fn decode_batch<'a>(buf: &mut &'a [u8], version: ProtocolVersion, body: &'a Bytes) -> Result<Request<'a>, DecodeError> {
    use query_flags::*;
    let kind = wire::read_byte(buf)?;
    if kind > 2 {
        return Err(invalid(format!("Invalid BATCH message type {kind}")));
    }
    let n = wire::read_short(buf)? as usize;
    let mut statements = Vec::with_capacity(n.min(buf.len() / 7));
    for _ in 0..n {
        let statement = match wire::read_byte(buf)? {
            0 => {
                let query = wire::read_long_string(buf)?.to_owned();
                BatchStatement::Query { query, values: read_values(buf, version, body)? }
            }
            1 => {
                let id = body.slice_ref(wire::read_short_bytes(buf)?);
                BatchStatement::Prepared { id, values: read_values(buf, version, body)? }
            }
            other => {
                return Err(invalid(format!("Invalid query kind in BATCH messages. Must be 0 or 1 but got {other}")))
            }
        };
        statements.push(statement);
    }
    let consistency = read_consistency(buf)?;
    let flags = read_flags(buf, version)?;
    if flags & NAMES_FOR_VALUES != 0 {
        return Err(invalid("Names for values are not supported in BATCH messages"));
    }
    let mut options = BatchOptions { kind, consistency, ..Default::default() };
    if flags & SERIAL_CONSISTENCY != 0 {
        options.serial_consistency = Some(read_consistency(buf)?);
    }
    if flags & DEFAULT_TIMESTAMP != 0 {
        options.timestamp = Some(read_timestamp(buf)?);
    }
    if version >= ProtocolVersion::V5 {
        if flags & KEYSPACE != 0 {
            options.keyspace = Some(wire::read_string(buf)?.to_owned());
        }
        if flags & NOW_IN_SECONDS != 0 {
            options.now_in_seconds = Some(wire::read_int(buf)?);
        }
    }
    Ok(Request::Batch { statements, options })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProtocolVersion::*;

    fn decode(opcode: Opcode, version: ProtocolVersion, bytes: &[u8]) -> Result<Request<'static>, DecodeError> {
        let body: &'static Bytes = Box::leak(Box::new(Bytes::copy_from_slice(bytes)));
        Request::decode(opcode, version, body)
    }

    fn long_string(s: &str) -> Vec<u8> {
        let mut v = (s.len() as i32).to_be_bytes().to_vec();
        v.extend_from_slice(s.as_bytes());
        v
    }

    fn b(v: &[u8]) -> Value {
        Value::Bytes(Bytes::copy_from_slice(v))
    }

    #[test]
    fn options_has_an_empty_body() {
        assert!(matches!(decode(Opcode::Options, V4, &[]), Ok(Request::Options)));
    }

    #[test]
    fn startup_is_a_string_map_with_upper_cased_keys() {
        let body = [
            0, 2, 0, 11, b'c', b'q', b'l', b'_', b'v', b'e', b'r', b's', b'i', b'o', b'n', 0, 5, b'3', b'.', b'0',
            b'.', b'0', 0, 11,
        ]
        .iter()
        .copied()
        .chain(*b"COMPRESSION")
        .chain([0, 3])
        .chain(*b"lz4")
        .collect::<Vec<u8>>();
        let Ok(Request::Startup(options)) = decode(Opcode::Startup, V4, &body) else { panic!() };
        assert_eq!(options, [("CQL_VERSION".into(), "3.0.0".into()), ("COMPRESSION".into(), "lz4".into())]);
    }

    #[test]
    fn auth_response_is_a_bytes_token() {
        assert!(matches!(
            decode(Opcode::AuthResponse, V4, &[0, 0, 0, 2, 0, b'u']),
            Ok(Request::AuthResponse(Some([0, b'u'])))
        ));
        assert!(matches!(decode(Opcode::AuthResponse, V4, &[0xFF, 0xFF, 0xFF, 0xFF]), Ok(Request::AuthResponse(None))));
    }

    #[test]
    fn query_without_flags_has_only_consistency() {
        let mut body = long_string("SELECT 1");
        body.extend_from_slice(&[0, 1, 0]);
        let Ok(Request::Query { query, options }) = decode(Opcode::Query, V4, &body) else { panic!() };
        assert_eq!(query, "SELECT 1");
        assert_eq!(options.consistency, 1);
        assert!(options.values.is_empty());
        assert_eq!(options.page_size, None);
        assert!(!options.skip_metadata);
    }

    #[test]
    fn query_with_every_v4_flag_reads_each_field_in_order() {
        let mut body = long_string("q");
        body.extend_from_slice(&[0, 6]); // LOCAL_QUORUM
        body.push(0x01 | 0x02 | 0x04 | 0x08 | 0x10 | 0x20);
        body.extend_from_slice(&[0, 3]); // 3 values
        body.extend_from_slice(&[0, 0, 0, 2, 0xAB, 0xCD]);
        body.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]); // null
        body.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFE]); // unset
        body.extend_from_slice(&[0, 0, 0x13, 0x88]); // page size 5000
        body.extend_from_slice(&[0, 0, 0, 1, 0x77]); // paging state
        body.extend_from_slice(&[0, 9]); // LOCAL_SERIAL
        body.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0x01, 0x00]); // timestamp 256
        let Ok(Request::Query { options, .. }) = decode(Opcode::Query, V4, &body) else { panic!() };
        assert_eq!(options.consistency, 6);
        assert!(options.skip_metadata);
        assert_eq!(options.values, vec![b(&[0xAB, 0xCD]), Value::Null, Value::Unset]);
        assert_eq!(options.names, None);
        assert_eq!(options.page_size, Some(5000));
        assert_eq!(options.paging_state, Some(Bytes::from_static(&[0x77])));
        assert_eq!(options.serial_consistency, Some(9));
        assert_eq!(options.timestamp, Some(256));
        assert_eq!(options.keyspace, None);
    }

    #[test]
    fn query_with_names_for_values_reads_a_name_before_each_value() {
        let mut body = long_string("q");
        body.extend_from_slice(&[0, 1, 0x41, 0, 2]);
        body.extend_from_slice(&[0, 1, b'a', 0, 0, 0, 1, 1]);
        body.extend_from_slice(&[0, 1, b'b', 0, 0, 0, 0]);
        let Ok(Request::Query { options, .. }) = decode(Opcode::Query, V4, &body) else { panic!() };
        assert_eq!(options.names, Some(vec!["a".into(), "b".into()]));
        assert_eq!(options.values, vec![b(&[1]), b(&[])]);
    }

    #[test]
    fn v3_query_reads_minus_two_as_null() {
        let mut body = long_string("q");
        body.extend_from_slice(&[0, 1, 0x01, 0, 1, 0xFF, 0xFF, 0xFF, 0xFE]);
        let Ok(Request::Query { options, .. }) = decode(Opcode::Query, V3, &body) else { panic!() };
        assert_eq!(options.values, vec![Value::Null]);
    }

    #[test]
    fn v4_flag_0x80_does_not_read_a_keyspace() {
        let mut body = long_string("q");
        body.extend_from_slice(&[0, 1, 0x80]);
        let Ok(Request::Query { options, .. }) = decode(Opcode::Query, V4, &body) else { panic!() };
        assert_eq!(options.keyspace, None);
    }

    #[test]
    fn v5_query_flags_are_an_int_with_keyspace_and_now_in_seconds() {
        let mut body = long_string("q");
        body.extend_from_slice(&[0, 1, 0, 0, 0x01, 0x84]); // page size, keyspace, now_in_seconds
        body.extend_from_slice(&[0, 0, 0, 100]);
        body.extend_from_slice(&[0, 2, b'k', b's']);
        body.extend_from_slice(&[0, 0, 0, 42]);
        let Ok(Request::Query { options, .. }) = decode(Opcode::Query, V5, &body) else { panic!() };
        assert_eq!(options.page_size, Some(100));
        assert_eq!(options.keyspace.as_deref(), Some("ks"));
        assert_eq!(options.now_in_seconds, Some(42));
    }

    #[test]
    fn unknown_consistency_is_an_error() {
        let mut body = long_string("q");
        body.extend_from_slice(&[0, 0x20, 0]);
        assert_eq!(
            decode(Opcode::Query, V4, &body).unwrap_err(),
            DecodeError::Invalid("Unknown code 32 for a consistency level".into())
        );
    }

    #[test]
    fn minimum_long_timestamp_is_an_error() {
        let mut body = long_string("q");
        body.extend_from_slice(&[0, 1, 0x20, 0x80, 0, 0, 0, 0, 0, 0, 0]);
        assert!(
            matches!(decode(Opcode::Query, V4, &body), Err(DecodeError::Invalid(m)) if m.starts_with("Out of bound timestamp"))
        );
    }

    #[test]
    fn truncated_query_is_an_error() {
        let mut body = long_string("q");
        body.extend_from_slice(&[0, 1, 0x01, 0, 2, 0, 0, 0, 1]);
        assert!(matches!(decode(Opcode::Query, V4, &body), Err(DecodeError::Wire(_))));
        assert!(matches!(decode(Opcode::Query, V4, &[0, 0, 0, 9, b'x']), Err(DecodeError::Wire(_))));
    }

    #[test]
    fn prepare_v4_is_just_the_query() {
        assert!(matches!(
            decode(Opcode::Prepare, V4, &long_string("SELECT * FROM t")),
            Ok(Request::Prepare { query: "SELECT * FROM t", keyspace: None })
        ));
    }

    #[test]
    fn prepare_v5_has_flags_and_an_optional_keyspace() {
        let mut body = long_string("q");
        body.extend_from_slice(&[0, 0, 0, 1, 0, 2, b'k', b's']);
        assert!(matches!(
            decode(Opcode::Prepare, V5, &body),
            Ok(Request::Prepare { query: "q", keyspace: Some("ks") })
        ));
        let mut body = long_string("q");
        body.extend_from_slice(&[0, 0, 0, 0]);
        assert!(matches!(decode(Opcode::Prepare, V5, &body), Ok(Request::Prepare { query: "q", keyspace: None })));
    }

    #[test]
    fn execute_v4_is_id_then_query_parameters() {
        let body = [0, 2, 0xDE, 0xAD, 0, 1, 0x01, 0, 1, 0, 0, 0, 1, 9];
        let Ok(Request::Execute { id, options }) = decode(Opcode::Execute, V4, &body) else { panic!() };
        assert_eq!(&id[..], [0xDE, 0xAD]);
        assert_eq!(options.result_metadata_id, None);
        assert_eq!(options.values, vec![b(&[9])]);
    }

    #[test]
    fn execute_v5_has_the_result_metadata_id_after_the_id() {
        let body = [0, 1, 0x01, 0, 1, 0x02, 0, 1, 0, 0, 0, 0x02];
        let Ok(Request::Execute { id, options }) = decode(Opcode::Execute, V5, &body) else { panic!() };
        assert_eq!(&id[..], [1]);
        assert_eq!(options.result_metadata_id.as_deref(), Some(&[2u8][..]));
        assert!(options.skip_metadata);
    }

    #[test]
    fn batch_mixes_query_strings_and_prepared_ids() {
        let mut body = vec![1, 0, 2]; // unlogged, 2 statements
        body.push(0);
        body.extend_from_slice(&long_string("INSERT"));
        body.extend_from_slice(&[0, 1, 0, 0, 0, 1, 5]);
        body.extend_from_slice(&[1, 0, 1, 0xAA, 0, 1, 0xFF, 0xFF, 0xFF, 0xFE]);
        body.extend_from_slice(&[0, 4, 0x30, 0, 8, 0, 0, 0, 0, 0, 0, 0, 7]);
        let Ok(Request::Batch { statements, options }) = decode(Opcode::Batch, V4, &body) else { panic!() };
        assert_eq!(statements.len(), 2);
        assert!(
            matches!(&statements[0], BatchStatement::Query { query, values } if query == "INSERT" && *values == vec![b(&[5])])
        );
        assert!(
            matches!(&statements[1], BatchStatement::Prepared { id, values } if id[..] == [0xAA] && *values == vec![Value::Unset])
        );
        assert_eq!(options.kind, 1);
        assert_eq!(options.consistency, 4);
        assert_eq!(options.serial_consistency, Some(8));
        assert_eq!(options.timestamp, Some(7));
    }

    #[test]
    fn batch_v5_flags_are_an_int() {
        let body = [0, 0, 0, 0, 1, 0, 0, 0, 0x80, 0, 1, b'k'];
        let Ok(Request::Batch { statements, options }) = decode(Opcode::Batch, V5, &body) else { panic!() };
        assert!(statements.is_empty());
        assert_eq!(options.keyspace.as_deref(), Some("k"));
    }

    #[test]
    fn batch_with_a_bad_statement_kind_is_an_error() {
        let body = [0, 0, 1, 2];
        assert_eq!(
            decode(Opcode::Batch, V4, &body).unwrap_err(),
            DecodeError::Invalid("Invalid query kind in BATCH messages. Must be 0 or 1 but got 2".into())
        );
    }

    #[test]
    fn batch_with_names_for_values_is_an_error() {
        assert!(matches!(decode(Opcode::Batch, V4, &[0, 0, 0, 0, 1, 0x40]), Err(DecodeError::Invalid(_))));
    }

    #[test]
    fn batch_with_a_bad_type_is_an_error() {
        assert!(matches!(decode(Opcode::Batch, V4, &[3, 0, 0, 0, 1, 0]), Err(DecodeError::Invalid(_))));
    }

    #[test]
    fn register_is_a_list_of_event_types() {
        let mut body = vec![0, 3];
        for e in EVENT_TYPES {
            body.extend_from_slice(&(e.len() as u16).to_be_bytes());
            body.extend_from_slice(e.as_bytes());
        }
        let Ok(Request::Register { events }) = decode(Opcode::Register, V4, &body) else { panic!() };
        assert_eq!(events, EVENT_TYPES);
    }

    #[test]
    fn register_with_an_unknown_event_type_is_an_error() {
        assert_eq!(
            decode(Opcode::Register, V4, &[0, 1, 0, 3, b'F', b'O', b'O']).unwrap_err(),
            DecodeError::Invalid("Invalid value 'FOO' for Type".into())
        );
    }

    #[test]
    fn decoded_values_share_the_body_buffer() {
        let body = Bytes::from(vec![0, 1, 0x01, 0, 1, 0, 0, 0, 3, 1, 2, 3]);
        let mut buf = &body[..];
        let options = decode_query_parameters(&mut buf, V4, &body).unwrap();
        let Value::Bytes(v) = &options.values[0] else { panic!() };
        assert_eq!(v.as_ptr(), body[9..].as_ptr());
    }
}
