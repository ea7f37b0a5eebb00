//! Specifications of value serialization, decoding, validation, ordering and literal printing.

use std::cmp::Ordering;

use super::*;
use crate::NativeType;

fn native(n: NativeType) -> CqlType {
    CqlType::Native(n)
}

fn udt_type() -> CqlType {
    CqlType::Udt {
        keyspace: "ks".into(),
        name: "address".into(),
        fields: vec![("street".into(), CqlType::TEXT), ("Zip".into(), CqlType::INT)],
        frozen: true,
    }
}

/// A version-1 UUID with the given 60-bit timestamp and low half.
fn v1_uuid(timestamp: u64, lsb: u64) -> [u8; 16] {
    let msb = ((timestamp & 0xFFFF_FFFF) << 32) | (((timestamp >> 32) & 0xFFFF) << 16) | 0x1000 | (timestamp >> 48);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&msb.to_be_bytes());
    bytes[8..].copy_from_slice(&lsb.to_be_bytes());
    bytes
}

mod serialization {
    use super::*;

    #[test]
    fn int_serializes_as_four_big_endian_bytes() {
        assert_eq!(CqlValue::Int(-2).to_bytes(), vec![0xFF, 0xFF, 0xFF, 0xFE]);
    }

    #[test]
    fn fixed_width_integers_serialize_big_endian() {
        assert_eq!(CqlValue::Bigint(1).to_bytes(), vec![0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(CqlValue::Counter(256).to_bytes(), vec![0, 0, 0, 0, 0, 0, 1, 0]);
        assert_eq!(CqlValue::Smallint(-1).to_bytes(), vec![0xFF, 0xFF]);
        assert_eq!(CqlValue::Tinyint(5).to_bytes(), vec![5]);
    }

    #[test]
    fn boolean_serializes_as_one_byte() {
        assert_eq!(CqlValue::Boolean(true).to_bytes(), vec![1]);
        assert_eq!(CqlValue::Boolean(false).to_bytes(), vec![0]);
    }

    #[test]
    fn text_serializes_as_utf8() {
        assert_eq!(CqlValue::Text("h\u{e9}".into()).to_bytes(), vec![b'h', 0xC3, 0xA9]);
    }

    #[test]
    fn floats_serialize_as_ieee_bits() {
        assert_eq!(CqlValue::Float(1.0).to_bytes(), vec![0x3F, 0x80, 0, 0]);
        assert_eq!(CqlValue::Double(-2.0).to_bytes(), vec![0xC0, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn varint_serializes_as_minimal_twos_complement() {
        let bytes = |v: i64| CqlValue::Varint(BigInt::from(v)).to_bytes();
        assert_eq!(bytes(0), vec![0]);
        assert_eq!(bytes(127), vec![0x7F]);
        assert_eq!(bytes(128), vec![0x00, 0x80]);
        assert_eq!(bytes(-1), vec![0xFF]);
        assert_eq!(bytes(-129), vec![0xFF, 0x7F]);
    }

    #[test]
    fn decimal_serializes_as_scale_then_unscaled_varint() {
        let d: BigDecimal = "123.45".parse().unwrap();
        assert_eq!(CqlValue::Decimal(d).to_bytes(), vec![0, 0, 0, 2, 0x30, 0x39]);
    }

    #[test]
    fn date_serializes_as_unsigned_days_with_epoch_at_two_to_the_31() {
        assert_eq!(CqlValue::Date(1 << 31).to_bytes(), vec![0x80, 0, 0, 0]);
    }

    #[test]
    fn time_and_timestamp_serialize_as_eight_bytes() {
        assert_eq!(CqlValue::Time(1).to_bytes(), vec![0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(CqlValue::Timestamp(-1).to_bytes(), vec![0xFF; 8]);
    }

    #[test]
    fn duration_serializes_as_three_zig_zag_vints() {
        let d = CqlValue::Duration { months: 1, days: 2, nanoseconds: 3 };
        assert_eq!(d.to_bytes(), vec![2, 4, 6]);
        let negative = CqlValue::Duration { months: 0, days: -1, nanoseconds: -1_000_000_000 };
        assert_eq!(negative.to_bytes(), vec![0, 1, 0xF0, 0x77, 0x35, 0x93, 0xFF]);
    }

    #[test]
    fn inet_serializes_as_four_or_sixteen_bytes() {
        assert_eq!(CqlValue::Inet("10.0.0.1".parse().unwrap()).to_bytes(), vec![10, 0, 0, 1]);
        assert_eq!(CqlValue::Inet("::1".parse().unwrap()).to_bytes().len(), 16);
    }

    #[test]
    fn uuid_serializes_as_its_sixteen_bytes() {
        let u = Uuid::from_u128(0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10);
        assert_eq!(CqlValue::Uuid(u).to_bytes(), u.as_bytes().to_vec());
    }

    #[test]
    fn list_serializes_count_then_length_prefixed_elements() {
        let list = CqlValue::List(vec![CqlValue::Int(1), CqlValue::Int(2)]);
        assert_eq!(list.to_bytes(), vec![0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 2]);
    }

    #[test]
    fn set_serializes_sorted_without_duplicates() {
        let set = CqlValue::Set(vec![CqlValue::Int(3), CqlValue::Int(-1), CqlValue::Int(3)]);
        let expected = CqlValue::List(vec![CqlValue::Int(-1), CqlValue::Int(3)]).to_bytes();
        assert_eq!(set.to_bytes(), expected);
    }

    #[test]
    fn map_serializes_sorted_by_key_keeping_the_last_duplicate() {
        let map = CqlValue::Map(vec![
            (CqlValue::Text("b".into()), CqlValue::Int(1)),
            (CqlValue::Text("a".into()), CqlValue::Int(2)),
            (CqlValue::Text("b".into()), CqlValue::Int(3)),
        ]);
        let decoded = CqlValue::deserialize(&CqlType::map(CqlType::TEXT, CqlType::INT), &map.to_bytes()).unwrap();
        assert_eq!(
            decoded,
            CqlValue::Map(vec![
                (CqlValue::Text("a".into()), CqlValue::Int(2)),
                (CqlValue::Text("b".into()), CqlValue::Int(3)),
            ])
        );
    }

    #[test]
    fn tuple_serializes_null_component_as_minus_one_length() {
        let tuple = CqlValue::Tuple(vec![Some(CqlValue::Tinyint(7)), None]);
        assert_eq!(tuple.to_bytes(), vec![0, 0, 0, 1, 7, 0xFF, 0xFF, 0xFF, 0xFF]);
    }

    #[test]
    fn vector_of_fixed_width_elements_has_no_length_prefixes() {
        let v = CqlValue::Vector(vec![CqlValue::Float(1.0), CqlValue::Float(2.0)]);
        assert_eq!(v.to_bytes(), vec![0x3F, 0x80, 0, 0, 0x40, 0, 0, 0]);
    }

    #[test]
    fn vector_of_variable_width_elements_has_vint_length_prefixes() {
        let v = CqlValue::Vector(vec![CqlValue::Text("ab".into()), CqlValue::Text(String::new())]);
        assert_eq!(v.to_bytes(), vec![2, b'a', b'b', 0]);
    }
}

mod deserialization {
    use super::*;

    fn round_trips(typ: CqlType, value: CqlValue) {
        assert_eq!(CqlValue::deserialize(&typ, &value.to_bytes()).unwrap(), value, "{typ}");
    }

    #[test]
    fn every_native_type_round_trips() {
        round_trips(native(NativeType::Ascii), CqlValue::Ascii("abc".into()));
        round_trips(CqlType::BIGINT, CqlValue::Bigint(i64::MIN));
        round_trips(CqlType::BLOB, CqlValue::Blob(vec![0, 0xFF]));
        round_trips(CqlType::BOOLEAN, CqlValue::Boolean(true));
        round_trips(native(NativeType::Counter), CqlValue::Counter(-5));
        round_trips(native(NativeType::Date), CqlValue::Date(12345));
        round_trips(native(NativeType::Decimal), CqlValue::Decimal("-0.0012".parse().unwrap()));
        round_trips(CqlType::DOUBLE, CqlValue::Double(2.5));
        round_trips(native(NativeType::Duration), CqlValue::Duration { months: -1, days: -2, nanoseconds: -3 });
        round_trips(native(NativeType::Float), CqlValue::Float(-0.5));
        round_trips(CqlType::INET, CqlValue::Inet("2001:db8::1".parse().unwrap()));
        round_trips(CqlType::INT, CqlValue::Int(i32::MAX));
        round_trips(native(NativeType::Smallint), CqlValue::Smallint(-300));
        round_trips(CqlType::TEXT, CqlValue::Text("\u{1F600}".into()));
        round_trips(native(NativeType::Time), CqlValue::Time(86_399_999_999_999));
        round_trips(CqlType::TIMESTAMP, CqlValue::Timestamp(-1));
        round_trips(native(NativeType::Timeuuid), CqlValue::Timeuuid(Uuid::from_bytes(v1_uuid(99, 7))));
        round_trips(native(NativeType::Tinyint), CqlValue::Tinyint(-128));
        round_trips(CqlType::UUID, CqlValue::Uuid(Uuid::from_u128(42)));
        round_trips(native(NativeType::Varint), CqlValue::Varint("-123456789012345678901234567890".parse().unwrap()));
    }

    #[test]
    fn composite_types_round_trip() {
        round_trips(CqlType::list(CqlType::TEXT), CqlValue::List(vec![CqlValue::Text("a".into())]));
        round_trips(CqlType::set(CqlType::INT).frozen(), CqlValue::Set(vec![CqlValue::Int(1), CqlValue::Int(2)]));
        round_trips(
            CqlType::Tuple(vec![CqlType::INT, CqlType::TEXT]),
            CqlValue::Tuple(vec![None, Some(CqlValue::Text("x".into()))]),
        );
        round_trips(udt_type(), CqlValue::Udt(vec![Some(CqlValue::Text("main".into())), None]));
        round_trips(
            CqlType::Vector { element: Box::new(CqlType::TEXT), dimension: 2 },
            CqlValue::Vector(vec![CqlValue::Text("a".into()), CqlValue::Text("bc".into())]),
        );
    }

    #[test]
    fn int_of_wrong_length_is_rejected() {
        assert_eq!(CqlValue::deserialize(&CqlType::INT, &[0, 0, 1]).unwrap_err().0, "Expected 4 or 0 byte int (3)");
    }

    #[test]
    fn invalid_utf8_text_is_rejected() {
        assert_eq!(CqlValue::deserialize(&CqlType::TEXT, &[0xC3]).unwrap_err().0, "String didn't validate.");
    }

    #[test]
    fn non_ascii_byte_in_ascii_is_rejected_with_its_signed_value() {
        assert_eq!(
            CqlValue::deserialize(&native(NativeType::Ascii), &[b'a', 0xC3]).unwrap_err().0,
            "Invalid byte for ascii: -61"
        );
    }

    #[test]
    fn timeuuid_of_another_version_is_rejected() {
        let v4 = Uuid::from_u128(0x550e8400_e29b_41d4_a716_446655440000);
        assert_eq!(
            CqlValue::deserialize(&native(NativeType::Timeuuid), v4.as_bytes()).unwrap_err().0,
            "Invalid version for TimeUUID type."
        );
    }

    #[test]
    fn inet_of_wrong_length_is_rejected_with_its_hex() {
        assert_eq!(
            CqlValue::deserialize(&CqlType::INET, &[1, 2, 0xAB]).unwrap_err().0,
            "Expected 4 or 16 byte inetaddress; got 0102ab"
        );
    }

    #[test]
    fn empty_bytes_are_the_empty_string_for_text_and_blob() {
        assert_eq!(CqlValue::deserialize(&CqlType::TEXT, &[]).unwrap(), CqlValue::Text(String::new()));
        assert_eq!(CqlValue::deserialize(&CqlType::BLOB, &[]).unwrap(), CqlValue::Blob(vec![]));
    }

    #[test]
    fn empty_int_is_the_empty_value() {
        assert_eq!(CqlValue::deserialize_or_empty(&CqlType::INT, &[]).unwrap(), None);
        assert_eq!(CqlValue::deserialize(&CqlType::INT, &[]).unwrap_err().0, "Empty value for type int");
    }

    #[test]
    fn empty_smallint_is_rejected() {
        assert_eq!(
            CqlValue::deserialize_or_empty(&native(NativeType::Smallint), &[]).unwrap_err().0,
            "Expected 2 bytes for a smallint (0)"
        );
    }

    #[test]
    fn null_list_element_is_rejected() {
        let bytes = [0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF];
        assert_eq!(
            CqlValue::deserialize(&CqlType::list(CqlType::INT), &bytes).unwrap_err().0,
            "null is not supported inside collections"
        );
    }

    #[test]
    fn tuple_with_missing_trailing_components_is_padded_with_nulls() {
        let typ = CqlType::Tuple(vec![CqlType::INT, CqlType::TEXT]);
        let bytes = CqlValue::Tuple(vec![Some(CqlValue::Int(1))]).to_bytes();
        assert_eq!(CqlValue::deserialize(&typ, &bytes).unwrap(), CqlValue::Tuple(vec![Some(CqlValue::Int(1)), None]));
    }

    #[test]
    fn unresolved_udt_cannot_be_decoded() {
        let typ = CqlType::Udt { keyspace: String::new(), name: "address".into(), fields: vec![], frozen: true };
        assert!(CqlValue::deserialize(&typ, &[0, 0, 0, 0]).is_err());
    }

    #[test]
    fn duration_with_mixed_signs_is_rejected() {
        let bytes = CqlValue::Duration { months: 1, days: -1, nanoseconds: 0 }.to_bytes();
        assert_eq!(
            CqlValue::deserialize(&native(NativeType::Duration), &bytes).unwrap_err().0,
            "The duration months, days and nanoseconds must be all of the same sign (1, -1, 0)"
        );
    }

    #[test]
    fn vector_with_wrong_size_is_rejected() {
        let typ = CqlType::Vector { element: Box::new(native(NativeType::Float)), dimension: 2 };
        assert_eq!(
            CqlValue::deserialize(&typ, &[0, 0, 0, 0]).unwrap_err().0,
            "Not enough bytes to read a vector<float, 2>"
        );
        assert_eq!(CqlValue::deserialize(&typ, &[]).unwrap_err().0, "Invalid empty vector value");
    }

    #[test]
    fn custom_type_decodes_as_blob() {
        let typ = CqlType::Custom("org.example.Thing".into());
        assert_eq!(CqlValue::deserialize(&typ, &[1, 2]).unwrap(), CqlValue::Blob(vec![1, 2]));
    }

    #[test]
    fn natural_type_of_a_list_comes_from_its_elements() {
        assert_eq!(CqlValue::List(vec![CqlValue::Int(1)]).natural_type(), CqlType::list(CqlType::INT).frozen());
    }
}

mod validation {
    use super::*;

    #[test]
    fn empty_value_is_valid_for_int() {
        assert_eq!(CqlValue::validate(&CqlType::INT, &[]), Ok(()));
    }

    #[test]
    fn empty_value_is_invalid_for_date_and_time() {
        assert_eq!(
            CqlValue::validate(&native(NativeType::Date), &[]).unwrap_err().0,
            "Expected 4 byte long for date (0)"
        );
        assert_eq!(
            CqlValue::validate(&native(NativeType::Time), &[]).unwrap_err().0,
            "Expected 8 byte long for time (0)"
        );
    }

    #[test]
    fn wrong_lengths_get_cassandras_messages() {
        let message = |n: NativeType, bytes: &[u8]| CqlValue::validate(&native(n), bytes).unwrap_err().0;
        assert_eq!(message(NativeType::Bigint, &[1]), "Expected 8 or 0 byte long (1)");
        assert_eq!(message(NativeType::Tinyint, &[1, 2]), "Expected 1 byte for a tinyint (2)");
        assert_eq!(message(NativeType::Float, &[1]), "Expected 4 or 0 byte value for a float (1)");
        assert_eq!(message(NativeType::Double, &[1]), "Expected 8 or 0 byte value for a double (1)");
        assert_eq!(message(NativeType::Boolean, &[1, 1]), "Expected 1 or 0 byte value (2)");
        assert_eq!(message(NativeType::Timestamp, &[1]), "Expected 8 or 0 byte long for date (1)");
        assert_eq!(message(NativeType::Uuid, &[1]), "UUID should be 16 or 0 bytes (1)");
        assert_eq!(message(NativeType::Decimal, &[1]), "Expected 0 or at least 4 bytes (1)");
        assert_eq!(message(NativeType::Duration, &[1]), "Expected at least 3 bytes for a duration (1)");
    }

    #[test]
    fn empty_element_inside_a_list_is_valid_for_int() {
        let bytes = [0, 0, 0, 1, 0, 0, 0, 0];
        assert_eq!(CqlValue::validate(&CqlType::list(CqlType::INT), &bytes), Ok(()));
    }

    #[test]
    fn invalid_element_inside_a_map_is_reported() {
        let bytes = [0, 0, 0, 1, 0, 0, 0, 1, 0xC3, 0, 0, 0, 0];
        assert_eq!(
            CqlValue::validate(&CqlType::map(CqlType::TEXT, CqlType::INT), &bytes).unwrap_err().0,
            "String didn't validate."
        );
    }

    #[test]
    fn truncated_list_is_reported() {
        assert_eq!(
            CqlValue::validate(&CqlType::list(CqlType::INT), &[0, 0, 0, 1, 0, 0]).unwrap_err().0,
            "Not enough bytes to read a list"
        );
    }

    #[test]
    fn udt_with_extra_data_is_reported() {
        let mut bytes = CqlValue::Udt(vec![None, Some(CqlValue::Int(1))]).to_bytes();
        bytes.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(
            CqlValue::validate(&udt_type(), &bytes).unwrap_err().0,
            "Invalid remaining data after end of UDT value"
        );
    }

    #[test]
    fn any_bytes_are_a_valid_varint_or_blob() {
        assert_eq!(CqlValue::validate(&native(NativeType::Varint), &[0, 0, 0xFF]), Ok(()));
        assert_eq!(CqlValue::validate(&CqlType::BLOB, &[0xFF]), Ok(()));
    }
}

mod comparison {
    use super::*;

    fn cmp(typ: &CqlType, a: CqlValue, b: CqlValue) -> Ordering {
        CqlValue::compare(typ, &a.to_bytes(), &b.to_bytes())
    }

    #[test]
    fn empty_value_sorts_first() {
        assert_eq!(CqlValue::compare(&CqlType::INT, &[], &CqlValue::Int(i32::MIN).to_bytes()), Ordering::Less);
        assert_eq!(CqlValue::compare(&CqlType::INT, &[], &[]), Ordering::Equal);
    }

    #[test]
    fn integers_compare_numerically() {
        assert_eq!(cmp(&CqlType::INT, CqlValue::Int(-1), CqlValue::Int(1)), Ordering::Less);
        assert_eq!(cmp(&CqlType::BIGINT, CqlValue::Bigint(256), CqlValue::Bigint(255)), Ordering::Greater);
    }

    #[test]
    fn timestamps_compare_signed() {
        assert_eq!(cmp(&CqlType::TIMESTAMP, CqlValue::Timestamp(-1), CqlValue::Timestamp(0)), Ordering::Less);
    }

    #[test]
    fn dates_compare_as_unsigned_bytes() {
        let date = native(NativeType::Date);
        assert_eq!(cmp(&date, CqlValue::Date(1), CqlValue::Date(u32::MAX)), Ordering::Less);
    }

    #[test]
    fn varints_of_different_lengths_compare_numerically() {
        let t = native(NativeType::Varint);
        assert_eq!(CqlValue::compare(&t, &[0x01, 0x00], &[0x7F]), Ordering::Greater);
        assert_eq!(CqlValue::compare(&t, &[0xFF, 0x00], &[0x80]), Ordering::Less);
        assert_eq!(CqlValue::compare(&t, &[0x00, 0x05], &[0x05]), Ordering::Equal);
    }

    #[test]
    fn decimals_compare_by_value_ignoring_scale() {
        let t = native(NativeType::Decimal);
        let d = |s: &str| CqlValue::Decimal(s.parse().unwrap());
        assert_eq!(cmp(&t, d("1.0"), d("1.00")), Ordering::Equal);
        assert_eq!(cmp(&t, d("-2"), d("1.5")), Ordering::Less);
        assert_eq!(cmp(&t, d("10"), d("9.99")), Ordering::Greater);
    }

    #[test]
    fn doubles_compare_like_java() {
        let t = CqlType::DOUBLE;
        assert_eq!(cmp(&t, CqlValue::Double(-0.0), CqlValue::Double(0.0)), Ordering::Less);
        assert_eq!(cmp(&t, CqlValue::Double(f64::NAN), CqlValue::Double(f64::INFINITY)), Ordering::Greater);
        assert_eq!(cmp(&t, CqlValue::Double(-3.0), CqlValue::Double(2.0)), Ordering::Less);
    }

    #[test]
    fn text_compares_as_unsigned_bytes() {
        let t = CqlType::TEXT;
        assert_eq!(cmp(&t, CqlValue::Text("Z".into()), CqlValue::Text("a".into())), Ordering::Less);
        assert_eq!(cmp(&t, CqlValue::Text("z".into()), CqlValue::Text("\u{e9}".into())), Ordering::Less);
    }

    #[test]
    fn booleans_compare_false_first() {
        assert_eq!(cmp(&CqlType::BOOLEAN, CqlValue::Boolean(false), CqlValue::Boolean(true)), Ordering::Less);
        assert_eq!(CqlValue::compare(&CqlType::BOOLEAN, &[1], &[7]), Ordering::Equal);
    }

    #[test]
    fn timeuuids_compare_by_embedded_timestamp_not_bytes() {
        let earlier = v1_uuid(0xFFFF_FFFF, 0);
        let later = v1_uuid(0x1_0000_0000, 0);
        assert!(earlier > later, "byte order is the opposite");
        assert_eq!(CqlValue::compare(&native(NativeType::Timeuuid), &earlier, &later), Ordering::Less);
    }

    #[test]
    fn timeuuids_with_equal_timestamps_compare_low_half_as_signed_bytes() {
        let low = v1_uuid(5, 0x8000_0000_0000_0000);
        let high = v1_uuid(5, 0x7F00_0000_0000_0000);
        assert_eq!(CqlValue::compare(&native(NativeType::Timeuuid), &low, &high), Ordering::Less);
        assert_eq!(CqlValue::compare(&CqlType::UUID, &low, &high), Ordering::Greater);
    }

    #[test]
    fn uuids_compare_by_version_first() {
        let v4 = *Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0000).as_bytes();
        let v1 = v1_uuid(u64::MAX >> 4, u64::MAX);
        assert_eq!(CqlValue::compare(&CqlType::UUID, &v1, &v4), Ordering::Less);
    }

    #[test]
    fn frozen_lists_compare_element_wise_then_by_size() {
        let t = CqlType::list(CqlType::INT).frozen();
        let list = |v: &[i32]| CqlValue::List(v.iter().map(|i| CqlValue::Int(*i)).collect());
        assert_eq!(cmp(&t, list(&[1, 2]), list(&[2])), Ordering::Less);
        assert_eq!(cmp(&t, list(&[1]), list(&[1, 0])), Ordering::Less);
        assert_eq!(cmp(&t, list(&[]), list(&[i32::MIN])), Ordering::Less);
    }

    #[test]
    fn tuples_put_null_first_and_ignore_trailing_nulls() {
        let t = CqlType::Tuple(vec![CqlType::INT, CqlType::INT]);
        let tuple = |a: Option<i32>, b: Option<i32>| CqlValue::Tuple(vec![a.map(CqlValue::Int), b.map(CqlValue::Int)]);
        assert_eq!(cmp(&t, tuple(None, Some(9)), tuple(Some(0), None)), Ordering::Less);
        assert_eq!(cmp(&t, tuple(Some(1), None), CqlValue::Tuple(vec![Some(CqlValue::Int(1))])), Ordering::Equal);
        assert_eq!(cmp(&t, tuple(Some(1), None), tuple(Some(1), Some(i32::MIN))), Ordering::Less);
    }

    #[test]
    fn malformed_values_compare_as_bytes() {
        assert_eq!(CqlValue::compare(&CqlType::list(CqlType::INT), &[1], &[2]), Ordering::Less);
    }
}

mod literals {
    use super::*;

    #[test]
    fn strings_are_single_quoted_with_doubled_quotes() {
        assert_eq!(CqlValue::Text("it's".into()).to_cql_literal(), "'it''s'");
    }

    #[test]
    fn blobs_are_hex_with_0x() {
        assert_eq!(CqlValue::Blob(vec![0xCA, 0xFE]).to_cql_literal(), "0xcafe");
    }

    #[test]
    fn numbers_are_bare() {
        assert_eq!(CqlValue::Int(-3).to_cql_literal(), "-3");
        assert_eq!(CqlValue::Double(1.0).to_cql_literal(), "1.0");
        assert_eq!(CqlValue::Float(f32::NAN).to_cql_literal(), "NaN");
        assert_eq!(CqlValue::Decimal("0.010".parse().unwrap()).to_cql_literal(), "0.010");
        assert_eq!(CqlValue::Varint(BigInt::from(-7)).to_cql_literal(), "-7");
    }

    #[test]
    fn timestamp_is_quoted_iso_utc_with_milliseconds() {
        assert_eq!(CqlValue::Timestamp(1_704_164_645_678).to_cql_literal(), "'2024-01-02T03:04:05.678Z'");
    }

    #[test]
    fn date_and_time_are_quoted() {
        assert_eq!(CqlValue::Date((1 << 31) + 1).to_cql_literal(), "'1970-01-02'");
        assert_eq!(CqlValue::Time(3_600_000_000_001).to_cql_literal(), "'01:00:00.000000001'");
    }

    #[test]
    fn uuid_is_bare_and_inet_quoted() {
        assert_eq!(
            CqlValue::Uuid(Uuid::from_u128(0x550e8400_e29b_41d4_a716_446655440000)).to_cql_literal(),
            "550e8400-e29b-41d4-a716-446655440000"
        );
        assert_eq!(CqlValue::Inet("127.0.0.1".parse().unwrap()).to_cql_literal(), "'127.0.0.1'");
    }

    #[test]
    fn duration_is_bare() {
        assert_eq!(CqlValue::Duration { months: 0, days: 0, nanoseconds: 5_400_000_000_000 }.to_cql_literal(), "1h30m");
    }

    #[test]
    fn collections_use_brackets_and_braces() {
        assert_eq!(CqlValue::List(vec![CqlValue::Int(1), CqlValue::Int(2)]).to_cql_literal(), "[1, 2]");
        assert_eq!(CqlValue::Set(vec![CqlValue::Text("a".into())]).to_cql_literal(), "{'a'}");
        assert_eq!(CqlValue::Map(vec![(CqlValue::Text("k".into()), CqlValue::Int(1))]).to_cql_literal(), "{'k': 1}");
    }

    #[test]
    fn tuples_use_parentheses_and_null() {
        assert_eq!(CqlValue::Tuple(vec![Some(CqlValue::Int(1)), None]).to_cql_literal(), "(1, null)");
    }

    #[test]
    fn udt_with_its_type_uses_field_names() {
        let value = CqlValue::Udt(vec![Some(CqlValue::Text("main".into())), None]);
        assert_eq!(value.to_cql_literal_for(&udt_type()), "{street: 'main', \"Zip\": null}");
    }

    #[test]
    fn empty_values_print_as_null_except_for_strings_and_blobs() {
        assert_eq!(CqlValue::cql_literal(&CqlType::INT, &[]).unwrap(), "null");
        assert_eq!(CqlValue::cql_literal(&CqlType::TEXT, &[]).unwrap(), "''");
        assert_eq!(CqlValue::cql_literal(&CqlType::BLOB, &[]).unwrap(), "0x");
    }

    #[test]
    fn serialized_collection_prints_nested_empty_values_as_null() {
        let bytes = [0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 3];
        assert_eq!(CqlValue::cql_literal(&CqlType::list(CqlType::INT), &bytes).unwrap(), "[null, 3]");
    }

    #[test]
    fn serialized_udt_prints_field_names() {
        let bytes = CqlValue::Udt(vec![Some(CqlValue::Text("x".into())), Some(CqlValue::Int(5))]).to_bytes();
        assert_eq!(CqlValue::cql_literal(&udt_type(), &bytes).unwrap(), "{street: 'x', \"Zip\": 5}");
    }

    #[test]
    fn serialized_map_and_tuple_print_like_values() {
        let map = CqlValue::Map(vec![(CqlValue::Int(1), CqlValue::Boolean(true))]);
        assert_eq!(
            CqlValue::cql_literal(&CqlType::map(CqlType::INT, CqlType::BOOLEAN), &map.to_bytes()).unwrap(),
            "{1: true}"
        );
        let tuple = CqlValue::Tuple(vec![None, Some(CqlValue::Text("a".into()))]);
        let typ = CqlType::Tuple(vec![CqlType::INT, CqlType::TEXT]);
        assert_eq!(CqlValue::cql_literal(&typ, &tuple.to_bytes()).unwrap(), "(null, 'a')");
    }

    #[test]
    fn malformed_serialized_value_is_an_error() {
        assert!(CqlValue::cql_literal(&CqlType::INT, &[1]).is_err());
    }
}
