//! jquery-validation's `url` method (Diego Perini's expression, as jquery-validation 1.22
//! ships it, protocol-relative URLs allowed).
//!
//! The browser build hands the expression itself ([`PATTERN`]) to the JS engine's `RegExp`:
//! the verdict is jquery-validation's by construction. Where there is no JS engine (the
//! server), [`is_valid_url`] is the same expression written out as code (Rust's `regex`
//! has no lookaheads); the browser tests check the two agree, on hand-picked and
//! generated URLs.
//!
//! ```text
//! ^(?:(?:(?:https?|ftp):)?\/\/)(?:(?:U|%hh)+(?::(?:U|%hh)*)?@)?
//!  (?:(?!(?:10|127)(?:\.\d{1,3}){3})(?!(?:169\.254|192\.168)(?:\.\d{1,3}){2})
//!     (?!172\.(?:1[6-9]|2\d|3[0-1])(?:\.\d{1,3}){2})
//!     (?:[1-9]\d?|1\d\d|2[01]\d|22[0-3])(?:\.(?:1?\d{1,2}|2[0-4]\d|25[0-5])){2}
//!     (?:\.(?:[1-9]\d?|1\d\d|2[0-4]\d|25[0-4]))
//!   |(?:(?:[a-z0-9\u00a1-\uffff][a-z0-9\u00a1-\uffff_-]{0,62})?[a-z0-9\u00a1-\uffff]\.)+
//!     (?:[a-z\u00a1-\uffff]{2,}\.?))
//!  (?::\d{2,5})?(?:[/?#]\S*)?$      (case-insensitive; U = [^\]\[?\/<~#`!@$^&*()+=}|:";',>{ ])
//! ```

use crate::number::is_js_space;

/// jquery-validation 1.22's `url` expression, verbatim, to be run case-insensitively:
/// what the browser build hands to the JS engine's `RegExp` (one engine, one verdict),
/// and what [`is_valid_url`] is checked against.
pub const PATTERN: &str = r#"^(?:(?:(?:https?|ftp):)?\/\/)(?:(?:[^\]\[?\/<~#`!@$^&*()+=}|:";',>{ ]|%[0-9A-Fa-f]{2})+(?::(?:[^\]\[?\/<~#`!@$^&*()+=}|:";',>{ ]|%[0-9A-Fa-f]{2})*)?@)?(?:(?!(?:10|127)(?:\.\d{1,3}){3})(?!(?:169\.254|192\.168)(?:\.\d{1,3}){2})(?!172\.(?:1[6-9]|2\d|3[0-1])(?:\.\d{1,3}){2})(?:[1-9]\d?|1\d\d|2[01]\d|22[0-3])(?:\.(?:1?\d{1,2}|2[0-4]\d|25[0-5])){2}(?:\.(?:[1-9]\d?|1\d\d|2[0-4]\d|25[0-4]))|(?:(?:[a-z0-9\u00a1-\uffff][a-z0-9\u00a1-\uffff_-]{0,62})?[a-z0-9\u00a1-\uffff]\.)+(?:[a-z\u00a1-\uffff]{2,}\.?))(?::\d{2,5})?(?:[/?#]\S*)?$"#;

/// The length of the run of ASCII digits at the start of `s`.
fn digit_run(s: &[u8]) -> usize {
    s.iter().take_while(|c| c.is_ascii_digit()).count()
}

