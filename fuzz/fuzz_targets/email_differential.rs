//! `corsform::is_valid_email` against an independent implementation of the WHATWG
//! "valid e-mail address" grammar: the HTML standard's own regular expression, run by
//! the `regex` crate. They must agree on every string.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use regex::Regex;

/// https://html.spec.whatwg.org/multipage/input.html#valid-e-mail-address
static WHATWG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$",
    )
    .unwrap()
});

fuzz_target!(|text: &str| {
    assert_eq!(
        corsform::is_valid_email(text),
        WHATWG.is_match(text),
        "disagree on {text:?}"
    );
});
