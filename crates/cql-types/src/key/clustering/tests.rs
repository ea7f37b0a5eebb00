use std::cmp::Ordering;

use proptest::prelude::*;

use super::*;

fn native(n: NativeType) -> CqlType {
    CqlType::Native(n)
}

fn code(typ: &CqlType, value: &[u8], reversed: bool) -> Vec<u8> {
    let mut out = Vec::new();
    encode_clustering_component(typ, value, reversed, &mut out).unwrap();
    out
}

fn round_trip(typ: &CqlType, value: &[u8], reversed: bool) -> Vec<u8> {
    let key = code(typ, value, reversed);
    let mut values = decode_clustering(&[(typ.clone(), reversed)], &key).unwrap();
    assert_eq!(values.len(), 1);
    values.pop().unwrap()
}

/// The three properties every code must have, checked on a pair of values in both directions:
/// memcmp order is `compare` order (reversed for DESC), the first byte is in 0x01..=0xFE, and
/// decoding gives back a value equal to the original for the comparator.
fn check_pair(typ: &CqlType, a: &[u8], b: &[u8]) -> Result<(), TestCaseError> {
    let mut expected = CqlValue::compare(typ, a, b);
    if *typ == native(NativeType::Decimal) && expected == Ordering::Equal {
        // Decimals equal in value sort by scale.
        expected = match (a.first_chunk::<4>(), b.first_chunk::<4>()) {
            (Some(x), Some(y)) => i32::from_be_bytes(*x).cmp(&i32::from_be_bytes(*y)),
            _ => expected,
        };
    }
    for reversed in [false, true] {
        let (ca, cb) = (code(typ, a, reversed), code(typ, b, reversed));
        let wanted = if reversed { expected.reverse() } else { expected };
        prop_assert_eq!(ca.cmp(&cb), wanted, "{} {:?} vs {:?} reversed={}", typ, a, b, reversed);
        prop_assert!((0x01..=0xFE).contains(&ca[0]));
        if expected != Ordering::Equal {
            prop_assert!(!ca.starts_with(&cb) && !cb.starts_with(&ca), "codes are not prefix-free");
        }
        let decoded = round_trip(typ, a, reversed);
        prop_assert_eq!(CqlValue::compare(typ, &decoded, a), Ordering::Equal);
        if *typ == native(NativeType::Decimal) {
            prop_assert_eq!(decoded.get(..4), a.get(..4), "decimal scale kept");
        }
        CqlValue::validate(typ, &decoded).map_err(|e| TestCaseError::fail(e.0))?;
    }
    Ok(())
}

#[test]
fn empty_value_sorts_before_every_value() {
    let typ = CqlType::INT;
    assert!(code(&typ, &[], false) < code(&typ, &i32::MIN.to_be_bytes(), false));
    assert!(code(&typ, &[], true) > code(&typ, &i32::MIN.to_be_bytes(), true));
}

#[test]
fn int_code_is_header_and_sign_flipped_bytes() {
    assert_eq!(code(&CqlType::INT, &[0, 0, 0, 1], false), vec![0x02, 0x80, 0, 0, 1]);
}

#[test]
fn descending_code_is_inverted() {
    assert_eq!(code(&CqlType::INT, &[0, 0, 0, 1], true), vec![0xFD, 0x7F, 0xFF, 0xFF, 0xFE]);
}

#[test]
fn text_code_escapes_zero_bytes_and_terminates() {
    assert_eq!(code(&CqlType::TEXT, b"a\0", false), vec![0x02, b'a', 0, 0xFF, 0, 0]);
}

#[test]
fn prefix_sorts_before_its_extensions_and_prefix_end_after() {
    let types = [(CqlType::INT, false), (CqlType::BLOB, true)];
    let prefix = encode_clustering(&types[..1], &[&5i32.to_be_bytes()]).unwrap();
    let end = prefix_end(&prefix);
    for text in [&b""[..], b"a", b"\xff\xff"] {
        let key = encode_clustering(&types, &[&5i32.to_be_bytes(), text]).unwrap();
        assert!(prefix < key && key < end);
    }
    let next = encode_clustering(&types[..1], &[&6i32.to_be_bytes()]).unwrap();
    assert!(end < next);
}

