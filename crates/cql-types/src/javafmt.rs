//! Java's `Float.toString` / `Double.toString`, which Cassandra uses to print `float` and `double` values:
//! the shortest digits that read back to the same value, printed plainly (`123.0`, `0.001`) when the
//! magnitude is in [10^-3, 10^7) and in computerized scientific notation (`1.0E7`, `1.5E-4`) otherwise.
//! (Java before 19 sometimes printed one more digit than needed; this always prints the shortest.)

/// `Float.toString`.
pub(crate) fn float_to_string(v: f32) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    format_shortest(v.is_sign_negative(), &format!("{:e}", v.abs()), f64::from(v.abs()))
}

/// `Double.toString`.
pub(crate) fn double_to_string(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    format_shortest(v.is_sign_negative(), &format!("{:e}", v.abs()), v.abs())
}

/// `scientific` is Rust's shortest `{:e}` form of the magnitude, like `1.2345e6` or `5e-324`.
fn format_shortest(negative: bool, scientific: &str, magnitude: f64) -> String {
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific, "0"));
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if magnitude == 0.0 {
        out.push_str("0.0");
    } else if (1e-3..1e7).contains(&magnitude) {
        if exponent >= 0 {
            let int_len = exponent as usize + 1;
            let padded = format!("{digits:0<int_len$}");
            let (int_part, frac_part) = padded.split_at(int_len.min(padded.len()));
            out.push_str(int_part);
            out.push('.');
            out.push_str(if frac_part.is_empty() { "0" } else { frac_part });
        } else {
            out.push_str("0.");
            for _ in 0..(-exponent - 1) {
                out.push('0');
            }
            out.push_str(&digits);
        }
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.push_str(first);
        out.push('.');
        out.push_str(if rest.is_empty() { "0" } else { rest });
        out.push('E');
        out.push_str(&exponent.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_double_prints_with_point_zero() {
        assert_eq!(double_to_string(100.0), "100.0");
    }

    #[test]
    fn zero_prints_with_sign() {
        assert_eq!(double_to_string(0.0), "0.0");
        assert_eq!(double_to_string(-0.0), "-0.0");
    }

    #[test]
    fn plain_range_prints_shortest_digits() {
        assert_eq!(double_to_string(0.1), "0.1");
        assert_eq!(double_to_string(0.001), "0.001");
        assert_eq!(double_to_string(1234567.5), "1234567.5");
        assert_eq!(double_to_string(-2.5), "-2.5");
    }

    #[test]
    fn large_and_small_magnitudes_use_scientific_notation() {
        assert_eq!(double_to_string(1e7), "1.0E7");
        assert_eq!(double_to_string(1.5e-4), "1.5E-4");
        assert_eq!(double_to_string(123456789.0), "1.23456789E8");
        assert_eq!(double_to_string(-1e300), "-1.0E300");
    }

    #[test]
    fn float_uses_float_shortest_digits() {
        assert_eq!(float_to_string(0.1), "0.1");
        assert_eq!(float_to_string(3.4028235e38), "3.4028235E38");
    }

    #[test]
    fn special_values_print_as_java_names() {
        assert_eq!(double_to_string(f64::NAN), "NaN");
        assert_eq!(float_to_string(f32::INFINITY), "Infinity");
        assert_eq!(double_to_string(f64::NEG_INFINITY), "-Infinity");
    }
}
