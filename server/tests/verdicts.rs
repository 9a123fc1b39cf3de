//! The server gives the same verdicts as the page (issue 15): the built binary on a real
//! socket, with the cases of `/work/shared/cases` as regressions named after them (`r14_…`,
//! `r15_…`), lengths counted as the browser counts them, and jquery-validation's `remote`
//! answered at `GET <form path>/validate`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

mod common;

use common::listening::Listening;

const BIN: &str = env!("CARGO_BIN_EXE_corsform-server");
const SITE: &str = "http://127.0.0.1:8080";

/// A server with `rules` (JSON, or the seed's when empty) and `args`, in its own folder.
struct Server {
    process: Listening,
    _dir: tempfile::TempDir,
}

fn command(dir: &tempfile::TempDir, rules: &str, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.path().join("verdicts.db"))
        .args(args);
    if !rules.is_empty() {
        let path = dir.path().join("rules.json");
        std::fs::write(&path, rules).unwrap();
        command.arg("--rules").arg(path);
    }
    command
}

fn start(rules: &str, args: &[&str]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let process = Listening::start(command(&dir, rules, args).stderr(Stdio::null())).unwrap();
    Server { process, _dir: dir }
}

/// The one line the server prints when it refuses to start with `rules`.
fn refused(rules: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let output = command(&dir, rules, &[]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    String::from_utf8(output.stderr).unwrap()
}

/// An answer: its status, headers (names in lowercase) and body.
struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {:?}", self.body))
    }
}

impl Server {
    /// Sends `request` (a request line and headers, each line ended by CRLF) with
    /// `body`, on a connection of its own, and reads the whole answer.
    fn send(&self, request: &str, body: &str) -> Answer {
        let mut stream = TcpStream::connect(&self.process.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let head = format!(
            "{request}Host: {}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            self.process.addr,
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        Answer {
            status: head[9..12].parse().unwrap(),
            head: head.to_owned(),
            body: body.to_owned(),
        }
    }

    /// A POST to `/contact` as the case files send it: corsform's `fetch` from the page.
    fn post(&self, body: &str) -> Answer {
        let request = format!(
            "POST /contact HTTP/1.1\r\nOrigin: {SITE}\r\n\
             Content-Type: application/x-www-form-urlencoded; charset=UTF-8\r\n\
             X-Requested-With: XMLHttpRequest\r\nSec-Fetch-Mode: cors\r\n\
             Sec-Fetch-Site: cross-site\r\nAccept: */*\r\n"
        );
        self.send(&request, body)
    }

    /// A `remote` check as jQuery sends it across origins: `GET path`.
    fn check(&self, path: &str, origin: &str) -> Answer {
        let request = format!(
            "GET {path} HTTP/1.1\r\nOrigin: {origin}\r\n\
             Accept: application/json, text/javascript, */*; q=0.01\r\n"
        );
        self.send(&request, "")
    }
}

/// jquery-validation/jquery-validation#742: `maxlength: 2` on a group of checkboxes
/// counts the boxes ticked, also when one is ticked and the name arrives once. The
/// server cannot tell such a group from a text field by the wire, so the rules file
/// names it in `choices` (the page knows it from the DOM); a name sent twice is a group
/// anyway.
#[test]
fn r14_checkbox_group_one_choice() {
    let at_most_two = r#"{"rules": {"topics": {"required": true, "maxlength": 2}},
                          "choices": ["topics"]}"#;
    let server = start(at_most_two, &["--rate-limit", "0"]);
    let one = server.post("topics=design");
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(one.header("access-control-allow-origin"), Some(SITE));
    assert_eq!(one.json()["ok"], true);
    assert_eq!(server.post("topics=design&topics=billing").status, 200);
    let three = server.post("topics=design&topics=billing&topics=other");
    assert_eq!(three.status, 422);
    assert_eq!(
        three.json()["errors"]["topics"],
        "Please enter no more than 2 characters."
    );
    assert_eq!(
        server.post("").json()["errors"]["topics"],
        "This field is required."
    );

    // The page refuses one box of `minlength: 2`; a no-JS post is refused too.
    let at_least_two = r#"{"rules": {"topics": {"minlength": 2}}, "choices": ["topics"]}"#;
    let server = start(at_least_two, &["--rate-limit", "0"]);
    let one = server.post("topics=design");
    assert_eq!(one.status, 422);
    assert_eq!(
        one.json()["errors"]["topics"],
        "Please enter at least 2 characters."
    );
    assert_eq!(server.post("topics=design&topics=billing").status, 200);
    assert_eq!(server.post("").status, 200, "optional and empty");
}

/// jquery-validation/jquery-validation#161: Rails-style markup, names like
/// `contact[email]` and ids like `contact_email`, with `equalTo: "#contact_email"`. The
/// server follows the id to the field whose Rails id it is, or to the field the rules
/// file's `ids` name; a selector it cannot follow is refused at start-up.
#[test]
fn r15_equalto_id_is_not_the_name() {
    let rails = r##"{"rules": {
        "contact[email]": {"required": true, "email": true},
        "contact[email_confirmation]": {"equalTo": "#contact_email"}}}"##;
    let server = start(rails, &["--rate-limit", "0"]);
    let same = server.post(
        "contact%5Bemail%5D=someone%40example.org\
         &contact%5Bemail_confirmation%5D=someone%40example.org",
    );
    assert_eq!(same.status, 200, "{}", same.body);
    assert_eq!(same.header("access-control-allow-origin"), Some(SITE));
    assert_eq!(same.json()["ok"], true);
    let other = server.post(
        "contact%5Bemail%5D=someone%40example.org\
         &contact%5Bemail_confirmation%5D=someone%40example.com",
    );
    assert_eq!(other.status, 422);
    assert_eq!(
        other.json()["errors"]["contact[email_confirmation]"],
        "Please enter the same value again."
    );

    // An id no convention gives, mapped by the rules file.
    let mapped = r##"{"rules": {"again": {"equalTo": "#first-address"}},
                      "ids": {"first-address": "email"}}"##;
    let server = start(mapped, &["--rate-limit", "0"]);
    assert_eq!(server.post("email=a%40b.c&again=a%40b.c").status, 200);
    assert_eq!(server.post("email=a%40b.c&again=x%40b.c").status, 422);

    for selector in [".email", "#a .b", "input:first"] {
        let rules = format!(r#"{{"rules": {{"again": {{"equalTo": "{selector}"}}}}}}"#);
        let error = refused(&rules);
        assert!(
            error.contains(&format!("rules.again.equalTo {selector:?}")),
            "{error}"
        );
    }
}

