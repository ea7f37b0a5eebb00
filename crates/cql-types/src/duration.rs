//! The text form of `duration` values, as Cassandra's `org.apache.cassandra.cql3.Duration` parses and
//! prints it: `12h30m`-style unit lists, ISO 8601 `P1Y2M3DT4H5M6S`, `P2W` and `P0001-02-03T04:05:06`,
//! each optionally preceded by `-`.

use crate::ValueError;

pub(crate) const NANOS_PER_MICRO: i64 = 1000;
pub(crate) const NANOS_PER_MILLI: i64 = 1000 * NANOS_PER_MICRO;
pub(crate) const NANOS_PER_SECOND: i64 = 1000 * NANOS_PER_MILLI;
pub(crate) const NANOS_PER_MINUTE: i64 = 60 * NANOS_PER_SECOND;
pub(crate) const NANOS_PER_HOUR: i64 = 60 * NANOS_PER_MINUTE;

/// A duration's three components; all non-zero ones share one sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Duration {
    pub months: i32,
    pub days: i32,
    pub nanoseconds: i64,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Unit {
    Years = 1,
    Months,
    Weeks,
    Days,
    Hours,
    Minutes,
    Seconds,
    Millis,
    Micros,
    Nanos,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Years => "years",
            Unit::Months => "months",
            Unit::Weeks => "weeks",
            Unit::Days => "days",
            Unit::Hours => "hours",
            Unit::Minutes => "minutes",
            Unit::Seconds => "seconds",
            Unit::Millis => "milliseconds",
            Unit::Micros => "microseconds",
            Unit::Nanos => "nanoseconds",
        }
    }
}

/// Unit symbols of the standard format, in the order Cassandra's pattern tries them.
const SYMBOLS: &[(&str, Unit)] = &[
    ("y", Unit::Years),
    ("mo", Unit::Months),
    ("w", Unit::Weeks),
    ("d", Unit::Days),
    ("h", Unit::Hours),
    ("s", Unit::Seconds),
    ("ms", Unit::Millis),
    ("us", Unit::Micros),
    ("\u{b5}s", Unit::Micros),
    ("ns", Unit::Nanos),
    ("m", Unit::Minutes),
];

struct Builder {
    negative: bool,
    months: i32,
    days: i32,
    nanoseconds: i64,
    current: Option<Unit>,
}

fn limit_error(unit: &str) -> ValueError {
    ValueError(format!("Invalid duration. The total number of {unit} must be less or equal to {}", i32::MAX))
}

impl Builder {
    fn new(negative: bool) -> Self {
        Builder { negative, months: 0, days: 0, nanoseconds: 0, current: None }
    }

    fn add(&mut self, amount: i64, unit: Unit) -> Result<(), ValueError> {
        if let Some(current) = self.current {
            if unit == current {
                return Err(ValueError(format!("Invalid duration. The {} are specified multiple times", unit.name())));
            }
            if unit < current {
                return Err(ValueError(format!(
                    "Invalid duration. The {} should be after {}",
                    current.name(),
                    unit.name()
                )));
            }
        }
        self.current = Some(unit);
        let add_months = |b: &mut Self, per: i32| {
            if amount > i64::from((i32::MAX - b.months) / per) {
                return Err(limit_error("months"));
            }
            b.months += amount as i32 * per;
            Ok(())
        };
        let add_days = |b: &mut Self, per: i32| {
            if amount > i64::from((i32::MAX - b.days) / per) {
                return Err(limit_error("days"));
            }
            b.days += amount as i32 * per;
            Ok(())
        };
        let add_nanos = |b: &mut Self, per: i64| {
            if amount > (i64::MAX - b.nanoseconds) / per {
                return Err(limit_error("nanoseconds"));
            }
            b.nanoseconds += amount * per;
            Ok(())
        };
        match unit {
            Unit::Years => add_months(self, 12),
            Unit::Months => add_months(self, 1),
            Unit::Weeks => add_days(self, 7),
            Unit::Days => add_days(self, 1),
            Unit::Hours => add_nanos(self, NANOS_PER_HOUR),
            Unit::Minutes => add_nanos(self, NANOS_PER_MINUTE),
            Unit::Seconds => add_nanos(self, NANOS_PER_SECOND),
            Unit::Millis => add_nanos(self, NANOS_PER_MILLI),
            Unit::Micros => add_nanos(self, NANOS_PER_MICRO),
            Unit::Nanos => add_nanos(self, 1),
        }
    }

