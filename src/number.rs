//! JavaScript's `Number(string)` and what jquery-validation computes with it, in doubles as
//! JavaScript computes them: `min`, `max` and `range` compare what the user typed with the
//! rule's parameter the way `value >= param` does, and `step` rounds and divides as its
//! `toInt` and `%` do.
//!
//! On the server [`js_number`] checks JavaScript's grammar and lets Rust's correctly
//! rounded parser read the digits, which gives the same double as the JS engine; the
//! browser tests compare the two over a corpus. In the browser the engine reads them
//! itself ([`Parse`]).

/// JavaScript's StrWhiteSpaceChar: WhiteSpace and LineTerminator.
pub(crate) fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// How the rules read a text as JavaScript's `Number(text)` does: [`js_number`] on the
/// server, the JS engine's own `Number()` in the browser (the page passes it in; the core
/// never calls into the browser).
pub type Parse<'a> = &'a dyn Fn(&str) -> f64;

/// JavaScript's `Number(text)` in Rust: whitespace trimmed, `""` is 0, `0x`/`0o`/`0b`
/// integers, `Infinity`, and decimals with an optional exponent; anything else is NaN.
pub fn js_number(text: &str) -> f64 {
    let t = text.trim_matches(is_js_space);
    let b = t.as_bytes();
    if b.is_empty() {
        return 0.0;
    }
    if b.len() > 2 && b[0] == b'0' {
        let radix = match b[1] {
            b'x' | b'X' => 16,
            b'o' | b'O' => 8,
            b'b' | b'B' => 2,
            _ => 0,
        };
        if radix != 0 {
            let mut n = 0.0;
            for c in t[2..].chars() {
                match c.to_digit(radix) {
                    Some(d) => n = n * f64::from(radix) + f64::from(d),
                    None => return f64::NAN,
                }
            }
            return n;
        }
    }
    let unsigned = t.strip_prefix(['-', '+']).unwrap_or(t);
    if unsigned == "Infinity" {
        return if b[0] == b'-' {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    // StrUnsignedDecimalLiteral: digits, at most one point, at least one digit, then an
    // optional exponent with digits. Rust's parser also takes "inf" and "nan": not these.
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let int = digits(unsigned);
    let mut rest = &unsigned[int..];
    let mut frac = 0;
    if let Some(r) = rest.strip_prefix('.') {
        frac = digits(r);
        rest = &r[frac..];
    }
    if int + frac == 0 {
        return f64::NAN;
    }
    if let Some(e) = rest.strip_prefix(['e', 'E']) {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        if e.is_empty() || digits(e) != e.len() {
            return f64::NAN;
        }
    } else if !rest.is_empty() {
        return f64::NAN;
    }
    t.parse().unwrap_or(f64::NAN)
}

/// JavaScript's `Math.round`: halves go up, towards +Infinity.
pub(crate) fn js_round(x: f64) -> f64 {
    let down = x.floor();
    if x - down >= 0.5 {
        down + 1.0
    } else {
        down
    }
}

/// `10 ** places`, exact up to 10^22 as `Math.pow(10, places)` is.
pub(crate) fn pow10(places: u32) -> f64 {
    let mut p = 1.0;
    for _ in 0..places.min(400) {
        p *= 10.0;
    }
    p
}

/// `a % b === 0` in JavaScript (`NaN` and a zero divisor are not multiples; `-0` is 0).
///
/// The remainder by long division in doubles, exact at every step (see below), so the
/// verdict is the one JavaScript's `%` gives.
pub(crate) fn is_multiple(a: f64, b: f64) -> bool {
    let (mut r, b) = (a.abs(), b.abs());
    if !r.is_finite() || b.is_nan() || b == 0.0 {
        return false;
    }
    if b.is_infinite() {
        return r == 0.0;
    }
    let mut t = b;
    while t * 2.0 <= r {
        t *= 2.0;
    }
    // t = b·2^k. While r < 2t, `r - t` for t <= r is exact (Sterbenz), and halving t is
    // exact down to b.
    while t >= b {
        if r >= t {
            r -= t;
        }
        t /= 2.0;
    }
    r == 0.0
}

/// The decimal places a number's text has: the digits after its point, less its exponent
/// (`1.25` 2, `1e-7` 7, `1.5e-3` 4, `2e3` 0), the exponent read with `parse`. Text that
/// is not a number has none.
pub(crate) fn decimal_places(text: &str, parse: Parse) -> u32 {
    let t = text.trim_matches(is_js_space);
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(at) => (&t[..at], parse(&t[at + 1..])),
        None => (t, 0.0),
    };
    let point = mantissa.bytes().position(|b| b == b'.');
    let fraction = point.map_or(0, |at| mantissa.len() - at - 1) as f64;
    // A float to integer `as` saturates, and gives 0 for NaN.
    (fraction - exponent).clamp(0.0, 400.0) as u32
}

/// JavaScript's Number::toString for a finite number: the shortest digits that round-trip,
/// in plain notation for 1e-7 < |x| < 1e21 and exponent notation outside.
pub fn js_number_text(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    // `{:e}` gives the shortest round-trip digits: "1.2345e3".
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i32;
    let n = exp.parse::<i32>().expect("{:e} exponent is an integer") + 1;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat(-n as usize))
    } else {
        let e = n - 1;
        let e = if e < 0 {
            e.to_string()
        } else {
            format!("+{e}")
        };
        match digits.split_at(1) {
            (d, "") => format!("{d}e{e}"),
            (d, rest) => format!("{d}.{rest}e{e}"),
        }
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_javascript_writes_them() {
        for (x, js) in [
            (5.0, "5"),
            (-5.0, "-5"),
            (0.5, "0.5"),
            (0.01, "0.01"),
            (1234.5, "1234.5"),
            (1e21, "1e+21"),
            (1.5e21, "1.5e+21"),
            (1e20, "100000000000000000000"),
            (1e-7, "1e-7"),
            (1.25e-7, "1.25e-7"),
            (1e-6, "0.000001"),
            (0.1 + 0.2, "0.30000000000000004"),
            (-0.0, "0"),
        ] {
            assert_eq!(js_number_text(x), js, "{x:e}");
        }
    }

    #[test]
    fn parses_like_number_of_string() {
        assert_eq!(js_number(""), 0.0);
        assert_eq!(js_number("  12 "), 12.0);
        assert_eq!(js_number("\u{a0}12\u{feff}"), 12.0);
        assert_eq!(js_number("0x10"), 16.0);
        assert_eq!(js_number("0b101"), 5.0);
        assert_eq!(js_number("0o17"), 15.0);
        assert_eq!(js_number("1e3"), 1000.0);
        assert_eq!(js_number("1E+3"), 1000.0);
        assert_eq!(js_number(".5"), 0.5);
        assert_eq!(js_number("5."), 5.0);
        assert_eq!(js_number("+5"), 5.0);
        assert_eq!(js_number("0.1"), 0.1);
        assert!(js_number("-0").is_sign_negative());
        assert_eq!(js_number("-Infinity"), f64::NEG_INFINITY);
        assert_eq!(js_number("1e400"), f64::INFINITY);
        for nan in [
            "abc", "1,000", "1e", "--1", "-0x10", ".", "1.2.3", "infinity", "inf", "NaN", "nan",
            "1 2", "0x", "+-1", "1e+", "e5", "1_000", "0xg",
        ] {
            assert!(js_number(nan).is_nan(), "{nan}");
        }
    }

    #[test]
    fn rounds_like_math_round() {
        assert_eq!(js_round(2.5), 3.0);
        assert_eq!(js_round(-2.5), -2.0);
        assert_eq!(js_round(-2.51), -3.0);
        assert_eq!(js_round(0.49999999999999994), 0.0);
        assert_eq!(js_round(0.3 * pow10(1)), 3.0);
        assert_eq!(js_round(12.345 * pow10(2)), 1235.0);
    }

    #[test]
    fn finds_multiples_as_the_remainder_does() {
        assert!(is_multiple(30.0, 10.0));
        assert!(is_multiple(-30.0, 10.0));
        assert!(is_multiple(0.0, 7.0));
        assert!(!is_multiple(31.0, 10.0));
        assert!(!is_multiple(f64::NAN, 10.0));
        assert!(!is_multiple(5.0, 0.0));
        assert!(!is_multiple(f64::INFINITY, 3.0));
        assert!(is_multiple(0.0, f64::INFINITY));
        assert!(is_multiple(2f64.powi(70), 2f64.powi(10)));
        assert!(is_multiple(3.0 * 2f64.powi(70), 3.0));
        assert!(!is_multiple(2f64.powi(70), 3.0));
        // Exact remainders of large doubles: 1e30 is 1000000000000000019884624838656.
        assert!(!is_multiple(1e30, 5.0));
        assert!(is_multiple(1e30, 2f64.powi(30)));
        // The same verdicts as the remainder operator, on numbers of every size.
        let samples = [
            0.0,
            1.0,
            2.0,
            3.0,
            7.0,
            10.0,
            12.0,
            1e3,
            1e15,
            9007199254740993.0,
            1e19,
            1e22,
            1e24 + 1.0,
            1e25,
            3e40,
            1e300,
            f64::MAX,
            6.0 * 2f64.powi(900),
        ];
        for a in samples {
            for b in samples {
                assert_eq!(is_multiple(a, b), a % b == 0.0, "{a} % {b}");
                assert_eq!(is_multiple(-a, b), a % b == 0.0, "-{a} % {b}");
            }
        }
    }

    #[test]
    fn counts_decimal_places_with_the_exponent() {
        // The places an exact decimal computation needs (HTML's step check), not
        // jquery-validation's /(?:\.(\d+))?$/, which counts 0 for "1e-3".
        assert_eq!(decimal_places("1.50", &js_number), 2);
        assert_eq!(decimal_places("1e-3", &js_number), 3);
        assert_eq!(decimal_places("1.5e-3", &js_number), 4);
        assert_eq!(decimal_places("2E3", &js_number), 0);
        assert_eq!(decimal_places("1.25e1", &js_number), 1);
        assert_eq!(decimal_places(" 0.01 ", &js_number), 2);
        assert_eq!(decimal_places("7", &js_number), 0);
        assert_eq!(decimal_places(".5", &js_number), 1);
        assert_eq!(decimal_places("5.", &js_number), 0);
        assert_eq!(decimal_places("", &js_number), 0);
    }
}
