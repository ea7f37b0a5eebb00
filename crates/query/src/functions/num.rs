//! Numbers of the CQL numeric types with Java's semantics: the conversions of `java.lang.Number`
//! (`byteValue()`, `longValue()`, ...), the arithmetic Cassandra's `NumberType`s do (wrapping integer
//! arithmetic, IEEE floating point, `BigDecimal` with `MathContext.DECIMAL128`, `BigInteger`), and
//! `BigDecimal.toString()`.

use std::num::NonZeroU64;
use std::str::FromStr;

use bigdecimal::num_bigint::{BigInt, Sign};
use bigdecimal::num_traits::{Signed, ToPrimitive, Zero};
use bigdecimal::{BigDecimal, RoundingMode};
use bytes::Bytes;
use cql_types::{CqlType, CqlValue, NativeType};

/// A value of one of the numeric types (`counter` reads as a `bigint`).
#[derive(Debug, Clone, PartialEq)]
pub enum Num {
    I8(i8),
    I16(i16),
    I32(i32),
    I64(i64),
    F32(f32),
    F64(f64),
    Dec(BigDecimal),
    Var(BigInt),
}

/// True for the types Cassandra's `NumberType` covers.
pub fn is_numeric(t: NativeType) -> bool {
    use NativeType as N;
    matches!(
        t,
        N::Tinyint | N::Smallint | N::Int | N::Bigint | N::Float | N::Double | N::Decimal | N::Varint | N::Counter
    )
}

/// Java's `Float.toString`, as Cassandra prints floats.
pub fn float_text(f: f32) -> String {
    CqlValue::Float(f).to_cql_literal()
}

/// Java's `Double.toString`.
pub fn double_text(d: f64) -> String {
    CqlValue::Double(d).to_cql_literal()
}

/// Java's `new BigDecimal(String)`.
pub fn parse_decimal(text: &str) -> Option<BigDecimal> {
    match cql_types::literal::parse_literal(&CqlType::Native(NativeType::Decimal), cql_types::LiteralKind::Float, text)
    {
        Ok(CqlValue::Decimal(d)) => Some(d),
        _ => None,
    }
}

/// Java's `BigDecimal.valueOf(double)` (through `Double.toString`); `None` for NaN and infinities.
pub fn decimal_of_double(d: f64) -> Option<BigDecimal> {
    if !d.is_finite() {
        return None;
    }
    parse_decimal(&double_text(d))
}

/// Java's `BigDecimal.toString()`: plain when the scale is non-negative and the adjusted exponent is
/// at least -6, scientific (`1.23E-12`, `1E+3`) otherwise.
pub fn decimal_to_java_string(d: &BigDecimal) -> String {
    let (unscaled, scale) = d.as_bigint_and_exponent();
    let negative = unscaled.sign() == Sign::Minus;
    let digits = unscaled.magnitude().to_str_radix(10);
    let sign = if negative { "-" } else { "" };
    let len = digits.len() as i64;
    let adjusted = -scale + (len - 1);
    if scale >= 0 && adjusted >= -6 {
        if scale == 0 {
            return format!("{sign}{digits}");
        }
        let scale = scale as usize;
        if digits.len() > scale {
            let (i, f) = digits.split_at(digits.len() - scale);
            return format!("{sign}{i}.{f}");
        }
        return format!("{sign}0.{}{digits}", "0".repeat(scale - digits.len()));
    }
    let (first, rest) = digits.split_at(1);
    let point = if rest.is_empty() { String::new() } else { format!(".{rest}") };
    format!("{sign}{first}{point}E{}{adjusted}", if adjusted >= 0 { "+" } else { "" })
}

fn java_f64_to_i64(f: f64) -> i64 {
    // Java's (long) cast saturates and maps NaN to 0, as Rust's `as` does.
    f as i64
}

fn java_f64_to_i32(f: f64) -> i32 {
    f as i32
}

fn low_bits_i64(b: &BigInt) -> i64 {
    let (sign, digits) = b.to_u64_digits();
    let low = digits.first().copied().unwrap_or(0);
    let v = low as i64;
    if sign == Sign::Minus {
        v.wrapping_neg()
    } else {
        v
    }
}

