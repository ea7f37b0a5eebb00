//! The native aggregates (`AggregateFcts`): `count(*)`, `count`, `min`, `max`, `sum` and `avg`, with
//! Cassandra's arithmetic: sums wrap in the input type, integer averages use a `long` sum (a
//! `BigInteger` once it overflows) and integer division, floating-point sums and averages use
//! Kahan summation in `double`, decimal averages are a running average rounded half-even.

use std::cmp::Ordering;

use bigdecimal::num_bigint::BigInt;
use bigdecimal::num_traits::{ToPrimitive, Zero};
use bigdecimal::{BigDecimal, RoundingMode};
use bytes::Bytes;
use cql_types::{CqlType, CqlValue, NativeType};

use super::num::Num;
use super::{Function, Impl};
use crate::Error;

#[derive(Debug, Clone)]
enum State {
    Count(i64),
    /// min/max: the best value so far.
    Best(Option<Bytes>),
    SumInt(i64),
    SumVarint(BigInt),
    SumDecimal(BigDecimal),
    /// Kahan: sum, compensation, simple sum.
    SumFloat(f64, f64, f64),
    AvgInt {
        sum: i64,
        count: i64,
        big: Option<BigInt>,
    },
    AvgVarint {
        sum: BigInt,
        count: i64,
    },
    AvgDecimal {
        avg: BigDecimal,
        count: i64,
    },
    AvgFloat {
        sum: f64,
        comp: f64,
        simple: f64,
        count: i64,
        big: Option<BigDecimal>,
    },
}

/// The running state of one aggregate over one group of rows.
#[derive(Debug, Clone)]
pub struct Aggregator {
    imp: Impl,
    typ: CqlType,
    state: State,
}

fn native_of(t: &CqlType) -> NativeType {
    match t {
        CqlType::Native(n) => *n,
        _ => NativeType::Blob,
    }
}

impl Aggregator {
    pub fn new(f: &Function) -> Aggregator {
        let typ = f.args.first().cloned().unwrap_or(CqlType::BIGINT);
        let n = native_of(&typ);
        let state = match f.imp {
            Impl::CountRows | Impl::Count => State::Count(0),
            Impl::Min | Impl::Max => State::Best(None),
            Impl::Sum => match n {
                NativeType::Varint => State::SumVarint(BigInt::zero()),
                NativeType::Decimal => State::SumDecimal(BigDecimal::zero()),
                NativeType::Float | NativeType::Double => State::SumFloat(0.0, 0.0, 0.0),
                _ => State::SumInt(0),
            },
            _ => match n {
                NativeType::Varint => State::AvgVarint { sum: BigInt::zero(), count: 0 },
                NativeType::Decimal => State::AvgDecimal { avg: BigDecimal::zero(), count: 0 },
                NativeType::Float | NativeType::Double => {
                    State::AvgFloat { sum: 0.0, comp: 0.0, simple: 0.0, count: 0, big: None }
                }
                _ => State::AvgInt { sum: 0, count: 0, big: None },
            },
        };
        Aggregator { imp: f.imp.clone(), typ, state }
    }

    /// Adds one row's arguments (`None` is null; null and empty values are ignored, except by count(*)).
    pub fn add(&mut self, args: &[Option<Bytes>]) {
        if let State::Count(c) = &mut self.state {
            if self.imp == Impl::CountRows || args.first().map(|a| a.is_some()).unwrap_or(false) {
                *c += 1;
            }
            return;
        }
        let Some(Some(value)) = args.first() else { return };
        if value.is_empty() && !self.typ.empty_is_a_value() {
            return;
        }
        let n = native_of(&self.typ);
        let num = || Num::decode(n, value);
        match &mut self.state {
            State::Count(_) => {}
            State::Best(best) => {
                let replace = match best {
                    None => true,
                    Some(cur) => {
                        let o = if n == NativeType::Counter {
                            num().map(|x| x.to_i64()).cmp(&Num::decode(n, cur).map(|x| x.to_i64()))
                        } else {
                            CqlValue::compare(&self.typ, value, cur)
                        };
                        if self.imp == Impl::Min {
                            o == Ordering::Less
                        } else {
                            o == Ordering::Greater
                        }
                    }
                };
                if replace {
                    *best = Some(value.clone());
                }
            }
            State::SumInt(sum) => {
                if let Some(x) = num() {
                    *sum = match n {
                        NativeType::Tinyint => (*sum as i8).wrapping_add(x.to_i8()) as i64,
                        NativeType::Smallint => (*sum as i16).wrapping_add(x.to_i16()) as i64,
                        NativeType::Int => (*sum as i32).wrapping_add(x.to_i32()) as i64,
                        _ => sum.wrapping_add(x.to_i64()),
                    };
                }
            }
            State::SumVarint(sum) => {
                if let Some(x) = num() {
                    *sum += x.to_varint();
                }
            }
            State::SumDecimal(sum) => {
                if let Some(Num::Dec(d)) = num() {
                    *sum = &*sum + d;
                }
            }
            State::SumFloat(sum, comp, simple) => {
                if let Some(x) = num() {
                    let v = x.to_f64();
                    *simple += v;
                    let tmp = v - *comp;
                    let rounded = *sum + tmp;
                    *comp = (rounded - *sum) - tmp;
                    *sum = rounded;
                }
            }
            State::AvgInt { sum, count, big } => {
                if let Some(x) = num() {
                    *count += 1;
                    let v = x.to_i64();
                    match big {
                        Some(b) => *b += v,
                        None => match sum.checked_add(v) {
                            Some(s) => *sum = s,
                            None => *big = Some(BigInt::from(*sum) + v),
                        },
                    }
                }
            }
            State::AvgVarint { sum, count } => {
                if let Some(x) = num() {
                    *count += 1;
                    *sum += x.to_varint();
                }
            }
            State::AvgDecimal { avg, count } => {
                if let Some(Num::Dec(d)) = num() {
                    *count += 1;
                    // avg = avg + (value - avg) / count, rounded half-even at the scale of the difference
                    let diff = d - &*avg;
                    let scale = diff.as_bigint_and_exponent().1;
                    let step = (diff / BigDecimal::from(*count)).with_scale_round(scale, RoundingMode::HalfEven);
                    *avg = &*avg + step;
                }
            }
            State::AvgFloat { sum, comp, simple, count, big } => {
                if let Some(x) = num() {
                    *count += 1;
                    let v = x.to_f64();
                    match big {
                        Some(b) => {
                            if let Some(d) = super::num::decimal_of_double(v) {
                                *b = &*b + d;
                            }
                        }
                        None => {
                            *simple += v;
                            let prev = *sum;
                            let tmp = v - *comp;
                            let rounded = *sum + tmp;
                            *comp = (rounded - *sum) - tmp;
                            *sum = rounded;
                            if sum.is_infinite() && !v.is_infinite() {
                                *big = match (super::num::decimal_of_double(prev), super::num::decimal_of_double(v)) {
                                    (Some(a), Some(b)) => Some(a + b),
                                    _ => None,
                                };
                            }
                        }
                    }
                }
            }
        }
    }

