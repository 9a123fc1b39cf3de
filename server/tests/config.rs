//! Start-up checks: which `--allow-origin`, `--redirect` and `--rules` values are refused.

// This file uses `common::postgres` only.
#[allow(dead_code)]
mod common;

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

/// Case 14: the server can't tell a group of checkboxes sent once from a text field; it
/// names, at start-up, the fields whose length rules count characters for that reason.
#[test]
fn length_rules_without_choices_are_named() {
    let rules = Rules::from_json(
        r#"{"rules": {"topics": {"required": true, "maxlength": 2}, "name": "required",
                      "tags": {"rangelength": [1, 3]}, "bio": {"minlength": 10}},
            "choices": ["tags"]}"#,
    )
    .unwrap();
    assert_eq!(rules.lengths_counting_characters(), ["topics", "bio"]);
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

/// r17: a complete corsform.toml, as the README shows it.
const TWO_FORMS: &str = r#"
listen = "127.0.0.1:0"
header-timeout = 5
trusted-proxy = ["10.0.0.0/8"]

[forms.contact]
allow-origin = ["https://www.example.org"]
rules = { email = "required email", message = { required = true, maxlength = 2000 } }
messages = { email = { required = "Your address, please." } }
retain-days = 30

[forms.quote]
allow-origin = ["https://shop.example.org", "https://www.example.org"]
rules = { company = "required" }
redirect = "https://shop.example.org/thanks"
rate-limit = 3
honeypot = ""
"#;

#[tokio::test]
async fn r17_a_config_file_gives_each_form_its_settings_in_order() {
    let path = std::path::Path::new("corsform.toml");
    let settings = corsform_server::config::parse(path, TWO_FORMS).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings;
    settings.db = Some(dir.path().join("x.db").to_str().unwrap().into());
    let server = settings
        .resolve(corsform_server::config::Source::File {
            path,
            text: TWO_FORMS,
        })
        .await
        .unwrap();
    assert_eq!(server.header_timeout, std::time::Duration::from_secs(5));
    let names: Vec<&str> = server.forms.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["contact", "quote"], "the file's order");
    let (contact, quote) = (&server.forms[0], &server.forms[1]);
    assert_eq!(contact.allow_origins, ["https://www.example.org"]);
    assert_eq!(contact.retain_days, Some(30));
    assert_eq!(contact.rate_limit, 10, "the default");
    let failures = contact.rules.check(&[("message".into(), "hi".into())]);
    assert_eq!(failures[0].message, "Your address, please.");
    assert_eq!(quote.allow_origins.len(), 2);
    assert_eq!(quote.redirect, "https://shop.example.org/thanks");
    assert_eq!((quote.rate_limit, quote.honeypot.as_deref()), (3, None));
    assert_eq!(quote.proxies.trusted.len(), 1);
    assert!(quote.rules.check(&[]).len() == 1);
}

/// The one-line error for `text`, from parsing or from resolving.
fn config_error(text: &str) -> String {
    let path = std::path::Path::new("site/corsform.toml");
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let error = corsform_server::config::parse(path, text)
        .and_then(|mut settings| {
            if settings.db.is_none() && settings.store.is_none() {
                settings.db = Some(dir.path().join("x.db").to_str().unwrap().into());
            }
            runtime.block_on(settings.resolve(corsform_server::config::Source::File { path, text }))
        })
        .unwrap_err()
        .to_string();
    assert!(!error.contains('\n'), "{error}");
    error
}

#[test]
fn r17_an_unknown_key_is_refused_with_the_file_line_and_key() {
    let error = config_error(
        "listen = \"127.0.0.1:0\"\n[forms.contact]\nalow-origin = [\"https://a.example\"]\n",
    );
    assert!(
        error.starts_with(
            "site/corsform.toml:3:1: forms.contact.alow-origin: unknown field `alow-origin`"
        ),
        "{error}"
    );
    let error = config_error("lisen = \"127.0.0.1:0\"\n");
    assert!(
        error.starts_with("site/corsform.toml:1:1: lisen: unknown field `lisen`"),
        "{error}"
    );
}

#[test]
fn r17_a_value_of_the_wrong_type_is_refused_with_the_file_line_and_key() {
    let error = config_error("[forms.contact]\nrate-limit = \"ten\"\n");
    assert!(
        error.starts_with(
            "site/corsform.toml:2:14: forms.contact.rate-limit: invalid type: string \"ten\""
        ),
        "{error}"
    );
    let error = config_error("[forms.contact]\nrules = { email = \"requird\" }\n");
    assert!(error.contains("forms.contact.rules"), "{error}");
    assert!(error.contains("unknown rule"), "{error}");
}

