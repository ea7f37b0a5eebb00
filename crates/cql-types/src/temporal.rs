//! Calendar arithmetic, and the text forms of `date`, `time` and `timestamp` as Cassandra parses and
//! prints them (`SimpleDateSerializer`, `TimeSerializer`, `TimestampSerializer`). All calendars here are
//! proleptic Gregorian and all zone-less times are UTC.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::ValueError;

const NANOS_PER_DAY: i64 = 86_400_000_000_000;
const MILLIS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1..=12, day 1..=31).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian (year, month, day) of a count of days since 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn is_valid_date(year: i64, month: u32, day: u32) -> bool {
    (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)
}

/// The current time in milliseconds since the epoch.
pub(crate) fn now_millis() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

/// `yyyy-MM-dd` as `java.time`'s ISO_LOCAL_DATE prints it: at least four year digits, a `+` before years
/// above 9999 and a `-` before negative years.
pub(crate) fn format_iso_date(days: i64) -> String {
    let (year, month, day) = civil_from_days(days);
    let year_text = if year > 9999 {
        format!("+{year}")
    } else if year < 0 {
        format!("-{:04}", -year)
    } else {
        format!("{year:04}")
    };
    format!("{year_text}-{month:02}-{day:02}")
}

/// The text of a `date` value (days with the epoch at 2^31), as `SimpleDateSerializer.toString`.
pub(crate) fn format_date(raw: u32) -> String {
    format_iso_date(i64::from(raw) - (1i64 << 31))
}

/// The text of a `timestamp` value as Cassandra writes it in a CQL literal:
/// `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` in UTC.
pub(crate) fn format_timestamp(millis: i64) -> String {
    let days = millis.div_euclid(MILLIS_PER_DAY);
    let ms_of_day = millis.rem_euclid(MILLIS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let (h, rest) = (ms_of_day / 3_600_000, ms_of_day % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let (s, ms) = (rest / 1000, rest % 1000);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{ms:03}Z")
}

/// The text of a `time` value (nanoseconds since midnight) as `TimeSerializer.toString`:
/// `HH:mm:ss.nnnnnnnnn`.
pub(crate) fn format_time(nanos: i64) -> String {
    let (h, rest) = (nanos.div_euclid(3_600_000_000_000), nanos.rem_euclid(3_600_000_000_000));
    let (m, rest) = (rest / 60_000_000_000, rest % 60_000_000_000);
    let (s, ns) = (rest / 1_000_000_000, rest % 1_000_000_000);
    format!("{h:02}:{m:02}:{s:02}.{ns:09}")
}

/// A small cursor over ASCII text.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Cursor { bytes: s.as_bytes(), pos: 0 }
    }
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }
    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn eat_str(&mut self, s: &str) -> bool {
        let end = self.pos + s.len();
        match self.bytes.get(self.pos..end) {
            Some(found) if found.eq_ignore_ascii_case(s.as_bytes()) => {
                self.pos = end;
                true
            }
            _ => false,
        }
    }
    /// Between `min` and `max` decimal digits, as a number and the count read.
    fn digits(&mut self, min: usize, max: usize) -> Option<(i64, usize)> {
        let mut value: i64 = 0;
        let mut count = 0;
        while count < max {
            match self.peek() {
                Some(b @ b'0'..=b'9') => {
                    value = value * 10 + i64::from(b - b'0');
                    count += 1;
                    self.pos += 1;
                }
                _ => break,
            }
        }
        (count >= min).then_some((value, count))
    }
    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }
}