#[test]
fn clustering_key_decodes_into_its_values() {
    let types = [(CqlType::INT, false), (CqlType::TEXT, true), (CqlType::UUID, false)];
    let uuid = *uuid::Uuid::from_u128(0x1234).as_bytes();
    let values: [&[u8]; 3] = [&7i32.to_be_bytes(), b"hello", &uuid];
    let key = encode_clustering(&types, &values).unwrap();
    assert_eq!(decode_clustering(&types, &key).unwrap(), values.map(<[u8]>::to_vec).to_vec());
}

#[test]
fn clustering_prefix_decodes_into_fewer_values() {
    let types = [(CqlType::INT, false), (CqlType::TEXT, false)];
    let key = encode_clustering(&types, &[&7i32.to_be_bytes()]).unwrap();
    assert_eq!(decode_clustering(&types, &key).unwrap(), vec![7i32.to_be_bytes().to_vec()]);
}

#[test]
fn trailing_bytes_after_a_clustering_key_are_rejected() {
    let types = [(CqlType::INT, false)];
    let mut key = encode_clustering(&types, &[&7i32.to_be_bytes()]).unwrap();
    key.push(0x02);
    assert!(decode_clustering(&types, &key).is_err());
}

#[test]
fn prefix_end_key_does_not_decode() {
    let types = [(CqlType::INT, false), (CqlType::INT, false)];
    let key = prefix_end(&encode_clustering(&types, &[&7i32.to_be_bytes()]).unwrap());
    assert!(decode_clustering(&types, &key).is_err());
}

#[test]
fn invalid_value_is_rejected_and_nothing_is_written() {
    let mut out = vec![9];
    let err = encode_clustering_component(&CqlType::INT, &[1, 2, 3], false, &mut out).unwrap_err();
    assert_eq!(err.0, "Expected 4 or 0 byte int (3)");
    assert_eq!(out, vec![9]);
}

#[test]
fn non_frozen_collection_is_not_a_clustering_type() {
    let mut out = Vec::new();
    let list = CqlValue::List(vec![]).to_bytes();
    assert!(encode_clustering_component(&CqlType::list(CqlType::INT), &list, false, &mut out).is_err());
}

#[test]
fn duration_and_counter_are_not_clustering_types() {
    let mut out = Vec::new();
    assert!(encode_clustering_component(&native(NativeType::Counter), &[0; 8], false, &mut out).is_err());
    let duration = CqlValue::Duration { months: 1, days: 0, nanoseconds: 0 }.to_bytes();
    assert!(encode_clustering_component(&native(NativeType::Duration), &duration, false, &mut out).is_err());
}

#[test]
fn decimals_keep_their_scale() {
    let typ = native(NativeType::Decimal);
    let one_point_zero_zero = [0, 0, 0, 2, 100];
    let ten = [0, 0, 0, 0, 10];
    let zero_point_zero = [0, 0, 0, 1, 0];
    let minus_one_point_five_zero = [0, 0, 0, 2, 0xFF, 0x6A];
    for value in [&one_point_zero_zero[..], &ten, &zero_point_zero, &minus_one_point_five_zero] {
        assert_eq!(round_trip(&typ, value, false), value);
        assert_eq!(round_trip(&typ, value, true), value);
    }
}

#[test]
fn decimals_equal_in_value_sort_together_by_scale() {
    let typ = native(NativeType::Decimal);
    let (one_point_zero, one_point_zero_zero) = ([0, 0, 0, 1, 10], [0, 0, 0, 2, 100]);
    let (one_point_five, ten_e_minus_one) = ([0, 0, 0, 1, 15], [0, 0, 0, 0, 2]);
    assert!(code(&typ, &one_point_zero, false) < code(&typ, &one_point_zero_zero, false));
    assert!(code(&typ, &one_point_zero_zero, false) < code(&typ, &one_point_five, false));
    assert!(code(&typ, &one_point_five, false) < code(&typ, &ten_e_minus_one, false));
}