fn big_decimal_truncated(d: &BigDecimal) -> BigInt {
    d.with_scale_round(0, RoundingMode::Down).as_bigint_and_exponent().0
}

impl Num {
    /// Decodes a serialized value of numeric type `t`; `None` for the empty value.
    pub fn decode(t: NativeType, b: &[u8]) -> Option<Num> {
        if b.is_empty() {
            return None;
        }
        let v = CqlValue::deserialize(&CqlType::Native(t), b).ok()?;
        Some(match v {
            CqlValue::Tinyint(v) => Num::I8(v),
            CqlValue::Smallint(v) => Num::I16(v),
            CqlValue::Int(v) => Num::I32(v),
            CqlValue::Bigint(v) | CqlValue::Counter(v) => Num::I64(v),
            CqlValue::Float(v) => Num::F32(v),
            CqlValue::Double(v) => Num::F64(v),
            CqlValue::Decimal(v) => Num::Dec(v),
            CqlValue::Varint(v) => Num::Var(v),
            _ => return None,
        })
    }

    /// The serialized value.
    pub fn encode(&self) -> Bytes {
        let v = match self {
            Num::I8(v) => CqlValue::Tinyint(*v),
            Num::I16(v) => CqlValue::Smallint(*v),
            Num::I32(v) => CqlValue::Int(*v),
            Num::I64(v) => CqlValue::Bigint(*v),
            Num::F32(v) => CqlValue::Float(*v),
            Num::F64(v) => CqlValue::Double(*v),
            Num::Dec(v) => CqlValue::Decimal(v.clone()),
            Num::Var(v) => CqlValue::Varint(v.clone()),
        };
        Bytes::from(v.to_bytes())
    }

    /// `Number.longValue()`.
    pub fn to_i64(&self) -> i64 {
        match self {
            Num::I8(v) => *v as i64,
            Num::I16(v) => *v as i64,
            Num::I32(v) => *v as i64,
            Num::I64(v) => *v,
            Num::F32(v) => java_f64_to_i64(*v as f64),
            Num::F64(v) => java_f64_to_i64(*v),
            Num::Dec(d) => low_bits_i64(&big_decimal_truncated(d)),
            Num::Var(b) => low_bits_i64(b),
        }
    }

    /// `Number.intValue()`.
    pub fn to_i32(&self) -> i32 {
        match self {
            Num::F32(v) => java_f64_to_i32(*v as f64),
            Num::F64(v) => java_f64_to_i32(*v),
            other => other.to_i64() as i32,
        }
    }

    /// `Number.shortValue()`.
    pub fn to_i16(&self) -> i16 {
        self.to_i32() as i16
    }

    /// `Number.byteValue()`.
    pub fn to_i8(&self) -> i8 {
        self.to_i32() as i8
    }

    /// `Number.doubleValue()`.
    pub fn to_f64(&self) -> f64 {
        match self {
            Num::I8(v) => *v as f64,
            Num::I16(v) => *v as f64,
            Num::I32(v) => *v as f64,
            Num::I64(v) => *v as f64,
            Num::F32(v) => *v as f64,
            Num::F64(v) => *v,
            Num::Dec(d) => f64::from_str(&decimal_to_java_string(d)).unwrap_or(f64::NAN),
            Num::Var(b) => b.to_f64().unwrap_or(f64::NAN),
        }
    }

    /// `Number.floatValue()`.
    pub fn to_f32(&self) -> f32 {
        match self {
            Num::I8(v) => *v as f32,
            Num::I16(v) => *v as f32,
            Num::I32(v) => *v as f32,
            Num::I64(v) => *v as f32,
            Num::F32(v) => *v,
            Num::F64(v) => *v as f32,
            Num::Dec(d) => f32::from_str(&decimal_to_java_string(d)).unwrap_or(f32::NAN),
            Num::Var(b) => b.to_f32().unwrap_or(f32::NAN),
        }
    }