fn is_integer_text(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Parses a timestamp literal into milliseconds since the epoch, as `TimestampSerializer.dateStringToTimestamp`:
/// `now`, an integer number of milliseconds, or `y-M-d` optionally followed by `T` or a space and
/// `H:m[:s][.fraction]`, optionally followed by a zone (`Z`, `+HH`, `+HHmm`, `+HH:mm`, `UTC`, `GMT`,
/// optionally after a space). Without a zone the time is UTC (Cassandra uses the server's default zone).
/// Fractions beyond milliseconds are truncated.
pub(crate) fn parse_timestamp(source: &str) -> Result<i64, ValueError> {
    if source.eq_ignore_ascii_case("now") {
        return Ok(now_millis());
    }
    if is_integer_text(source) {
        return source
            .parse::<i64>()
            .map_err(|_| ValueError(format!("Unable to make long (for date) from: '{source}'")));
    }
    parse_date_time(source).ok_or_else(|| ValueError(format!("Unable to parse a date/time from '{source}'")))
}

fn parse_date_time(source: &str) -> Option<i64> {
    let mut c = Cursor::new(source);
    let (year, _) = c.digits(1, 9)?;
    if !c.eat(b'-') {
        return None;
    }
    let (month, _) = c.digits(1, 2)?;
    if !c.eat(b'-') {
        return None;
    }
    let (day, _) = c.digits(1, 2)?;
    let (month, day) = (u32::try_from(month).ok()?, u32::try_from(day).ok()?);
    if !is_valid_date(year, month, day) {
        return None;
    }
    let mut millis_of_day = 0i64;
    let time_follows = match c.peek() {
        Some(b'T') | Some(b't') => true,
        Some(b' ') => c.peek_at(1).is_some_and(|b| b.is_ascii_digit()),
        _ => false,
    };
    if time_follows {
        c.pos += 1;
        let (hour, _) = c.digits(1, 2)?;
        if !c.eat(b':') {
            return None;
        }
        let (minute, _) = c.digits(1, 2)?;
        let second = if c.eat(b':') { c.digits(1, 2)?.0 } else { 0 };
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let mut millis = 0;
        if c.eat(b'.') {
            let (fraction, count) = c.digits(1, 9)?;
            millis = if count >= 3 {
                fraction / 10i64.pow(count as u32 - 3)
            } else {
                fraction * 10i64.pow(3 - count as u32)
            };
        }
        millis_of_day = ((hour * 60 + minute) * 60 + second) * 1000 + millis;
    }
    let offset_seconds = parse_zone(&mut c)?;
    if !c.at_end() {
        return None;
    }
    days_from_civil(year, month, day)
        .checked_mul(MILLIS_PER_DAY)?
        .checked_add(millis_of_day)?
        .checked_sub(offset_seconds.checked_mul(1000)?)
}

/// An optional zone at the end of a timestamp: its offset from UTC in seconds (0 when absent).
fn parse_zone(c: &mut Cursor<'_>) -> Option<i64> {
    if c.at_end() {
        return Some(0);
    }
    c.eat(b' ');
    if c.eat(b'Z') || c.eat(b'z') || c.eat_str("UTC") || c.eat_str("GMT") || c.eat_str("UT") {
        return Some(0);
    }
    let sign = match c.peek() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return None,
    };
    c.pos += 1;
    let (hours, _) = c.digits(2, 2)?;
    let minutes = if c.eat(b':') || c.peek().is_some_and(|b| b.is_ascii_digit()) { c.digits(2, 2)?.0 } else { 0 };
    if hours > 18 || minutes > 59 {
        return None;
    }
    Some(sign * (hours * 3600 + minutes * 60))
}

/// Parses a `date` literal into its serialized form (days with the epoch at 2^31), as
/// `SimpleDateSerializer.dateStringToDays`: an integer is the raw unsigned value itself; otherwise
/// ISO `yyyy-MM-dd` (strict).
pub(crate) fn parse_date(source: &str) -> Result<u32, ValueError> {
    if is_integer_text(source) {
        return source
            .parse::<i64>()
            .ok()
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| ValueError(format!("Unable to make unsigned int (for date) from: '{source}'")));
    }
    let coerce_error = || ValueError(format!("Unable to coerce '{source}' to a formatted date (long)"));
    let days = parse_iso_date(source).ok_or_else(coerce_error)?;
    let (min, max) = (i64::from(i32::MIN), i64::from(i32::MAX));
    if days < min {
        return Err(ValueError(format!(
            "Input date {source} is less than min supported date {}T00:00Z",
            format_iso_date(min)
        )));
    }
    if days > max {
        return Err(ValueError(format!(
            "Input date {source} is greater than max supported date {}T00:00Z",
            format_iso_date(max)
        )));
    }
    u32::try_from(days - min).map_err(|_| coerce_error())
}

