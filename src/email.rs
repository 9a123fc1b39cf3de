//! The browser's own `<input type=email>` check: the WHATWG "valid e-mail address"
//! grammar, which is also jquery-validation's `email` regex.
//!
//! The browser build hands that regex ([`PATTERN`]) to the JS engine's `RegExp`, as it
//! does for `url` and `number`; [`is_valid_email`] is the same grammar as code, for the
//! server, and the browser tests check the two agree on hand-picked and generated values.
//!
//! ```text
//! [a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+ @ label ( "." label )*
//! label = [a-zA-Z0-9] ( [a-zA-Z0-9-]{0,61} [a-zA-Z0-9] )?
//! ```

/// jquery-validation 1.22's `email` expression, verbatim: what the browser build hands to
/// the JS engine's `RegExp`, and what [`is_valid_email`] is checked against.
pub const PATTERN: &str = r#"^[a-zA-Z0-9.!#$%&'*+\/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"#;

fn is_local_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'.' | b'!'
                | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'/'
                | b'='
                | b'?'
                | b'^'
                | b'_'
                | b'`'
                | b'{'
                | b'|'
                | b'}'
                | b'~'
                | b'-'
        )
}

fn is_label(label: &[u8]) -> bool {
    (1..=63).contains(&label.len())
        && label
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-')
        && label[0] != b'-'
        && label[label.len() - 1] != b'-'
}

/// Whether `value` is a valid e-mail address by the HTML standard, as a browser decides for
/// the (already sanitized) value of an `<input type=email>`.
pub fn is_valid_email(value: &str) -> bool {
    let b = value.as_bytes();
    let Some(at) = b.iter().position(|&c| c == b'@') else {
        return false;
    };
    let (local, domain) = (&b[..at], &b[at + 1..]);
    !local.is_empty()
        && local.iter().all(|&c| is_local_char(c))
        && domain.split(crate::is_dot).all(is_label)
}

#[cfg(test)]
mod tests {
    use super::is_valid_email;

    #[test]
    fn accepts_what_browsers_accept() {
        for ok in [
            "a@b",
            "user@example.com",
            "first.last+tag@sub.example.co.uk",
            "x@localhost",
            ".dots..anywhere.@example.com",
            "!#$%&'*+/=?^_`{|}~-@x",
            "a@1.2.3.4",
            "a@a-b.c",
        ] {
            assert!(is_valid_email(ok), "{ok}");
        }
        let longest = format!("a@{}.com", "a".repeat(63));
        assert!(is_valid_email(&longest));
    }

    #[test]
    fn rejects_what_browsers_reject() {
        for bad in [
            "",
            "@example.com",
            "user@",
            "user",
            "a@b@c",
            "a@-b.com",
            "a@b-.com",
            "a@.com",
            "a@b..com",
            "a@b.com.",
            "a b@c",
            "\"q\"@example.com",
            "a@[127.0.0.1]",
            "jos\u{e9}@example.com",
            "a@ex_ample.com",
            " a@b",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
        let too_long = format!("a@{}.com", "a".repeat(64));
        assert!(!is_valid_email(&too_long));
    }
}