/// The dotted-quad alternative from byte `i` of `v`, then the tail.
///
/// Backtracking cannot make an octet shorter than its run of digits: each of the first
/// three is followed by a dot, and the last by the tail, which does not start with a
/// digit. So the address is four whole runs, each checked as a number: the first
/// `[1-9]\d?|1\d\d|2[01]\d|22[0-3]` is 1–223, the middle two `1?\d{1,2}|2[0-4]\d|25[0-5]`
/// are up to 255 (a leading zero only in one or two digits), the last
/// `[1-9]\d?|1\d\d|2[0-4]\d|25[0-4]` is 1–254. The lookaheads then only exclude
/// 10/8, 127/8, 169.254/16, 192.168/16 and 172.16/12.
fn ip_then_tail(v: &str, mut i: usize) -> bool {
    let b = v.as_bytes();
    let mut n = [0u32; 4];
    for (k, max) in [223, 255, 255, 254].into_iter().enumerate() {
        if k > 0 {
            if b.get(i) != Some(&b'.') {
                return false;
            }
            i += 1;
        }
        let digits = &b[i..i + digit_run(&b[i..])];
        let ok = match digits {
            [] => false,
            [b'0', ..] => max == 255 && digits.len() < 3,
            _ => digits.len() <= 3,
        };
        for d in digits {
            n[k] = n[k] * 10 + u32::from(d - b'0');
        }
        if !ok || n[k] > max {
            return false;
        }
        i += digits.len();
    }
    let excluded = match (n[0], n[1]) {
        (10 | 127, _) | (169, 254) | (192, 168) => true,
        (172, second) => (16..=31).contains(&second),
        _ => false,
    };
    !excluded && tail(v, i)
}

/// `(?::\d{2,5})?(?:[/?#]\S*)?$` from byte `i` of `v`.
fn tail(v: &str, mut i: usize) -> bool {
    let b = v.as_bytes();
    if b.get(i) == Some(&b':') {
        let run = digit_run(&b[i + 1..]);
        if !(2..=5).contains(&run) {
            return false;
        }
        i += 1 + run;
    }
    match b.get(i) {
        None => true,
        // `i` is at an ASCII byte: a char boundary.
        Some(b'/' | b'?' | b'#') => !v[i..].chars().any(is_js_space),
        Some(_) => false,
    }
}

/// The UTF-16 length of a host label whose characters are all in
/// `[a-z0-9\u00a1-\uffff_-]` (`[a-z\u00a1-\uffff]` when `letters_only`), case-insensitive,
/// or `None` if one is not. Byte by byte, without decoding: a non-ASCII character is in
/// the class unless it is U+0080–U+00A0 (`C2 80`–`C2 A0` in UTF-8); continuation bytes
/// count with their lead byte, and a 4-byte character is two UTF-16 units.
fn host_units(label: &[u8], letters_only: bool) -> Option<usize> {
    let mut units = 0;
    for (i, &c) in label.iter().enumerate() {
        let ok = match c {
            0x80..=0xBF => continue,
            0xC2 => label.get(i + 1) > Some(&0xA0),
            0xC3.. => true,
            _ => {
                c.is_ascii_alphabetic()
                    || (!letters_only && (c.is_ascii_digit() || c == b'_' || c == b'-'))
            }
        };
        if !ok {
            return None;
        }
        units += 1 + usize::from(c >= 0xF0);
    }
    Some(units)
}

/// The host-name alternative from byte `i` of `v`, followed by the tail.
fn hostname_then_tail(v: &str, i: usize) -> bool {
    let b = &v.as_bytes()[i..];
    let end = b
        .iter()
        .position(|c| matches!(c, b':' | b'/' | b'?' | b'#'))
        .unwrap_or(b.len());
    let host = &b[..end];
    let host = host.strip_suffix(b".").unwrap_or(host);
    let Some(dot) = host.iter().rposition(|&c| c == b'.') else {
        return false;
    };
    // A label neither starts nor ends with `_` or `-`.
    let edge = |c: Option<&u8>| !matches!(c, Some(b'_' | b'-'));
    host_units(&host[dot + 1..], true).is_some_and(|units| units >= 2)
        && host[..dot].split(crate::is_dot).all(|l| {
            host_units(l, false).is_some_and(|units| (1..=64).contains(&units))
                && edge(l.first())
                && edge(l.last())
        })
        && tail(v, i + end)
}

/// `U`: a user-info byte (any non-ASCII byte is one).
fn is_userinfo_byte(c: u8) -> bool {
    !matches!(
        c,
        b']' | b'['
            | b'?'
            | b'/'
            | b'<'
            | b'~'
            | b'#'
            | b'`'
            | b'!'
            | b'@'
            | b'$'
            | b'^'
            | b'&'
            | b'*'
            | b'('
            | b')'
            | b'+'
            | b'='
            | b'}'
            | b'|'
            | b':'
            | b'"'
            | b';'
            | b'\''
            | b','
            | b'>'
            | b'{'
            | b' '
    )
}