fn parse_iso_date(source: &str) -> Option<i64> {
    let mut c = Cursor::new(source);
    let sign = if c.eat(b'-') {
        Some(-1)
    } else if c.eat(b'+') {
        Some(1)
    } else {
        None
    };
    let (year, count) = c.digits(4, 10)?;
    if count > 4 && sign.is_none() {
        return None;
    }
    let year = year * sign.unwrap_or(1);
    if !c.eat(b'-') {
        return None;
    }
    let (month, _) = c.digits(2, 2)?;
    if !c.eat(b'-') {
        return None;
    }
    let (day, _) = c.digits(2, 2)?;
    let (month, day) = (u32::try_from(month).ok()?, u32::try_from(day).ok()?);
    (c.at_end() && is_valid_date(year, month, day)).then(|| days_from_civil(year, month, day))
}

/// Parses a `time` literal into nanoseconds since midnight, as `TimeSerializer.timeStringToLong`: an
/// integer is the nanoseconds themselves; otherwise `hh:mm:ss[.fffffffff]`.
pub(crate) fn parse_time(source: &str) -> Result<i64, ValueError> {
    if is_integer_text(source) {
        return source
            .parse::<i64>()
            .ok()
            .filter(|n| (0..NANOS_PER_DAY).contains(n))
            .ok_or_else(|| ValueError(format!("Unable to make long (for time) from: '{source}'")));
    }
    parse_time_strictly(source.trim())
        .ok_or_else(|| ValueError(format!("(TimeType) Unable to coerce '{source}' to a formatted time (long)")))
}

/// Java's `Integer.parseInt`: an optional sign and decimal digits.
fn java_parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i32>().ok().map(i64::from)
}

