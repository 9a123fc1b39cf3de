//! JavaScript's `Number(string)` as exact decimals, without floats: `min`, `max`, `range`
//! and `step` compare what the user typed with the rule's parameter the way
//! jquery-validation's `value >= param` does, and no float parsing or formatting lands in
//! the wasm.

use core::cmp::Ordering;

/// A number read from text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Num {
    /// Not a number: JS comparisons with it are all false.
    NaN,
    /// `-Infinity` (`neg`) or `Infinity`.
    Inf { neg: bool },
    /// `0.d1d2d3… × 10^exp`, digits without leading or trailing zeros (none for zero).
    Fin {
        neg: bool,
        digits: Vec<u8>,
        exp: i64,
    },
}

impl Num {
    /// A count (a length), without formatting it as text first.
    pub(crate) fn count(mut n: usize) -> Num {
        let mut raw = Vec::new();
        while n > 0 {
            raw.push((n % 10) as u8);
            n /= 10;
        }
        raw.reverse();
        let len = raw.len() as i64;
        fin(false, &raw, len)
    }
}

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

fn fin(neg: bool, raw: &[u8], mut exp: i64) -> Num {
    // `raw` are digit values with the point after the first `exp` of them.
    let start = raw.iter().position(|&d| d != 0).unwrap_or(raw.len());
    let end = raw.iter().rposition(|&d| d != 0).map_or(start, |i| i + 1);
    exp -= start as i64;
    Num::Fin {
        neg: neg && start != end,
        digits: raw[start..end].to_vec(),
        exp: if start == end { 0 } else { exp },
    }
}

