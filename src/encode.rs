//! The body on the wire: jQuery 3's `$(form).serialize()` as `$.ajax` sends it, and the
//! strict inverse the server reads it with.

/// What `encodeURIComponent` leaves alone.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
        )
}

const HEX: &str = "0123456789ABCDEF";

/// `encodeURIComponent(text)` with jQuery's newline rule (`\r?\n` → `\r\n`, after `val()`
/// has dropped lone `\r`) and `$.ajax`'s `%20` → `+`.
fn push_component(out: &mut String, text: &str) {
    // Byte by byte: every byte of a non-ASCII character is percent-encoded, as UTF-8.
    for (i, &b) in text.as_bytes().iter().enumerate() {
        match b {
            b'\r' => {}
            b'\n' => out.push_str("%0D%0A"),
            b' ' => out.push('+'),
            _ if is_unreserved(b) => out.push_str(&text[i..i + 1]),
            _ => {
                let (high, low) = (usize::from(b >> 4), usize::from(b & 15));
                out.push('%');
                out.push_str(&HEX[high..high + 1]);
                out.push_str(&HEX[low..low + 1]);
            }
        }
    }
}

/// `name=value` pairs joined with `&`, byte for byte what jQuery sends for them.
pub fn encode<'a, I>(pairs: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut out = String::new();
    for (name, value) in pairs {
        push_pair(&mut out, name, value);
    }
    out
}

/// Appends `name=value` to the body `out` (after a `&` unless it is empty), as
/// [`encode`] does.
pub fn push_pair(out: &mut String, name: &str, value: &str) {
    if !out.is_empty() {
        out.push('&');
    }
    push_component(out, name);
    out.push('=');
    push_component(out, value);
}

/// Why a body is not `application/x-www-form-urlencoded`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// A `%` not followed by two hex digits.
    BadPercent,
    /// The decoded bytes are not UTF-8.
    NotUtf8,
}

impl DecodeError {
    /// The reason, for a 400 response.
    pub fn message(self) -> &'static str {
        match self {
            DecodeError::BadPercent => "malformed percent-encoding in the form body",
            DecodeError::NotUtf8 => "the form body is not UTF-8",
        }
    }
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for DecodeError {}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

fn decode_component(s: &[u8]) -> Result<String, DecodeError> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let h = s.get(i + 1).copied().and_then(hex);
                let l = s.get(i + 2).copied().and_then(hex);
                let (Some(h), Some(l)) = (h, l) else {
                    return Err(DecodeError::BadPercent);
                };
                out.push(h << 4 | l);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| DecodeError::NotUtf8)
}

/// Reads an urlencoded body into `(name, value)` pairs, in order. Unlike the lenient
/// WHATWG parser it refuses broken percent-encoding and invalid UTF-8 instead of
/// replacing them, so nothing is stored that the sender did not write. Empty pieces
/// (`a=1&&b=2`) are skipped; a piece without `=` is a name with an empty value.
pub fn decode(body: &[u8]) -> Result<Vec<(String, String)>, DecodeError> {
    body.split(|&b| b == b'&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = match piece.iter().position(|&b| b == b'=') {
                Some(eq) => (&piece[..eq], &piece[eq + 1..]),
                None => (piece, &b""[..]),
            };
            Ok((decode_component(name)?, decode_component(value)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_jquery_serialize_through_ajax() {
        assert_eq!(encode([("subject", "Hello world")]), "subject=Hello+world");
        assert_eq!(
            encode([("from", "a+b@example.com"), ("message", "x&y=z")]),
            "from=a%2Bb%40example.com&message=x%26y%3Dz"
        );
        assert_eq!(
            encode([("m", "line1\nline2\r\nline3\rX")]),
            "m=line1%0D%0Aline2%0D%0Aline3X"
        );
        assert_eq!(encode([("k", "-_.!~*'()")]), "k=-_.!~*'()");
        assert_eq!(encode([("é", "€ 😀")]), "%C3%A9=%E2%82%AC+%F0%9F%98%80");
        assert_eq!(encode([("a", ""), ("b", "/?#[]")]), "a=&b=%2F%3F%23%5B%5D");
        assert_eq!(encode(std::iter::empty()), "");
    }

    #[test]
    fn decodes_what_it_encodes() {
        let pairs = [("subject", "Hi there"), ("m", "a\r\nb"), ("é", "€+%&=😀")];
        let body = encode(pairs);
        let back = decode(body.as_bytes()).unwrap();
        let back: Vec<(&str, &str)> = back.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(back, pairs);
    }

    #[test]
    fn decode_refuses_broken_input() {
        assert_eq!(decode(b"a=%zz"), Err(DecodeError::BadPercent));
        assert_eq!(decode(b"a=%4"), Err(DecodeError::BadPercent));
        assert_eq!(decode(b"a=%FF%FE"), Err(DecodeError::NotUtf8));
        assert_eq!(decode(b"a=\xff"), Err(DecodeError::NotUtf8));
    }

    #[test]
    fn decode_keeps_order_and_empty_values() {
        let got = decode(b"a=1&&b&a=2&c=").unwrap();
        let want = [("a", "1"), ("b", ""), ("a", "2"), ("c", "")];
        assert_eq!(got.len(), want.len());
        for ((n, v), (wn, wv)) in got.iter().zip(want) {
            assert_eq!((n.as_str(), v.as_str()), (wn, wv));
        }
    }
}
