//! Start-up checks: which `--allow-origin`, `--redirect` and `--rules` values are refused.

use corsform_server::{parse_origin, parse_redirect, Rules, Store};

#[test]
fn origins_as_browsers_send_them_are_accepted() {
    for origin in [
        "http://127.0.0.1:8080",
        "http://localhost:8080",
        "https://example.com",
        "https://www.example.co.uk:8443",
        "http://[::1]:8080",
        "https://xn--bcher-kva.example",
    ] {
        assert_eq!(parse_origin(origin).unwrap(), origin);
    }
}

#[test]
fn malformed_origins_are_refused_with_the_reason() {
    for (origin, reason) in [
        ("*", "wildcard"),
        ("null", "null"),
        ("http://x/", "trailing slash"),
        ("http://example.com/contact", "no path"),
        ("http://example.com?x", "no path"),
        ("ftp://example.com", "http or https"),
        ("file://", "http or https"),
        ("example.com", "scheme://host"),
        ("HTTP://example.com", "lowercase"),
        ("http://Example.com", "lowercase"),
        ("http://example.com:80", "default port"),
        ("https://example.com:443", "default port"),
        ("http://example.com:0", "port"),
        ("http://example.com:99999", "port"),
        ("http://example.com:", "port"),
        ("http://user@example.com", "user name"),
        ("http://", "host is missing"),
        ("http://bücher.example", "xn--"),
        ("http://127.1:8080", "IPv4"),
        ("http://[::1", "IPv6"),
        ("http://[0:0::1]:8080", "[::1]"),
        ("http://exa mple.com", "host name"),
    ] {
        let error = parse_origin(origin).unwrap_err().to_string();
        assert!(error.contains(reason), "{origin}: {error}");
        assert!(!error.contains('\n'), "{error}");
        assert!(error.starts_with("--allow-origin"), "{error}");
    }
}

#[test]
fn redirects_are_paths_or_http_urls() {
    for ok in [
        "/thanks",
        "/thanks.html?sent=1",
        "https://example.com/merci",
        "http://x",
    ] {
        assert_eq!(parse_redirect("--redirect", ok).unwrap(), ok);
    }
    for bad in [
        "thanks",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "/a b",
        "https://",
        "",
    ] {
        assert!(parse_redirect("--redirect", bad).is_err(), "{bad}");
    }
}

#[test]
fn rules_files_are_read_as_the_js_options() {
    let rules = Rules::from_json(
        r#"{"rules": {"name": "required", "age": {"min": 18, "max": 120.0}},
            "messages": {"name": "Your name, please."}}"#,
    )
    .unwrap();
    let names: Vec<&str> = rules.set().fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["name", "age"], "object order is kept");
    let failures = rules.check(&[("age".into(), "121".into())]);
    let messages: Vec<&str> = failures.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "Your name, please.",
            "Please enter a value less than or equal to 120."
        ]
    );
    assert!(Rules::from_json(r#"{"rules": {}}"#).is_ok());
    assert!(Rules::from_json("{}").is_ok());
}

#[test]
fn bad_rules_files_are_refused_with_the_reason() {
    for (json, reason) in [
        ("", "invalid JSON"),
        ("[]", "expected an object"),
        (r#"{"rule": {}}"#, "unknown field `rule`"),
        (r#"{"rules": {"a": "requird"}}"#, "unknown rule"),
        (
            r#"{"rules": {"a": {"maxlength": "x"}}}"#,
            "must be a number",
        ),
        (
            r#"{"rules": {"a": {"pattern": "(a"}}}"#,
            "not a valid regular expression",
        ),
        (r#"{"rules": {"a": {"pattern": "(?=a)b"}}}"#, "look-around"),
        (
            r#"{"rules": {"a": {"pattern": "(a)\\1"}}}"#,
            "not a valid regular expression",
        ),
    ] {
        let error = Rules::from_json(json).unwrap_err().to_string();
        assert!(error.contains(reason), "{json}: {error}");
        assert!(!error.contains('\n'), "{json}: {error}");
    }
}

#[test]
fn missing_rules_file_is_named_in_the_error() {
    let error = Rules::from_file("/nonexistent/rules.json".as_ref())
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("--rules /nonexistent/rules.json: "),
        "{error}"
    );
}

#[test]
fn an_unwritable_database_is_refused_at_open() {
    let error = Store::open("/nonexistent/dir/x.db".as_ref()).unwrap_err();
    assert!(
        error.to_string().contains("/nonexistent/dir/x.db"),
        "{error}"
    );
    let dir = tempfile::tempdir().unwrap();
    let error = Store::open(dir.path()).unwrap_err();
    assert!(error.to_string().contains("database"), "{error}");
}