#[test]
fn non_minimal_varint_decodes_minimal() {
    assert_eq!(round_trip(&native(NativeType::Varint), &[0, 0, 5], false), vec![5]);
    assert_eq!(round_trip(&native(NativeType::Varint), &[0xFF, 0xFF], false), vec![0xFF]);
}

#[test]
fn frozen_collections_order_element_wise_then_by_size() {
    let typ = CqlType::list(CqlType::INT).frozen();
    let list = |items: &[i32]| CqlValue::List(items.iter().map(|i| CqlValue::Int(*i)).collect()).to_bytes();
    let ordered = [list(&[]), list(&[1]), list(&[1, 2]), list(&[2])];
    for pair in ordered.windows(2) {
        assert!(code(&typ, &pair[0], false) < code(&typ, &pair[1], false));
    }
}

#[test]
fn tuple_trailing_nulls_do_not_matter() {
    let typ = CqlType::Tuple(vec![CqlType::INT, CqlType::TEXT]);
    let with_null = CqlValue::Tuple(vec![Some(CqlValue::Int(1)), None]).to_bytes();
    let shorter = CqlValue::Tuple(vec![Some(CqlValue::Int(1))]).to_bytes();
    assert_eq!(code(&typ, &with_null, false), code(&typ, &shorter, false));
}

#[test]
fn udt_clustering_component_round_trips() {
    let typ = CqlType::Udt {
        keyspace: "ks".into(),
        name: "point".into(),
        fields: vec![("x".into(), CqlType::INT), ("label".into(), CqlType::TEXT)],
        frozen: true,
    };
    let value = CqlValue::Udt(vec![Some(CqlValue::Int(-3)), Some(CqlValue::Text("p".into()))]).to_bytes();
    assert_eq!(round_trip(&typ, &value, true), value);
}

#[test]
fn vector_clustering_component_round_trips() {
    let typ = CqlType::Vector { element: Box::new(native(NativeType::Float)), dimension: 2 };
    let value = CqlValue::Vector(vec![CqlValue::Float(1.5), CqlValue::Float(-2.0)]).to_bytes();
    assert_eq!(round_trip(&typ, &value, false), value);
}

fn blob_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(prop_oneof![Just(0u8), Just(0xFF), any::<u8>()], 0..12)
}

fn text_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![Just(String::new()), "[a\\x00b\u{e9}\u{10000}]{0,6}", any::<String>()].prop_map(String::into_bytes)
}

fn varint_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<i64>().prop_map(|v| num_bigint::BigInt::from(v).to_signed_bytes_be()),
        proptest::collection::vec(any::<u8>(), 1..20)
            .prop_map(|b| num_bigint::BigInt::from_signed_bytes_be(&b).to_signed_bytes_be()),
        Just(Vec::new()),
    ]
}

fn decimal_bytes() -> impl Strategy<Value = Vec<u8>> {
    let scale = prop_oneof![-5i32..5, any::<i32>()];
    let unscaled = prop_oneof![
        (-1000i64..1000).prop_map(|v| num_bigint::BigInt::from(v).to_signed_bytes_be()),
        proptest::collection::vec(any::<u8>(), 1..12),
    ];
    prop_oneof![
        (scale, unscaled).prop_map(|(s, u)| {
            let mut out = s.to_be_bytes().to_vec();
            out.extend(u);
            out
        }),
        Just(Vec::new()),
    ]
}

fn double_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<u64>().prop_map(|b| b.to_be_bytes().to_vec()),
        prop_oneof![Just(0.0f64), Just(-0.0), Just(f64::INFINITY), Just(f64::NEG_INFINITY), Just(1.0), Just(-1.0)]
            .prop_map(|f| f.to_be_bytes().to_vec()),
    ]
}