    fn build(self) -> Duration {
        if self.negative {
            Duration { months: -self.months, days: -self.days, nanoseconds: -self.nanoseconds }
        } else {
            Duration { months: self.months, days: self.days, nanoseconds: self.nanoseconds }
        }
    }
}

/// Reads leading ASCII digits of `s` as a number, returning it and the rest.
fn number(s: &str) -> Option<(i64, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if end == 0 {
        return None;
    }
    let (digits, rest) = s.split_at(end);
    digits.parse().ok().map(|n| (n, rest))
}

/// Parses a duration literal.
pub(crate) fn parse_duration(input: &str) -> Result<Duration, ValueError> {
    let negative = input.starts_with('-');
    let source = input.strip_prefix('-').unwrap_or(input);
    let invalid = || ValueError(format!("Unable to convert '{source}' to a duration"));
    let mut builder = Builder::new(negative);
    if let Some(body) = source.strip_prefix('P') {
        if let Some(weeks) = body.strip_suffix('W') {
            let (n, rest) = number(weeks).ok_or_else(invalid)?;
            if !rest.is_empty() {
                return Err(invalid());
            }
            builder.add(n, Unit::Weeks)?;
        } else if body.contains('-') {
            parse_iso_alternative(body, &mut builder).ok_or_else(invalid)??;
        } else {
            parse_iso(body, &mut builder).ok_or_else(invalid)??;
        }
    } else {
        let mut rest = source;
        if rest.is_empty() {
            return Err(invalid());
        }
        while !rest.is_empty() {
            let (n, after) = number(rest).ok_or_else(invalid)?;
            let (symbol, unit) = SYMBOLS
                .iter()
                .find(|(symbol, _)| {
                    after.as_bytes().get(..symbol.len()).is_some_and(|b| b.eq_ignore_ascii_case(symbol.as_bytes()))
                })
                .ok_or_else(invalid)?;
            builder.add(n, *unit)?;
            rest = &after[symbol.len()..];
        }
    }
    Ok(builder.build())
}

/// `[nY][nM][nD][T[nH][nM][nS]]` after the `P`; `None` if it does not match.
fn parse_iso(body: &str, builder: &mut Builder) -> Option<Result<(), ValueError>> {
    let mut parts: Vec<(i64, Unit)> = Vec::new();
    let (date, time) = match body.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (body, None),
    };
    let mut take = |mut s: &str, designators: &[(char, Unit)]| -> Option<()> {
        for (designator, unit) in designators {
            if let Some((n, rest)) = number(s) {
                if let Some(rest) = rest.strip_prefix(*designator) {
                    parts.push((n, *unit));
                    s = rest;
                }
            }
        }
        s.is_empty().then_some(())
    };
    take(date, &[('Y', Unit::Years), ('M', Unit::Months), ('D', Unit::Days)])?;
    if let Some(time) = time {
        take(time, &[('H', Unit::Hours), ('M', Unit::Minutes), ('S', Unit::Seconds)])?;
    }
    Some(parts.into_iter().try_for_each(|(n, unit)| builder.add(n, unit)))
}

/// `YYYY-MM-DDThh:mm:ss` after the `P`; `None` if it does not match.
fn parse_iso_alternative(body: &str, builder: &mut Builder) -> Option<Result<(), ValueError>> {
    let b = body.as_bytes();
    let shape = b"dddd-dd-ddTdd:dd:dd";
    if b.len() != shape.len() {
        return None;
    }
    let matches = b.iter().zip(shape.iter()).all(|(c, s)| if *s == b'd' { c.is_ascii_digit() } else { c == s });
    if !matches {
        return None;
    }
    let field = |from: usize, to: usize| body.get(from..to).and_then(|s| s.parse::<i64>().ok());
    let values = [
        (field(0, 4)?, Unit::Years),
        (field(5, 7)?, Unit::Months),
        (field(8, 10)?, Unit::Days),
        (field(11, 13)?, Unit::Hours),
        (field(14, 16)?, Unit::Minutes),
        (field(17, 19)?, Unit::Seconds),
    ];
    Some(values.into_iter().try_for_each(|(n, unit)| builder.add(n, unit)))
}