    /// The value as a `BigDecimal` for decimal arithmetic (`DecimalType.toBigDecimal`): floats and
    /// doubles through `BigDecimal.valueOf(doubleValue())`; an error for NaN and infinities.
    pub fn to_decimal(&self) -> Result<BigDecimal, String> {
        let double = |v: f64| {
            if v.is_nan() {
                Err("A NaN cannot be converted into a decimal".to_string())
            } else if v.is_infinite() {
                Err("An infinite number cannot be converted into a decimal".to_string())
            } else {
                decimal_of_double(v).ok_or_else(|| format!("Invalid decimal {v}"))
            }
        };
        match self {
            Num::F32(v) => double(*v as f64),
            Num::F64(v) => double(*v),
            Num::Dec(d) => Ok(d.clone()),
            Num::Var(b) => Ok(BigDecimal::new(b.clone(), 0)),
            other => Ok(BigDecimal::new(BigInt::from(other.to_i64()), 0)),
        }
    }

    /// The value as a `BigInteger` (truncating decimals).
    pub fn to_varint(&self) -> BigInt {
        match self {
            Num::Var(b) => b.clone(),
            Num::Dec(d) => big_decimal_truncated(d),
            Num::F32(_) | Num::F64(_) => BigInt::from(self.to_i64()),
            other => BigInt::from(other.to_i64()),
        }
    }

    /// Converts to numeric type `t` with the conversions of Cassandra's CAST functions.
    pub fn cast(&self, t: NativeType) -> Result<Num, String> {
        Ok(match t {
            NativeType::Tinyint => Num::I8(self.to_i8()),
            NativeType::Smallint => Num::I16(self.to_i16()),
            NativeType::Int => Num::I32(self.to_i32()),
            NativeType::Bigint | NativeType::Counter => Num::I64(self.to_i64()),
            NativeType::Float => Num::F32(self.to_f32()),
            NativeType::Double => Num::F64(self.to_f64()),
            // CastFcts.getDecimalConversionFunction: a float through `Float.toString`, a double through
            // `BigDecimal.valueOf(double)`, a varint exactly, other integers `BigDecimal.valueOf(long)`.
            NativeType::Decimal => match self {
                Num::Dec(d) => Num::Dec(d.clone()),
                Num::Var(b) => Num::Dec(BigDecimal::new(b.clone(), 0)),
                Num::F32(f) => {
                    let text = float_text(*f);
                    Num::Dec(parse_decimal(&text).ok_or_else(|| {
                        format!("Character {text} is neither a decimal digit number, decimal point, nor \"e\" notation exponential mark.")
                    })?)
                }
                Num::F64(d) => Num::Dec(decimal_of_double(*d).ok_or_else(|| format!("Character {} is neither a decimal digit number, decimal point, nor \"e\" notation exponential mark.", double_text(*d)))?),
                other => Num::Dec(BigDecimal::new(BigInt::from(other.to_i64()), 0)),
            },
            // BigInteger.valueOf(p.longValue())
            NativeType::Varint => Num::Var(BigInt::from(self.to_i64())),
            _ => return Err(format!("cannot convert to {}", t.name())),
        })
    }
}

/// An arithmetic operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl Op {
    pub fn symbol(self) -> char {
        match self {
            Op::Add => '+',
            Op::Sub => '-',
            Op::Mul => '*',
            Op::Div => '/',
            Op::Mod => '%',
        }
    }

    pub fn from_function_name(name: &str) -> Option<Op> {
        Some(match name {
            "_add" => Op::Add,
            "_substract" => Op::Sub,
            "_multiply" => Op::Mul,
            "_divide" => Op::Div,
            "_modulo" => Op::Mod,
            _ => return None,
        })
    }
}

/// `MathContext.DECIMAL128`: 34 digits, half-even.
fn round_decimal128(d: BigDecimal, preferred_scale: i64) -> BigDecimal {
    let precision = NonZeroU64::new(34).unwrap_or(NonZeroU64::MIN);
    let rounded = if d.digits() > 34 { d.with_precision_round(precision, RoundingMode::HalfEven) } else { d };
    // Like Java, keep the preferred scale when the result is exact with it: strip trailing zeros down to it.
    let (mut unscaled, mut scale) = rounded.as_bigint_and_exponent();
    let ten = BigInt::from(10);
    while scale > preferred_scale && !unscaled.is_zero() && (&unscaled % &ten).is_zero() {
        unscaled /= &ten;
        scale -= 1;
    }
    BigDecimal::new(unscaled, scale)
}