fn uuid_bytes(version: Option<u8>) -> impl Strategy<Value = Vec<u8>> {
    (any::<[u8; 16]>(), 0u8..16).prop_map(move |(mut b, v)| {
        b[6] = (b[6] & 0x0F) | (version.unwrap_or(v) << 4);
        b.to_vec()
    })
}

fn inet_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 4..=4),
        proptest::collection::vec(any::<u8>(), 16..=16),
        Just(Vec::new())
    ]
}

fn pairs<S: Strategy<Value = Vec<u8>>>(strategy: impl Fn() -> S) -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    (strategy(), strategy())
}

proptest! {
    #[test]
    fn int_codes_preserve_order((a, b) in pairs(|| any::<i32>().prop_map(|v| v.to_be_bytes().to_vec()))) {
        check_pair(&CqlType::INT, &a, &b)?;
    }

    #[test]
    fn bigint_codes_preserve_order((a, b) in pairs(|| any::<i64>().prop_map(|v| v.to_be_bytes().to_vec()))) {
        check_pair(&CqlType::BIGINT, &a, &b)?;
    }

    #[test]
    fn smallint_and_tinyint_codes_preserve_order(a in any::<i16>(), b in any::<i16>(), c in any::<i8>(), d in any::<i8>()) {
        check_pair(&native(NativeType::Smallint), &a.to_be_bytes(), &b.to_be_bytes())?;
        check_pair(&native(NativeType::Tinyint), &c.to_be_bytes(), &d.to_be_bytes())?;
    }

    #[test]
    fn text_codes_preserve_order((a, b) in pairs(text_bytes)) {
        check_pair(&CqlType::TEXT, &a, &b)?;
    }

    #[test]
    fn blob_codes_preserve_order((a, b) in pairs(blob_bytes)) {
        check_pair(&CqlType::BLOB, &a, &b)?;
    }

    #[test]
    fn varint_codes_preserve_order((a, b) in pairs(varint_bytes)) {
        check_pair(&native(NativeType::Varint), &a, &b)?;
        prop_assert_eq!(round_trip(&native(NativeType::Varint), &a, false), a);
    }

    #[test]
    fn decimal_codes_preserve_order((a, b) in pairs(decimal_bytes)) {
        check_pair(&native(NativeType::Decimal), &a, &b)?;
    }

    #[test]
    fn double_codes_preserve_order((a, b) in pairs(double_bytes)) {
        check_pair(&CqlType::DOUBLE, &a, &b)?;
        let nan = f64::from_be_bytes(a.clone().try_into().unwrap()).is_nan();
        if !nan {
            prop_assert_eq!(round_trip(&CqlType::DOUBLE, &a, true), a);
        }
    }

    #[test]
    fn float_codes_preserve_order(a in any::<u32>(), b in any::<u32>()) {
        check_pair(&native(NativeType::Float), &a.to_be_bytes(), &b.to_be_bytes())?;
    }

    #[test]
    fn timeuuid_codes_preserve_order((a, b) in pairs(|| uuid_bytes(Some(1)))) {
        check_pair(&native(NativeType::Timeuuid), &a, &b)?;
        prop_assert_eq!(round_trip(&native(NativeType::Timeuuid), &a, false), a);
    }

    #[test]
    fn uuid_codes_preserve_order((a, b) in pairs(|| uuid_bytes(None))) {
        check_pair(&CqlType::UUID, &a, &b)?;
        prop_assert_eq!(round_trip(&CqlType::UUID, &a, true), a);
    }

    #[test]
    fn inet_codes_preserve_order((a, b) in pairs(inet_bytes)) {
        check_pair(&CqlType::INET, &a, &b)?;
        prop_assert_eq!(round_trip(&CqlType::INET, &a, false), a);
    }

    #[test]
    fn boolean_codes_preserve_order(a in any::<bool>(), b in any::<bool>()) {
        check_pair(&CqlType::BOOLEAN, &[u8::from(a)], &[u8::from(b)])?;
    }

    #[test]
    fn date_codes_preserve_order(a in any::<u32>(), b in any::<u32>()) {
        check_pair(&native(NativeType::Date), &a.to_be_bytes(), &b.to_be_bytes())?;
    }

    #[test]
    fn time_codes_preserve_order(a in 0i64..86_400_000_000_000, b in 0i64..86_400_000_000_000) {
        check_pair(&native(NativeType::Time), &a.to_be_bytes(), &b.to_be_bytes())?;
    }

    #[test]
    fn timestamp_codes_preserve_order((a, b) in pairs(|| prop_oneof![any::<i64>().prop_map(|v| v.to_be_bytes().to_vec()), Just(Vec::new())])) {
        check_pair(&CqlType::TIMESTAMP, &a, &b)?;
    }

    #[test]
    fn exact_values_round_trip(v in any::<i32>(), t in text_bytes(), reversed in any::<bool>()) {
        prop_assert_eq!(round_trip(&CqlType::INT, &v.to_be_bytes(), reversed), v.to_be_bytes().to_vec());
        prop_assert_eq!(round_trip(&CqlType::TEXT, &t, reversed), t);
    }

    #[test]
    fn frozen_list_codes_preserve_order(a in proptest::collection::vec(any::<i32>(), 0..4), b in proptest::collection::vec(any::<i32>(), 0..4)) {
        let typ = CqlType::list(CqlType::INT).frozen();
        let bytes = |v: Vec<i32>| CqlValue::List(v.into_iter().map(CqlValue::Int).collect()).to_bytes();
        check_pair(&typ, &bytes(a), &bytes(b))?;
    }

    #[test]
    fn frozen_map_codes_preserve_order(a in proptest::collection::btree_map(text_bytes(), any::<i32>(), 0..3), b in proptest::collection::btree_map(text_bytes(), any::<i32>(), 0..3)) {
        let typ = CqlType::map(CqlType::BLOB, CqlType::INT).frozen();
        let bytes = |m: std::collections::BTreeMap<Vec<u8>, i32>| {
            CqlValue::Map(m.into_iter().map(|(k, v)| (CqlValue::Blob(k), CqlValue::Int(v))).collect()).to_bytes()
        };
        check_pair(&typ, &bytes(a), &bytes(b))?;
    }

    #[test]
    fn tuple_codes_preserve_order(a in (proptest::option::of(any::<i32>()), proptest::option::of(text_bytes())), b in (proptest::option::of(any::<i32>()), proptest::option::of(text_bytes()))) {
        let typ = CqlType::Tuple(vec![CqlType::INT, CqlType::BLOB]);
        let bytes = |(i, t): (Option<i32>, Option<Vec<u8>>)| {
            CqlValue::Tuple(vec![i.map(CqlValue::Int), t.map(CqlValue::Blob)]).to_bytes()
        };
        check_pair(&typ, &bytes(a), &bytes(b))?;
    }

    #[test]
    fn multi_column_keys_sort_like_their_columns(a in (any::<i16>(), text_bytes(), any::<i64>()), b in (any::<i16>(), text_bytes(), any::<i64>())) {
        let types = [
            (native(NativeType::Smallint), false),
            (CqlType::TEXT, true),
            (CqlType::BIGINT, false),
        ];
        let key = |(x, t, y): &(i16, Vec<u8>, i64)| {
            encode_clustering(&types, &[&x.to_be_bytes(), t, &y.to_be_bytes()]).unwrap()
        };
        let expected = a.0.cmp(&b.0).then_with(|| b.1.cmp(&a.1)).then_with(|| a.2.cmp(&b.2));
        prop_assert_eq!(key(&a).cmp(&key(&b)), expected);
        let end = prefix_end(&encode_clustering(&types[..1], &[&a.0.to_be_bytes()]).unwrap());
        prop_assert!(key(&a) < end);
    }
}