fn parse_time_strictly(s: &str) -> Option<i64> {
    let first_colon = s.find(':').filter(|&i| i > 0)?;
    let second_colon = s[first_colon + 1..].find(':').map(|i| i + first_colon + 1)?;
    if second_colon >= s.len() - 1 {
        return None;
    }
    let hour = java_parse_int(&s[..first_colon]).filter(|h| (0..24).contains(h))?;
    let minute = java_parse_int(&s[first_colon + 1..second_colon]).filter(|m| (0..60).contains(m))?;
    let after = &s[second_colon + 1..];
    let (second, nanos) = match after.find('.') {
        Some(p) if p > 0 && p < after.len() - 1 => {
            let second = java_parse_int(&after[..p])?;
            let fraction = &after[p + 1..];
            if fraction.len() > 9 || !fraction.starts_with(|c: char| c.is_ascii_digit()) {
                return None;
            }
            let padded = format!("{fraction:0<9}");
            (second, java_parse_int(&padded)?)
        }
        Some(_) => return None,
        None => (java_parse_int(after)?, 0),
    };
    if !(0..60).contains(&second) {
        return None;
    }
    Some(((hour * 60 + minute) * 60 + second) * 1_000_000_000 + nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip_through_day_counts() {
        for days in [-719_468i64, -1, 0, 1, 59, 10_957, 2_932_896, i64::from(i32::MIN), i64::from(i32::MAX)] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn epoch_is_day_zero() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn timestamp_prints_in_utc_with_milliseconds_and_z() {
        assert_eq!(format_timestamp(1_704_164_645_678), "2024-01-02T03:04:05.678Z");
    }

    #[test]
    fn negative_timestamp_prints_before_the_epoch() {
        assert_eq!(format_timestamp(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn date_prints_as_iso_local_date() {
        assert_eq!(format_date(1 << 31), "1970-01-01");
        assert_eq!(format_date(0), "-5877641-06-23");
        assert_eq!(format_date(u32::MAX), "+5881580-07-11");
    }

    #[test]
    fn time_prints_with_nine_fraction_digits() {
        assert_eq!(format_time(3_723_000_000_004), "01:02:03.000000004");
    }

    #[test]
    fn timestamp_parses_date_only_as_utc_midnight() {
        assert_eq!(parse_timestamp("2024-01-02").unwrap(), 1_704_153_600_000);
    }

    #[test]
    fn timestamp_parses_space_or_t_separated_time() {
        assert_eq!(parse_timestamp("2024-01-02 03:04:05.678").unwrap(), 1_704_164_645_678);
        assert_eq!(parse_timestamp("2024-01-02T03:04:05.678").unwrap(), 1_704_164_645_678);
    }

    #[test]
    fn timestamp_without_seconds_parses() {
        assert_eq!(parse_timestamp("2024-01-02 03:04").unwrap(), 1_704_164_640_000);
    }

    #[test]
    fn timestamp_parses_zone_offsets() {
        let utc = 1_704_164_645_000;
        for text in [
            "2024-01-02 03:04:05Z",
            "2024-01-02 03:04:05 UTC",
            "2024-01-02 04:04:05+0100",
            "2024-01-02 04:04:05+01:00",
            "2024-01-02 04:04:05 +01",
            "2024-01-02T02:04:05-01:00",
        ] {
            assert_eq!(parse_timestamp(text).unwrap(), utc, "{text}");
        }
    }

    #[test]
    fn timestamp_fraction_beyond_milliseconds_is_truncated() {
        assert_eq!(parse_timestamp("1970-01-01 00:00:00.123999").unwrap(), 123);
        assert_eq!(parse_timestamp("1970-01-01 00:00:00.5").unwrap(), 500);
    }

    #[test]
    fn timestamp_parses_integer_milliseconds() {
        assert_eq!(parse_timestamp("-42").unwrap(), -42);
    }

    #[test]
    fn timestamp_rejects_an_invalid_date() {
        assert_eq!(parse_timestamp("2023-02-30").unwrap_err().0, "Unable to parse a date/time from '2023-02-30'");
    }

    #[test]
    fn timestamp_now_is_close_to_the_clock() {
        let before = now_millis();
        let now = parse_timestamp("NOW").unwrap();
        assert!(now >= before && now - before < 60_000);
    }

    #[test]
    fn date_parses_iso_text() {
        assert_eq!(parse_date("1970-01-02").unwrap(), (1 << 31) + 1);
    }

    #[test]
    fn date_parses_integer_as_raw_value() {
        assert_eq!(parse_date("5").unwrap(), 5);
    }

    #[test]
    fn date_rejects_negative_integer() {
        assert_eq!(parse_date("-1").unwrap_err().0, "Unable to make unsigned int (for date) from: '-1'");
    }

    #[test]
    fn date_rejects_single_digit_month() {
        assert_eq!(parse_date("2024-1-02").unwrap_err().0, "Unable to coerce '2024-1-02' to a formatted date (long)");
    }

    #[test]
    fn time_parses_with_and_without_fraction() {
        assert_eq!(parse_time("01:02:03").unwrap(), 3_723_000_000_000);
        assert_eq!(parse_time("01:02:03.5").unwrap(), 3_723_500_000_000);
    }

    #[test]
    fn time_parses_integer_nanoseconds() {
        assert_eq!(parse_time("42").unwrap(), 42);
    }

    #[test]
    fn time_rejects_hour_24() {
        assert_eq!(
            parse_time("24:00:00").unwrap_err().0,
            "(TimeType) Unable to coerce '24:00:00' to a formatted time (long)"
        );
    }

    #[test]
    fn time_rejects_nanoseconds_beyond_a_day() {
        assert_eq!(
            parse_time("86400000000000").unwrap_err().0,
            "Unable to make long (for time) from: '86400000000000'"
        );
    }
}