    /// The aggregate's value for the rows added so far.
    pub fn compute(&self) -> Result<Option<Bytes>, Error> {
        let n = native_of(&self.typ);
        let int_result = |v: i64| -> Bytes {
            match n {
                NativeType::Tinyint => Num::I8(v as i8).encode(),
                NativeType::Smallint => Num::I16(v as i16).encode(),
                NativeType::Int => Num::I32(v as i32).encode(),
                _ => Num::I64(v).encode(),
            }
        };
        let float_result = |v: f64| -> Bytes {
            if n == NativeType::Float {
                Num::F32(v as f32).encode()
            } else {
                Num::F64(v).encode()
            }
        };
        Ok(match &self.state {
            State::Count(c) => Some(Num::I64(*c).encode()),
            State::Best(b) => b.clone(),
            State::SumInt(s) => Some(int_result(*s)),
            State::SumVarint(s) => Some(Num::Var(s.clone()).encode()),
            State::SumDecimal(s) => Some(Num::Dec(s.clone()).encode()),
            State::SumFloat(sum, comp, simple) => {
                let tmp = sum + comp;
                Some(float_result(if tmp.is_nan() && simple.is_infinite() { *simple } else { tmp }))
            }
            State::AvgInt { sum, count, big } => {
                let v = if *count == 0 {
                    0
                } else {
                    match big {
                        Some(b) => {
                            let q: BigInt = b / BigInt::from(*count);
                            let (sign, digits) = q.to_u64_digits();
                            let low = digits.first().copied().unwrap_or(0) as i64;
                            if sign == bigdecimal::num_bigint::Sign::Minus {
                                low.wrapping_neg()
                            } else {
                                low
                            }
                        }
                        None => sum / count,
                    }
                };
                Some(int_result(v))
            }
            State::AvgVarint { sum, count } => {
                Some(Num::Var(if *count == 0 { BigInt::zero() } else { sum / BigInt::from(*count) }).encode())
            }
            State::AvgDecimal { avg, .. } => Some(Num::Dec(avg.clone()).encode()),
            State::AvgFloat { sum, comp, simple, count, big } => {
                let v = if *count == 0 {
                    0.0
                } else if let Some(b) = big {
                    (b / BigDecimal::from(*count)).to_f64().unwrap_or(f64::NAN)
                } else {
                    let tmp = sum + comp;
                    let total = if tmp.is_nan() && simple.is_infinite() { *simple } else { tmp };
                    total / *count as f64
                };
                Some(float_result(v))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agg(imp: Impl, t: CqlType) -> Aggregator {
        Aggregator::new(&Function { name: "x".into(), args: vec![t.clone()], ret: t, imp })
    }

    fn int(v: i32) -> Option<Bytes> {
        Some(Bytes::copy_from_slice(&v.to_be_bytes()))
    }

    #[test]
    fn avg_of_ints_is_an_int_with_integer_division() {
        let mut a = agg(Impl::Avg, CqlType::INT);
        for v in [1, 2, 2] {
            a.add(&[int(v)]);
        }
        assert_eq!(a.compute().unwrap(), int(1));
    }

    #[test]
    fn sum_of_ints_wraps_like_java() {
        let mut a = agg(Impl::Sum, CqlType::INT);
        a.add(&[int(i32::MAX)]);
        a.add(&[int(1)]);
        assert_eq!(a.compute().unwrap(), int(i32::MIN));
    }

    #[test]
    fn avg_of_ints_does_not_overflow() {
        let mut a = agg(Impl::Avg, CqlType::INT);
        a.add(&[int(i32::MAX)]);
        a.add(&[int(i32::MAX)]);
        assert_eq!(a.compute().unwrap(), int(i32::MAX));
    }

    #[test]
    fn empty_aggregates() {
        assert_eq!(agg(Impl::Sum, CqlType::INT).compute().unwrap(), int(0));
        assert_eq!(agg(Impl::Avg, CqlType::INT).compute().unwrap(), int(0));
        assert_eq!(agg(Impl::Max, CqlType::INT).compute().unwrap(), None);
    }
}