/// `Number(text)` in JavaScript.
pub(crate) fn parse(text: &str) -> Num {
    let t = text.trim_matches(is_js_space);
    if t.is_empty() {
        return fin(false, &[], 0);
    }
    let b = t.as_bytes();
    if b.len() > 2 && b[0] == b'0' {
        let radix = match b[1] {
            b'x' | b'X' => 16,
            b'o' | b'O' => 8,
            b'b' | b'B' => 2,
            _ => 0,
        };
        if radix != 0 {
            return parse_radix(&t[2..], radix);
        }
    }
    let (neg, rest) = match b[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if rest == "Infinity" {
        return Num::Inf { neg };
    }
    let mut raw = Vec::new();
    let mut int_len: i64 = 0;
    let mut seen_point = false;
    let mut any_digit = false;
    let mut bytes = rest.bytes().peekable();
    while let Some(&c) = bytes.peek() {
        match c {
            b'0'..=b'9' => {
                raw.push(c - b'0');
                any_digit = true;
                if !seen_point {
                    int_len += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        bytes.next();
    }
    if !any_digit {
        return Num::NaN;
    }
    let mut exp: i64 = 0;
    if let Some(c) = bytes.next() {
        if c != b'e' && c != b'E' {
            return Num::NaN;
        }
        let mut eneg = false;
        let mut edigits = false;
        if let Some(&s) = bytes.peek() {
            if s == b'+' || s == b'-' {
                eneg = s == b'-';
                bytes.next();
            }
        }
        for c in bytes {
            if !c.is_ascii_digit() {
                return Num::NaN;
            }
            edigits = true;
            exp = (exp * 10 + i64::from(c - b'0')).min(1 << 40);
        }
        if !edigits {
            return Num::NaN;
        }
        if eneg {
            exp = -exp;
        }
    }
    fin(neg, &raw, int_len + exp)
}

fn parse_radix(digits: &str, radix: u32) -> Num {
    let mut raw: Vec<u8> = Vec::new(); // decimal digits, most significant first
    for c in digits.chars() {
        let Some(d) = c.to_digit(radix) else {
            return Num::NaN;
        };
        // raw = raw * radix + d, in decimal.
        let mut carry = d;
        for x in raw.iter_mut().rev() {
            let v = u32::from(*x) * radix + carry;
            *x = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            raw.insert(0, (carry % 10) as u8);
            carry /= 10;
        }
    }
    let len = raw.len() as i64;
    fin(false, &raw, len)
}

impl Num {
    /// JavaScript's relational comparison; `None` when either side is NaN.
    pub(crate) fn cmp_js(&self, other: &Num) -> Option<Ordering> {
        use Num::*;
        let rank = |n: &Num| match n {
            NaN => None,
            Inf { neg: true } => Some(0),
            Fin {
                neg: true, digits, ..
            } if !digits.is_empty() => Some(1),
            Fin { digits, .. } if digits.is_empty() => Some(2),
            Fin { .. } => Some(3),
            Inf { neg: false } => Some(4),
        };
        let (ra, rb) = (rank(self)?, rank(other)?);
        if ra != rb {
            return Some(ra.cmp(&rb));
        }
        match (self, other) {
            (
                Fin {
                    neg,
                    digits: da,
                    exp: ea,
                },
                Fin {
                    digits: db,
                    exp: eb,
                    ..
                },
            ) => {
                let magnitude = ea.cmp(eb).then_with(|| da.cmp(db));
                Some(if *neg { magnitude.reverse() } else { magnitude })
            }
            _ => Some(Ordering::Equal),
        }
    }

    /// `Math.round(self * 10^places)` as an integer; `None` when not finite or too large.
    pub(crate) fn scaled(&self, places: u32) -> Option<i128> {
        let Num::Fin { neg, digits, exp } = self else {
            return None;
        };
        let point = exp.checked_add(i64::from(places))?;
        if point > 36 {
            return None;
        }
        let mut int: i128 = 0;
        for i in 0..point.max(0) {
            let d = digits.get(i as usize).copied().unwrap_or(0);
            int = int * 10 + i128::from(d);
        }
        // Math.round: halves go up, towards +Infinity.
        let first_frac = if point < 0 {
            0
        } else {
            digits.get(point as usize).copied().unwrap_or(0)
        };
        let rest_nonzero = point >= 0 && digits.len() > point as usize + 1;
        let frac_ge_half = first_frac >= 5;
        let frac_gt_half = first_frac > 5 || (first_frac == 5 && rest_nonzero);
        Some(if *neg {
            // -(int + f): rounds to -int when f <= 0.5, else -(int + 1).
            -(int + i128::from(frac_gt_half))
        } else {
            int + i128::from(frac_ge_half)
        })
    }
}

/// The digits after the point at the end of `text`, as jquery-validation's `step` counts
/// them with `/(?:\.(\d+))?$/`.
pub(crate) fn decimal_places(text: &str) -> u32 {
    let b = text.as_bytes();
    let digits = b.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    if digits > 0 && b.len() > digits && b[b.len() - digits - 1] == b'.' {
        digits as u32
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ord(a: &str, b: &str) -> Option<Ordering> {
        parse(a).cmp_js(&parse(b))
    }

    #[test]
    fn parses_like_number_of_string() {
        assert_eq!(parse(""), parse("0"));
        assert_eq!(parse("  12 "), parse("12"));
        assert_eq!(parse("0x10"), parse("16"));
        assert_eq!(parse("0b101"), parse("5"));
        assert_eq!(parse("1e3"), parse("1000"));
        assert_eq!(parse(".5"), parse("0.5"));
        assert_eq!(parse("5."), parse("5"));
        assert_eq!(parse("-0"), parse("0"));
        assert_eq!(parse("-Infinity"), Num::Inf { neg: true });
        for nan in [
            "abc", "1,000", "1e", "--1", "-0x10", ".", "1.2.3", "infinity", "NaN", "1 2",
        ] {
            assert_eq!(parse(nan), Num::NaN, "{nan}");
        }
    }

    #[test]
    fn counts_are_numbers() {
        assert_eq!(Num::count(0), parse("0"));
        assert_eq!(Num::count(120), parse("120"));
    }

    #[test]
    fn compares_exactly() {
        assert_eq!(ord("10", "9"), Some(Ordering::Greater));
        assert_eq!(ord("-10", "-9"), Some(Ordering::Less));
        assert_eq!(ord("0.10", "0.1"), Some(Ordering::Equal));
        assert_eq!(ord("-0.5", "0"), Some(Ordering::Less));
        assert_eq!(ord("1e2", "99.9"), Some(Ordering::Greater));
        assert_eq!(ord("Infinity", "1e300"), Some(Ordering::Greater));
        assert_eq!(ord("x", "1"), None);
    }

    #[test]
    fn scales_and_rounds_like_math_round() {
        assert_eq!(parse("0.3").scaled(1), Some(3));
        assert_eq!(parse("2.5").scaled(0), Some(3));
        assert_eq!(parse("-2.5").scaled(0), Some(-2));
        assert_eq!(parse("-2.51").scaled(0), Some(-3));
        assert_eq!(parse("0.001").scaled(0), Some(0));
        assert_eq!(parse("12.345").scaled(2), Some(1235));
        assert_eq!(parse("1e40").scaled(0), None);
    }

    #[test]
    fn counts_decimal_places_at_the_end() {
        assert_eq!(decimal_places("1.50"), 2);
        assert_eq!(decimal_places("1e-3"), 0);
        assert_eq!(decimal_places("7"), 0);
        assert_eq!(decimal_places("0.01"), 2);
    }
}