fn decimal_op(op: Op, a: &BigDecimal, b: &BigDecimal) -> Result<BigDecimal, String> {
    let (_, sa) = a.as_bigint_and_exponent();
    let (_, sb) = b.as_bigint_and_exponent();
    // Cassandra's DecimalType: `+`, `-` and `*` use `MathContext(10000)` (exact in practice).
    Ok(match op {
        Op::Add => a + b,
        Op::Sub => a - b,
        Op::Mul => a * b,
        Op::Div => decimal_divide(a, b)?,
        Op::Mod => {
            if b.is_zero() {
                return Err("Division by zero".into());
            }
            let q = (a / b).with_scale_round(0, RoundingMode::Down);
            round_decimal128(a - &(q * b), sa.max(sb))
        }
    })
}

/// `BigDecimal.precision()`: the number of digits of the unscaled value (1 for zero).
fn java_precision(unscaled: &BigInt) -> i64 {
    if unscaled.is_zero() {
        1
    } else {
        unscaled.abs().to_string().len() as i64
    }
}

/// Cassandra's `DecimalType.divide`: the quotient to a scale giving at least 32 significant digits
/// (at least the operands' scales, at most 1000), rounded half-up, trailing zeros stripped.
fn decimal_divide(a: &BigDecimal, b: &BigDecimal) -> Result<BigDecimal, String> {
    let (ua, sa) = a.as_bigint_and_exponent();
    let (ub, sb) = b.as_bigint_and_exponent();
    if ub.is_zero() {
        // Java scales the dividend up first: a zero one stays a long ("/ by zero").
        return Err(if ua.is_zero() { "/ by zero".into() } else { "BigInteger divide by zero".into() });
    }
    let first_digit = (java_precision(&ua) - sa) - (java_precision(&ub) - sb);
    let scale = (32 - first_digit).max(sa).max(sb).clamp(32, 1000);
    // quotient * 10^scale = ua * 10^(scale + sb - sa) / ub
    let shift = scale + sb - sa;
    let ten = BigInt::from(10);
    let (num, den) = if shift >= 0 { (ua * ten.pow(shift as u32), ub) } else { (ua, ub * ten.pow((-shift) as u32)) };
    let (q, r) = (&num / &den, &num % &den);
    // Half-up: away from zero when the remainder is at least half the divisor.
    let twice = (&r * 2i32).abs();
    let q = if twice >= den.abs() {
        if (num.sign() == Sign::Minus) != (den.sign() == Sign::Minus) {
            q - 1
        } else {
            q + 1
        }
    } else {
        q
    };
    // stripTrailingZeros (zero becomes 0 with scale 0).
    if q.is_zero() {
        return Ok(BigDecimal::new(BigInt::from(0), 0));
    }
    let (mut unscaled, mut scale) = (q, scale);
    while (&unscaled % &ten).is_zero() {
        unscaled /= &ten;
        scale -= 1;
    }
    Ok(BigDecimal::new(unscaled, scale))
}

fn varint_op(op: Op, a: &BigInt, b: &BigInt) -> Result<BigInt, String> {
    Ok(match op {
        Op::Add => a + b,
        Op::Sub => a - b,
        Op::Mul => a * b,
        Op::Div | Op::Mod if b.is_zero() => return Err("BigInteger divide by zero".into()),
        Op::Div => a / b,
        Op::Mod => a % b,
    })
}

macro_rules! int_op {
    ($op:expr, $a:expr, $b:expr) => {{
        let (a, b) = ($a, $b);
        match $op {
            Op::Add => a.wrapping_add(b),
            Op::Sub => a.wrapping_sub(b),
            Op::Mul => a.wrapping_mul(b),
            Op::Div | Op::Mod if b == 0 => return Err("/ by zero".to_string()),
            Op::Div => a.wrapping_div(b),
            Op::Mod => a.wrapping_rem(b),
        }
    }};
}

