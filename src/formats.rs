//! jquery-validation's `dateISO` and its additional `extension` method, written out in
//! Rust for the server (the browser build runs the same expressions with the JS engine's
//! `RegExp`; the browser tests compare the two against the real jquery-validation).

/// jquery-validation 1.22's `dateISO` expression, verbatim
/// (<https://jqueryvalidation.org/dateISO-method/>): what the browser build hands to the JS
/// engine's `RegExp`, and what [`is_date_iso`] is written from.
pub const DATE_ISO_PATTERN: &str =
    r#"^\d{4}[\/\-](0?[1-9]|1[012])[\/\-](0?[1-9]|[12][0-9]|3[01])$"#;

/// [`DATE_ISO_PATTERN`] as code: four digits, `/` or `-`, a month `1`–`12` (a leading `0`
/// allowed), `/` or `-`, a day `1`–`31` (likewise). Either separator in either place, and
/// no check that the day exists in that month, as in jquery-validation.
pub fn is_date_iso(value: &str) -> bool {
    let b = value.as_bytes();
    let sep = |i: usize| matches!(b.get(i), Some(b'/' | b'-'));
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) || !sep(4) {
        return false;
    }
    // Month and day: one or two digits, then a separator (month) or the end (day).
    let part = |at: usize| {
        let len = b[at..].iter().take_while(|c| c.is_ascii_digit()).count();
        let text = &value[at..at + len];
        let n: u32 = text.parse().ok()?;
        (matches!(len, 1 | 2) && n > 0).then_some((n, at + len))
    };
    let Some((month, end)) = part(5) else {
        return false;
    };
    if month > 12 || !sep(end) {
        return false;
    }
    match part(end + 1) {
        Some((day, end)) => day <= 31 && end == b.len(),
        None => false,
    }
}

/// jquery-validation's default `extension` list: `png|jpe?g|gif`.
pub const DEFAULT_EXTENSIONS: &str = "png|jpe?g|gif";

/// The alternatives of `list` ([`DEFAULT_EXTENSIONS`]'s shape: `|` between them, `,` read as
/// `|` as jquery-validation reads it) as (letter, optional) pairs, when every one is plain:
/// ASCII letters, digits, `_` or `-`, each optionally followed by one `?`. `None` for
/// anything else (a class, a group, `.`, `*`…), which the server cannot match as
/// JavaScript's `RegExp` would and refuses at start-up.
pub fn simple_extensions(list: &str) -> Option<Vec<Vec<(u8, bool)>>> {
    let mut out = Vec::new();
    for alt in list.split([',', '|']) {
        let mut atoms: Vec<(u8, bool)> = Vec::new();
        for b in alt.bytes() {
            match b {
                b'?' => match atoms.last_mut() {
                    Some((_, optional @ false)) => *optional = true,
                    _ => return None,
                },
                b if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' => atoms.push((b, false)),
                _ => return None,
            }
        }
        out.push(atoms);
    }
    Some(out)
}

/// Whether `value` ends with `.` and one of `list`'s extensions, ASCII case ignored:
/// jquery-validation's `value.match(new RegExp("\\.(" + list + ")$", "i"))` for a list
/// [`simple_extensions`] reads; `false` for any other list.
pub fn has_extension(list: &str, value: &str) -> bool {
    fn rest_matches(atoms: &[(u8, bool)], s: &[u8]) -> bool {
        match atoms.split_first() {
            None => s.is_empty(),
            Some((&(c, optional), more)) => {
                let here = s.first().is_some_and(|b| b.eq_ignore_ascii_case(&c))
                    && rest_matches(more, &s[1..]);
                here || optional && rest_matches(more, s)
            }
        }
    }
    let Some(alternatives) = simple_extensions(list) else {
        return false;
    };
    let b = value.as_bytes();
    (0..b.len())
        .filter(|&i| b[i] == b'.')
        .any(|i| alternatives.iter().any(|a| rest_matches(a, &b[i + 1..])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_iso_is_jquery_validations_expression() {
        for good in [
            "2020-01-05",
            "2020/1/5",
            "2020-1/31",
            "0000-12-01",
            "2021-02-31",
            "1999-09-09",
            "2020-10-10",
        ] {
            assert!(is_date_iso(good), "{good}");
        }
        for bad in [
            "2020-13-01",
            "2020-00-10",
            "2020-01-00",
            "2020-01-32",
            "20-01-01",
            "20201-01-01",
            "2020.01.01",
            "2020-001-01",
            "2020-01-01 ",
            "2020-01-01T00:00",
            "２０２０-01-01",
            "",
            "2020-1-",
        ] {
            assert!(!is_date_iso(bad), "{bad}");
        }
    }

    #[test]
    fn extensions_match_at_the_end_ignoring_case() {
        assert!(has_extension(DEFAULT_EXTENSIONS, "a.png"));
        assert!(has_extension(
            DEFAULT_EXTENSIONS,
            "C:\\fakepath\\Photo.JPEG"
        ));
        assert!(has_extension(DEFAULT_EXTENSIONS, "x.jpg"));
        assert!(has_extension(DEFAULT_EXTENSIONS, "x.tar.gif"));
        assert!(!has_extension(DEFAULT_EXTENSIONS, "x.jpeeg"));
        assert!(!has_extension(DEFAULT_EXTENSIONS, "png"));
        assert!(!has_extension(DEFAULT_EXTENSIONS, "x.png.exe"));
        assert!(has_extension("pdf,docx?", "cv.DOC"));
        assert!(has_extension("pdf,docx?", "cv.docx"));
        assert!(!has_extension("pdf,docx?", "cv.odt"));
        // An empty alternative matches a final dot, as `\.()$` does.
        assert!(has_extension("pdf|", "x."));
        assert!(simple_extensions("[a-z]+").is_none());
        assert!(simple_extensions("e??").is_none());
        assert!(!has_extension("tar.gz", "a.tar.gz"), "not simple: refused");
    }
}