/// `(?:U+(?::U*)?@)?`: where the host starts if there is a user-info part.
fn after_userinfo(s: &[u8]) -> Option<usize> {
    let run = |from: usize| {
        s[from..]
            .iter()
            .position(|&c| !is_userinfo_byte(c))
            .map_or(s.len(), |n| from + n)
    };
    let user = run(0);
    if user == 0 {
        return None;
    }
    let at = match s.get(user) {
        Some(b':') => run(user + 1),
        _ => user,
    };
    (s.get(at) == Some(&b'@')).then_some(at + 1)
}

/// The host (an address or a name) from byte `i` of `v`, then the tail.
fn host_then_tail(v: &str, i: usize) -> bool {
    ip_then_tail(v, i) || hostname_then_tail(v, i)
}

/// Whether jquery-validation's `url` method accepts `value`.
pub fn is_valid_url(value: &str) -> bool {
    let b = value.as_bytes();
    let scheme = [&b"http:"[..], b"https:", b"ftp:"]
        .into_iter()
        .find(|p| b.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p)))
        .map_or(0, <[u8]>::len);
    if !b[scheme..].starts_with(b"//") {
        return false;
    }
    let i = scheme + 2;
    after_userinfo(&b[i..]).is_some_and(|at| host_then_tail(value, i + at))
        || host_then_tail(value, i)
}

#[cfg(test)]
mod tests {
    use super::is_valid_url;

    #[test]
    fn accepts_public_urls() {
        for ok in [
            "http://example.com",
            "https://www.example.com/path?q=1#top",
            "HTTPS://EXAMPLE.COM",
            "ftp://ftp.example.org/file.txt",
            "//example.com/protocol-relative",
            "http://user:pass@example.com:8080/",
            "http://user@example.com",
            "http://1.2.3.4",
            "http://223.255.255.254/x",
            "http://example.com.",
            "http://münchen.de",
            "http://a_b.example.com",
            "http://example.com:80",
            "http://xn--mnchen-3ya.de",
            // Addresses next to the excluded ranges, and a leading zero where the middle
            // octets allow one (all checked against the regex itself, in node).
            "http://172.32.0.1",
            "http://172.15.0.1",
            "http://169.253.1.1",
            "http://1.01.2.3",
            "http://1.2.3.254",
            "http://a.b.c.d.com",
        ] {
            assert!(is_valid_url(ok), "{ok}");
        }
    }

    #[test]
    fn rejects_private_malformed_and_local() {
        for bad in [
            "",
            "example.com",
            "http://",
            "http://localhost",
            "http://10.0.0.1",
            "http://127.0.0.1:8080",
            "http://192.168.1.1",
            "http://172.16.0.1",
            "http://169.254.1.1",
            "http://1.2.3.255",
            "http://224.0.0.1",
            "http://example.c",
            "http://example.com:1",
            "http://example.com:123456",
            "http://exa mple.com",
            "http://example.com/a b",
            "mailto:a@example.com",
            "http://-example.com",
            "http://example-.com",
            "http://example..com",
            "http://example.com1",
            "javascript://example.com",
            "http://172.31.0.1",
            "http://1.001.2.3",
            "http://01.2.3.4",
            "http://1.2.3.04",
            "http://1.2.3.4567",
            "http://127.1.1.1:80",
            "http://1.2.3",
            "http://a\u{a0}b.com",
            "http://example.com/\u{3000}",
        ] {
            assert!(!is_valid_url(bad), "{bad}");
        }
    }

    #[test]
    fn caps_labels_at_64_utf16_units() {
        let ok = format!("http://{}.com", "a".repeat(64));
        let bad = format!("http://{}.com", "a".repeat(65));
        assert!(is_valid_url(&ok));
        assert!(!is_valid_url(&bad));
    }
}