fn float_op(op: Op, a: f64, b: f64) -> f64 {
    match op {
        Op::Add => a + b,
        Op::Sub => a - b,
        Op::Mul => a * b,
        Op::Div => a / b,
        Op::Mod => a % b,
    }
}

/// The result type of an operation between two numeric types (Cassandra's `OperationFcts.returnType`):
/// floating point if either is, of the larger size; `decimal`/`varint` for unbounded sizes.
pub fn result_type(left: NativeType, right: NativeType) -> NativeType {
    fn size(t: NativeType) -> usize {
        match t {
            NativeType::Tinyint => 1,
            NativeType::Smallint => 2,
            NativeType::Int | NativeType::Float => 4,
            NativeType::Bigint | NativeType::Double | NativeType::Counter => 8,
            _ => usize::MAX,
        }
    }
    let floating = |t| matches!(t, NativeType::Float | NativeType::Double | NativeType::Decimal);
    let s = size(left).max(size(right));
    if floating(left) || floating(right) {
        match s {
            4 => NativeType::Float,
            8 => NativeType::Double,
            _ => NativeType::Decimal,
        }
    } else {
        match s {
            1 => NativeType::Tinyint,
            2 => NativeType::Smallint,
            4 => NativeType::Int,
            8 => NativeType::Bigint,
            _ => NativeType::Varint,
        }
    }
}

/// `left op right` computed in type `result` (each operand converted to it first, as Cassandra does).
pub fn arith(op: Op, result: NativeType, left: &Num, right: &Num) -> Result<Num, String> {
    Ok(match result {
        NativeType::Tinyint => Num::I8(int_op!(op, left.to_i32(), right.to_i32()) as i8),
        NativeType::Smallint => Num::I16(int_op!(op, left.to_i32(), right.to_i32()) as i16),
        NativeType::Int => Num::I32(int_op!(op, left.to_i32(), right.to_i32())),
        NativeType::Bigint | NativeType::Counter => Num::I64(int_op!(op, left.to_i64(), right.to_i64())),
        NativeType::Float => Num::F32(float_op(op, left.to_f32() as f64, right.to_f32() as f64) as f32),
        NativeType::Double => Num::F64(float_op(op, left.to_f64(), right.to_f64())),
        NativeType::Decimal => Num::Dec(decimal_op(op, &left.to_decimal()?, &right.to_decimal()?)?),
        NativeType::Varint => Num::Var(varint_op(op, &left.to_varint(), &right.to_varint())?),
        other => return Err(format!("{} is not a numeric type", other.name())),
    })
}