/// The text Cassandra prints for a duration (`Duration.toString`): e.g. `1y2mo3d4h5m6s7ms8us9ns`,
/// with a leading `-` when negative. Cassandra prints the zero duration as an empty string; this prints
/// `0s`, which is a valid literal for it.
pub(crate) fn format_duration(d: Duration) -> String {
    let mut out = String::new();
    if d.months < 0 || d.days < 0 || d.nanoseconds < 0 {
        out.push('-');
    }
    let mut append = |dividend: u64, divisor: u64, unit: &str| -> u64 {
        if dividend == 0 || dividend < divisor {
            return dividend;
        }
        out.push_str(&format!("{}{unit}", dividend / divisor));
        dividend % divisor
    };
    let remainder = append(u64::from(d.months.unsigned_abs()), 12, "y");
    append(remainder, 1, "mo");
    append(u64::from(d.days.unsigned_abs()), 1, "d");
    if d.nanoseconds != 0 {
        let mut remainder = append(d.nanoseconds.unsigned_abs(), NANOS_PER_HOUR as u64, "h");
        remainder = append(remainder, NANOS_PER_MINUTE as u64, "m");
        remainder = append(remainder, NANOS_PER_SECOND as u64, "s");
        remainder = append(remainder, NANOS_PER_MILLI as u64, "ms");
        remainder = append(remainder, NANOS_PER_MICRO as u64, "us");
        append(remainder, 1, "ns");
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(months: i32, days: i32, nanoseconds: i64) -> Duration {
        Duration { months, days, nanoseconds }
    }

    #[test]
    fn standard_format_adds_units() {
        assert_eq!(parse_duration("1y2mo3w4d5h6m7s8ms9us10ns").unwrap(), d(14, 25, 18_367_008_009_010));
    }

    #[test]
    fn standard_format_units_are_case_insensitive() {
        assert_eq!(parse_duration("1H30M").unwrap(), d(0, 0, 90 * NANOS_PER_MINUTE));
    }

    #[test]
    fn micro_sign_is_accepted_for_microseconds() {
        assert_eq!(parse_duration("3\u{b5}s").unwrap(), d(0, 0, 3000));
    }

    #[test]
    fn leading_minus_negates_every_component() {
        assert_eq!(parse_duration("-2d1h").unwrap(), d(0, -2, -NANOS_PER_HOUR));
    }

    #[test]
    fn iso_format_with_designators_parses() {
        assert_eq!(
            parse_duration("P1Y2M3DT4H5M6S").unwrap(),
            d(14, 3, 4 * NANOS_PER_HOUR + 5 * NANOS_PER_MINUTE + 6 * NANOS_PER_SECOND)
        );
    }

    #[test]
    fn iso_format_with_only_time_parses() {
        assert_eq!(parse_duration("PT2M").unwrap(), d(0, 0, 2 * NANOS_PER_MINUTE));
    }

    #[test]
    fn iso_week_format_parses() {
        assert_eq!(parse_duration("P2W").unwrap(), d(0, 14, 0));
    }

    #[test]
    fn iso_alternative_format_parses() {
        assert_eq!(parse_duration("P0001-02-03T04:05:06").unwrap(), d(14, 3, 14_706 * NANOS_PER_SECOND));
    }

    #[test]
    fn number_without_unit_is_rejected() {
        assert_eq!(parse_duration("5").unwrap_err().0, "Unable to convert '5' to a duration");
    }

    #[test]
    fn units_out_of_order_are_rejected() {
        assert_eq!(parse_duration("1h1d").unwrap_err().0, "Invalid duration. The hours should be after days");
    }

    #[test]
    fn repeated_unit_is_rejected() {
        assert_eq!(parse_duration("1h2h").unwrap_err().0, "Invalid duration. The hours are specified multiple times");
    }

    #[test]
    fn months_overflow_is_rejected() {
        assert_eq!(
            parse_duration("178956971y").unwrap_err().0,
            "Invalid duration. The total number of months must be less or equal to 2147483647"
        );
    }

    #[test]
    fn trailing_garbage_is_rejected() {
        assert!(parse_duration("1hx").is_err());
    }

    #[test]
    fn duration_prints_largest_units_first() {
        assert_eq!(format_duration(d(14, 3, 3_723_004_005_006)), "1y2mo3d1h2m3s4ms5us6ns");
    }

    #[test]
    fn negative_duration_prints_with_minus() {
        assert_eq!(format_duration(d(0, -1, -NANOS_PER_HOUR)), "-1d1h");
    }

    #[test]
    fn zero_duration_prints_as_zero_seconds() {
        assert_eq!(format_duration(d(0, 0, 0)), "0s");
    }
}
