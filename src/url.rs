//! jquery-validation's `url` method (Diego Perini's expression, as jquery-validation 1.22
//! ships it, protocol-relative URLs allowed), written out as code: a regex engine would
//! weigh more than the whole library.
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

/// The text at the start of `s` that `\d*` would take.
fn digit_run(s: &[u8]) -> usize {
    s.iter().take_while(|c| c.is_ascii_digit()).count()
}

/// `(?:\.\d{1,3}){n}` at the start of `s` (a lookahead: anything may follow).
fn dotted_groups(s: &[u8], n: usize) -> bool {
    if n == 0 {
        return true;
    }
    if s.first() != Some(&b'.') {
        return false;
    }
    let run = digit_run(&s[1..]);
    match n {
        1 => run >= 1,
        _ => (1..=3).contains(&run) && dotted_groups(&s[1 + run..], n - 1),
    }
}

/// The three negative lookaheads: private and loopback addresses are not URLs here.
fn is_excluded_address(s: &[u8]) -> bool {
    let after = |p: &[u8]| s.strip_prefix(p);
    [&b"10"[..], b"127"]
        .iter()
        .any(|p| after(p).is_some_and(|r| dotted_groups(r, 3)))
        || [&b"169.254"[..], b"192.168"]
            .iter()
            .any(|p| after(p).is_some_and(|r| dotted_groups(r, 2)))
        || after(b"172.").is_some_and(|r| {
            r.len() >= 2
                && matches!(
                    (r[0], r[1]),
                    (b'1', b'6'..=b'9') | (b'2', b'0'..=b'9') | (b'3', b'0'..=b'1')
                )
                && dotted_groups(&r[2..], 2)
        })
}

#[derive(Clone, Copy)]
enum Octet {
    First,
    Middle,
    Last,
}

fn octet_matches(kind: Octet, d: &[u8]) -> bool {
    matches!(
        (kind, d),
        (
            Octet::First,
            [b'1'..=b'9']
                | [b'1'..=b'9', _]
                | [b'1', _, _]
                | [b'2', b'0' | b'1', _]
                | [b'2', b'2', b'0'..=b'3']
        ) | (
            Octet::Middle,
            [_] | [_, _] | [b'1', _, _] | [b'2', b'0'..=b'4', _] | [b'2', b'5', b'0'..=b'5']
        ) | (
            Octet::Last,
            [b'1'..=b'9']
                | [b'1'..=b'9', _]
                | [b'1', _, _]
                | [b'2', b'0'..=b'4', _]
                | [b'2', b'5', b'0'..=b'4']
        )
    )
}

/// The dotted-quad alternative followed by the tail, trying every octet length as the
/// regex's backtracking would.
fn ip_then_tail(s: &str, octets: &[Octet]) -> bool {
    let Some((&kind, more)) = octets.split_first() else {
        return tail(s);
    };
    let b = s.as_bytes();
    let run = digit_run(b).min(3);
    // `s` is sliced after ASCII digits and dots only: always on a char boundary.
    for len in 1..=run {
        if !octet_matches(kind, &b[..len]) {
            continue;
        }
        let rest_ok = match more.is_empty() {
            true => ip_then_tail(&s[len..], more),
            false => b.get(len) == Some(&b'.') && ip_then_tail(&s[len + 1..], more),
        };
        if rest_ok {
            return true;
        }
    }
    false
}

/// `(?::\d{2,5})?(?:[/?#]\S*)?$`
fn tail(s: &str) -> bool {
    let s = match s.as_bytes().first() {
        Some(b':') => {
            let run = digit_run(&s.as_bytes()[1..]);
            if !(2..=5).contains(&run) {
                return false;
            }
            &s[1 + run..]
        }
        _ => s,
    };
    match s.as_bytes().first() {
        None => true,
        Some(b'/' | b'?' | b'#') => !s.chars().any(is_js_space),
        Some(_) => false,
    }
}

/// UTF-16 length of a label made of the host character classes, or `None` if some
/// character is in none of them. `letters_only` is the top-level domain's class.
fn host_part(part: &str, letters_only: bool) -> Option<(usize, char, char)> {
    let mut units = 0;
    for c in part.chars() {
        let ok = c.is_ascii_alphabetic()
            || c >= '\u{a1}'
            || (!letters_only && (c.is_ascii_digit() || c == '_' || c == '-'));
        if !ok {
            return None;
        }
        units += c.len_utf16();
    }
    Some((units, part.chars().next()?, part.chars().last()?))
}

#[allow(clippy::manual_pattern_char_comparison)]
fn hostname_then_tail(s: &str) -> bool {
    // Byte searches (the separators are ASCII): no char searcher or memchr in the wasm.
    let end = s
        .bytes()
        .position(|b| matches!(b, b':' | b'/' | b'?' | b'#'))
        .unwrap_or(s.len());
    let host = &s[..end];
    // "." rather than '.' here and below: a char pattern brings its UTF-8 encoder along.
    let host = host.strip_suffix(".").unwrap_or(host);
    let Some(dot) = host.bytes().rposition(|b| b == b'.') else {
        return false;
    };
    let (labels, tld) = (&host[..dot], &host[dot + 1..]);
    let edge = |c: char| c != '_' && c != '-';
    host_part(tld, true).is_some_and(|(units, _, _)| units >= 2)
        // A closure, not '.': the char searcher would add 600 B to the wasm.
        && labels.split(|c| c == '.').all(|l| {
            host_part(l, false)
                .is_some_and(|(units, first, last)| units <= 64 && edge(first) && edge(last))
        })
        && tail(&s[end..])
}

fn is_userinfo_char(c: char) -> bool {
    // A match, not a `str` search: no char searcher or memchr in the wasm.
    !matches!(
        c,
        ']' | '['
            | '?'
            | '/'
            | '<'
            | '~'
            | '#'
            | '`'
            | '!'
            | '@'
            | '$'
            | '^'
            | '&'
            | '*'
            | '('
            | ')'
            | '+'
            | '='
            | '}'
            | '|'
            | ':'
            | '"'
            | ';'
            | '\''
            | ','
            | '>'
            | '{'
            | ' '
    )
}

/// `(?:U+(?::U*)?@)?`: where the host starts if there is a user-info part.
fn after_userinfo(s: &str) -> Option<usize> {
    let user = s.find(|c| !is_userinfo_char(c)).unwrap_or(s.len());
    if user == 0 {
        return None;
    }
    let mut at = user;
    if s[at..].starts_with(":") {
        at += 1;
        at += s[at..]
            .find(|c| !is_userinfo_char(c))
            .unwrap_or(s.len() - at);
    }
    s[at..].starts_with("@").then_some(at + 1)
}

fn host_then_tail(s: &str) -> bool {
    let b = s.as_bytes();
    (!is_excluded_address(b)
        && ip_then_tail(
            s,
            &[Octet::First, Octet::Middle, Octet::Middle, Octet::Last],
        ))
        || hostname_then_tail(s)
}

/// Whether jquery-validation's `url` method accepts `value`.
pub fn is_valid_url(value: &str) -> bool {
    let lower_prefix = |p: &str| {
        value
            .get(..p.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(p))
    };
    let scheme = ["http:", "https:", "ftp:"]
        .into_iter()
        .find(|p| lower_prefix(p))
        .map_or(0, str::len);
    let Some(rest) = value[scheme..].strip_prefix("//") else {
        return false;
    };
    after_userinfo(rest).is_some_and(|at| host_then_tail(&rest[at..])) || host_then_tail(rest)
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