/// `-x`.
pub fn negate(x: &Num) -> Num {
    match x {
        Num::I8(v) => Num::I8(v.wrapping_neg()),
        Num::I16(v) => Num::I16(v.wrapping_neg()),
        Num::I32(v) => Num::I32(v.wrapping_neg()),
        Num::I64(v) => Num::I64(v.wrapping_neg()),
        Num::F32(v) => Num::F32(-v),
        Num::F64(v) => Num::F64(-v),
        Num::Dec(d) => Num::Dec(-d.clone()),
        Num::Var(b) => Num::Var(-b.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> BigDecimal {
        parse_decimal(s).unwrap()
    }

    #[test]
    fn big_decimal_to_string_is_javas() {
        assert_eq!(decimal_to_java_string(&dec("123123.123123")), "123123.123123");
        assert_eq!(decimal_to_java_string(&dec("-1.23E-12")), "-1.23E-12");
        assert_eq!(decimal_to_java_string(&dec("1E+3")), "1E+3");
        assert_eq!(decimal_to_java_string(&dec("0.000001")), "0.000001");
        assert_eq!(decimal_to_java_string(&dec("0.0000001")), "1E-7");
        assert_eq!(decimal_to_java_string(&dec("1.0")), "1.0");
    }

    #[test]
    fn casts_follow_java_number_conversions() {
        // CastFctsTest.testNumericCastsInSelectionClause
        assert_eq!(Num::F32(5.2).cast(NativeType::Tinyint).unwrap(), Num::I8(5));
        assert_eq!(Num::F64(6.3).cast(NativeType::Int).unwrap(), Num::I32(6));
        assert_eq!(Num::I32(1).cast(NativeType::Decimal).unwrap(), Num::Dec(dec("1")));
        assert_eq!(Num::F32(5.2).cast(NativeType::Decimal).unwrap(), Num::Dec(dec("5.2")));
        assert_eq!(Num::F64(6.3).cast(NativeType::Decimal).unwrap(), Num::Dec(dec("6.3")));
        // CastFctsTest.testNoLossOfPrecisionForCastToDecimal
        assert_eq!(Num::I64(i64::MAX).cast(NativeType::Decimal).unwrap(), Num::Dec(dec("9223372036854775807")));
        assert_eq!(
            Num::Var(BigInt::from(1234567890123456789i64)).cast(NativeType::Decimal).unwrap(),
            Num::Dec(dec("1234567890123456789"))
        );
        assert_eq!(Num::Dec(dec("6.3")).cast(NativeType::Float).unwrap(), Num::F32(6.3));
    }

    #[test]
    fn integer_arithmetic_wraps_and_divides_like_java() {
        assert_eq!(arith(Op::Add, NativeType::Int, &Num::I32(i32::MAX), &Num::I32(1)).unwrap(), Num::I32(i32::MIN));
        assert_eq!(arith(Op::Div, NativeType::Int, &Num::I32(-7), &Num::I32(2)).unwrap(), Num::I32(-3));
        assert_eq!(arith(Op::Mod, NativeType::Int, &Num::I32(-7), &Num::I32(2)).unwrap(), Num::I32(-1));
        assert_eq!(arith(Op::Div, NativeType::Int, &Num::I32(1), &Num::I32(0)).unwrap_err(), "/ by zero");
    }

    #[test]
    fn decimal_division_keeps_at_least_32_significant_digits_like_cassandra() {
        assert_eq!(
            arith(Op::Div, NativeType::Decimal, &Num::Dec(dec("1")), &Num::Dec(dec("3"))).unwrap(),
            Num::Dec(dec("0.33333333333333333333333333333333"))
        );
        assert_eq!(
            arith(Op::Div, NativeType::Decimal, &Num::Dec(dec("10000")), &Num::Dec(dec("3"))).unwrap(),
            Num::Dec(dec("3333.33333333333333333333333333333333"))
        );
        assert_eq!(
            arith(
                Op::Div,
                NativeType::Decimal,
                &Num::Dec(dec("8.5")),
                &Num::Dec(dec("200000000000000000000000000000000000"))
            )
            .unwrap(),
            Num::Dec(dec("0.0000000000000000000000000000000000425"))
        );
        assert_eq!(
            arith(Op::Div, NativeType::Decimal, &Num::Dec(dec("2")), &Num::Dec(dec("3"))).unwrap(),
            Num::Dec(dec("0.66666666666666666666666666666667"))
        );
        assert_eq!(
            arith(Op::Div, NativeType::Decimal, &Num::Dec(dec("5.5")), &Num::Dec(dec("0"))).unwrap_err(),
            "BigInteger divide by zero"
        );
        assert_eq!(
            arith(Op::Div, NativeType::Decimal, &Num::Dec(dec("10")), &Num::Dec(dec("4"))).unwrap(),
            Num::Dec(dec("2.5"))
        );
        assert_eq!(
            arith(Op::Div, NativeType::Decimal, &Num::Dec(dec("6")), &Num::Dec(dec("2"))).unwrap(),
            Num::Dec(dec("3"))
        );
    }

    #[test]
    fn result_types_follow_operation_fcts() {
        assert_eq!(result_type(NativeType::Int, NativeType::Bigint), NativeType::Bigint);
        assert_eq!(result_type(NativeType::Int, NativeType::Float), NativeType::Float);
        assert_eq!(result_type(NativeType::Bigint, NativeType::Float), NativeType::Double);
        assert_eq!(result_type(NativeType::Int, NativeType::Varint), NativeType::Varint);
        assert_eq!(result_type(NativeType::Float, NativeType::Varint), NativeType::Decimal);
        assert_eq!(result_type(NativeType::Counter, NativeType::Int), NativeType::Bigint);
    }
}