/// `--max-field-len` counts as the browser's `maxlength` does: UTF-16 code units, and a
/// line break (CRLF on the wire, LF in the textarea) is one character.
#[test]
fn the_longest_field_is_counted_as_maxlength_counts() {
    let server = start(
        r#"{"rules": {}}"#,
        &["--rate-limit", "0", "--max-field-len", "3"],
    );
    for fits in ["a%0D%0Ab", "abc", "%C3%A9%C3%A9%C3%A9", "%F0%9F%98%80a"] {
        let answer = server.post(&format!("m={fits}"));
        assert_eq!(answer.status, 200, "{fits}: {}", answer.body);
    }
    for over in ["abcd", "a%0D%0Ab%0D%0A", "%F0%9F%98%80%F0%9F%98%80"] {
        let answer = server.post(&format!("m={over}"));
        assert_eq!(answer.status, 413, "{over}: {}", answer.body);
        assert_eq!(
            answer.json()["error"],
            "the field \"m\" is longer than 3 characters"
        );
    }
}

/// jquery-validation's `remote`: `GET /contact/validate?NAME=VALUE` answers `true` or
/// the field's message as a JSON string, by the rules a POST is checked with, with CORS
/// for the form's origins.
#[test]
fn remote_checks_a_field_with_the_server_rules() {
    let server = start("", &[]);
    let good = server.check("/contact/validate?from=a%40b.c", SITE);
    assert_eq!(good.status, 200);
    assert_eq!(good.header("access-control-allow-origin"), Some(SITE));
    assert_eq!(good.json(), true);
    let bad = server.check("/contact/validate?from=nope", SITE);
    assert_eq!(bad.status, 200);
    assert_eq!(bad.json(), "Please enter a valid email address.");
    let empty = server.check("/f/contact/validate?subject=", SITE);
    assert_eq!(empty.json(), "This field is required.");
    let unknown = server.check("/contact/validate?nickname=x", SITE);
    assert_eq!(unknown.json(), true, "a field without rules passes");
    assert_eq!(server.check("/contact/validate", SITE).status, 400);
    assert_eq!(server.check("/contact/validate?a=%ZZ", SITE).status, 400);
    let stranger = server.check("/contact/validate?from=a%40b.c", "https://evil.example");
    assert_eq!(stranger.header("access-control-allow-origin"), None);

    let preflight = server.send(
        &format!(
            "OPTIONS /contact/validate?from=x HTTP/1.1\r\nOrigin: {SITE}\r\n\
             Access-Control-Request-Method: GET\r\n\
             Access-Control-Request-Headers: x-requested-with\r\n"
        ),
        "",
    );
    assert!(preflight.status < 300, "{}", preflight.head);
    assert_eq!(preflight.header("access-control-allow-origin"), Some(SITE));
    let methods = preflight.header("access-control-allow-methods").unwrap();
    assert!(methods.contains("GET"), "{methods}");
}

/// The checks have a rate limit of their own: ten per submission the form allows.
#[test]
fn remote_checks_are_rate_limited() {
    let server = start("", &["--rate-limit", "1"]);
    for _ in 0..10 {
        let answer = server.check("/contact/validate?from=a%40b.c", SITE);
        assert_eq!(answer.status, 200);
    }
    let over = server.check("/contact/validate?from=a%40b.c", SITE);
    assert_eq!(over.status, 429);
    assert!(over.header("retry-after").is_some());
    assert_eq!(over.header("access-control-allow-origin"), Some(SITE));
}

/// The rules file's `lang` gives the 422's messages and the remote check's in that
/// language; a language without a table, or `date`, is refused at start-up.
#[test]
fn lang_in_the_rules_file_gives_its_messages() {
    let rules = r#"{"lang": "de", "rules": {"subject": "required", "file": {"extension": "pdf"},
                    "code": {"minlength": 3}}}"#;
    let server = start(rules, &["--rate-limit", "0"]);
    let answer = server.post("subject=&file=cv.doc&code=ab");
    assert_eq!(answer.status, 422);
    let errors = &answer.json()["errors"];
    assert_eq!(errors["subject"], "Dieses Feld muss ausgefüllt werden.");
    assert_eq!(
        errors["file"],
        "Bitte geben Sie einen Wert mit einer gültigen Dateiendung ein."
    );
    assert_eq!(errors["code"], "Bitte geben Sie mindestens 3 Zeichen ein.");
    let check = server.check("/contact/validate?code=a", SITE);
    assert_eq!(check.json(), "Bitte geben Sie mindestens 3 Zeichen ein.");
    assert_eq!(server.post("subject=Hi&file=cv.PDF&code=abc").status, 200);

    let error = refused(r#"{"lang": "it"}"#);
    assert!(error.contains("lang: no messages for \"it\""), "{error}");
    let error = refused(r#"{"rules": {"when": "date"}}"#);
    assert!(error.contains("rules.when.date: "), "{error}");
}