#[test]
fn r17_a_bad_value_is_refused_with_the_file_line_and_key() {
    for (text, start, reason) in [
        (
            "[forms.contact]\nallow-origin = [\"*\"]\n",
            "site/corsform.toml:2:16: forms.contact.allow-origin: ",
            "wildcard",
        ),
        (
            "[forms.contact]\n\nredirect = \"//evil.example\"\n",
            "site/corsform.toml:3:12: forms.contact.redirect: ",
            "must be a path",
        ),
        (
            "trusted-proxy = [\"10.0.0.0/33\"]\n[forms.contact]\n",
            "site/corsform.toml:1:17: trusted-proxy: ",
            "not an address or a network",
        ),
        (
            "[forms.contact]\nmail-to = [\"me@example.org\"]\n",
            "site/corsform.toml:2:11: forms.contact.mail-to: ",
            "needs --smtp",
        ),
        (
            "[forms.contact]\nrules = { a = { pattern = \"(a\" } }\n",
            "site/corsform.toml:2:9: forms.contact.rules: ",
            "not a valid regular expression",
        ),
        (
            "[forms.Contact]\n",
            "site/corsform.toml:1:1: forms.Contact: ",
            "not a form name",
        ),
        (
            "[forms.contact]\nretain-days = 0\n",
            "site/corsform.toml:2:15: forms.contact.retain-days: ",
            "at least 1",
        ),
        (
            "listen = \"127.0.0.1:0\"\n",
            "site/corsform.toml: ",
            "no [forms.NAME] table",
        ),
    ] {
        let error = config_error(text);
        assert!(error.starts_with(start), "{text}: {error}");
        assert!(error.contains(reason), "{text}: {error}");
    }
}

#[test]
fn r17_the_readme_example_config_parses() {
    let readme = include_str!("../README.md");
    let start = readme.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let text = &readme[start..][..readme[start..].find("```").unwrap()];
    let settings = corsform_server::config::parse("README.md".as_ref(), text)
        .unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = settings.forms.0.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["contact", "quote"]);
}

#[tokio::test]
async fn a_store_table_selects_postgresql_with_its_lease() {
    let url = common::postgres::fresh_database().await;
    let path = std::path::Path::new("corsform.toml");
    let text = format!("[store]\nurl = \"{url}\"\noutbox-lease = 5\n[forms.contact]\n");
    let server = corsform_server::config::parse(path, &text)
        .unwrap()
        .resolve(corsform_server::config::Source::File { path, text: &text })
        .await
        .unwrap();
    let store = &server.forms[0].store;
    assert!(store.postgres().is_some());
    assert_eq!(store.lease(), Some(std::time::Duration::from_secs(5)));
    // --db beside the file replaces its [store] url.
    let dir = tempfile::tempdir().unwrap();
    let flags = corsform_server::config::Settings {
        db: Some(dir.path().join("x.db").to_str().unwrap().into()),
        ..Default::default()
    };
    let server = corsform_server::config::parse(path, &text)
        .unwrap()
        .overlaid_with(flags)
        .resolve(corsform_server::config::Source::File { path, text: &text })
        .await
        .unwrap();
    assert!(server.forms[0].store.postgres().is_none());
}

#[test]
fn a_store_given_twice_or_a_pool_of_none_is_refused() {
    let error = config_error("db = \"a.db\"\n[store]\nurl = \"b.db\"\n[forms.contact]\n");
    assert_eq!(
        error,
        "site/corsform.toml:3:7: store.url: db and [store] url: give one"
    );
    let error = config_error("[store]\npool-size = 0\n[forms.contact]\n");
    assert!(error.contains("store.pool-size: "), "{error}");
    assert!(error.contains("at least 1"), "{error}");
    let error = config_error("[store]\nouthbox-lease = 5\n[forms.contact]\n");
    assert!(error.contains("unknown field `outhbox-lease`"), "{error}");
}

/// `lang` inline in a form's table, as in a rules file: the default messages in that
/// language, with the form's inline rules or (without them) the contact form's; a language
/// without a table, or `lang` beside a `rules-file`, refused with the file, line and key.
#[tokio::test]
async fn lang_inline_gives_the_forms_messages_in_that_language() {
    let text = r#"
[forms.contact]
lang = "de"

[forms.quote]
lang = "fr-CA"
rules = { company = "required" }
"#;
    let path = std::path::Path::new("corsform.toml");
    let dir = tempfile::tempdir().unwrap();
    let mut settings = corsform_server::config::parse(path, text).unwrap();
    settings.db = Some(dir.path().join("x.db").to_str().unwrap().into());
    let server = settings
        .resolve(corsform_server::config::Source::File { path, text })
        .await
        .unwrap();
    let (contact, quote) = (&server.forms[0], &server.forms[1]);
    let failures = contact.rules.check(&[("from".into(), "x".into())]);
    let messages: Vec<&str> = failures.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "Dieses Feld muss ausgefüllt werden.",
            "Bitte geben Sie eine gültige E-Mail-Adresse ein.",
            "Dieses Feld muss ausgefüllt werden."
        ],
        "the contact form's rules, in German"
    );
    assert_eq!(
        quote.rules.check(&[])[0].message,
        "Ce champ est obligatoire."
    );
}

#[test]
fn a_lang_without_a_table_or_beside_a_rules_file_is_refused() {
    let error = config_error("[forms.contact]\nlang = \"it\"\n");
    assert!(error.contains("forms.contact.lang"), "{error}");
    assert!(
        error.contains("no messages for \"it\" (there are: en, de"),
        "{error}"
    );
    let error = config_error("[forms.contact]\nlang = \"de\"\nrules-file = \"r.json\"\n");
    assert!(
        error.contains("a rules file has its own \"lang\""),
        "{error}"
    );
}
