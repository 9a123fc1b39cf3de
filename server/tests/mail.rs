//! Mail (issue 16): each accepted submission's notification, sent through real SMTP
//! servers on loopback (`mail/sink.rs`, scriptable), with the outbox's guarantees: sent
//! once, retried after a 4xx or a lost connection, failed with the reply after a 5xx or
//! the last attempt, and nothing a visitor typed reaching the wire as a header or a bare
//! CR, LF or NUL.

// This file uses `common::backend` and `listening`.
#[allow(dead_code)]
mod common;
#[path = "mail/sink.rs"]
mod sink;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::backend::{location_arg, Backend, Database};
use common::listening::Listening;
use corsform_server::mail::{Mail, Smtp};
use corsform_server::store::Location;
use corsform_server::{app, store, Config, Delivery, Outbox, Submission};
use http_body_util::BodyExt;
use sink::{Answer, Sink};
use tower::ServiceExt;

const SITE: &str = "http://127.0.0.1:8080";
/// The bound on every wait: a broken server fails the test instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(30);

struct Server {
    db: Database,
    config: Config,
    outbox: Option<Outbox>,
}

/// The mail settings for `sink`: fast retries, a short timeout.
fn mail_for(sink: &Sink) -> Mail {
    sink::test_mail(&sink.url())
}

impl Server {
    async fn start(backend: Backend, mail: Mail) -> Server {
        let db = backend.database().await;
        let mut config = Config::new(db.store.clone());
        config.rate_limit = 0;
        config.mail = Some(Arc::new(mail));
        let mut server = Server {
            db,
            config,
            outbox: None,
        };
        server.start_outbox().await;
        server
    }

    async fn start_outbox(&mut self) {
        let config = &self.config;
        let outbox = Outbox::start(
            config.store.clone(),
            config.mail.clone().unwrap(),
            config.rules.clone(),
        )
        .await
        .unwrap();
        self.outbox = Some(outbox);
    }

    fn db(&self) -> &Location {
        &self.db.location
    }

    /// Posts `body` as the corsform client does; the id answered.
    async fn post(&self, body: &str) -> i64 {
        let request = Request::post("/contact")
            .header("origin", SITE)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-requested-with", "XMLHttpRequest")
            .body(Body::from(body.to_owned()))
            .unwrap();
        let response = app(self.config.clone()).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        json["id"].as_i64().unwrap()
    }

    async fn rows(&self) -> Vec<Submission> {
        self.db.rows().await
    }

    /// Waits until no notification is pending; the rows then.
    async fn settled(&self) -> Vec<Submission> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let rows = self.rows().await;
            let pending = |s: &Submission| matches!(s.delivery, Some(Delivery::Pending { .. }));
            if !rows.iter().any(pending) {
                return rows;
            }
            assert!(tokio::time::Instant::now() < deadline, "{rows:#?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn stop(&mut self) {
        if let Some(outbox) = self.outbox.take() {
            outbox.stop().await;
        }
    }
}

fn parse(message: &[u8]) -> mailparse::ParsedMail<'_> {
    mailparse::parse_mail(message).unwrap()
}

/// The decoded body text, its CR LF line ends (as sent) read as `\n`; a bare CR stays.
fn text(mail: &mailparse::ParsedMail<'_>) -> String {
    mail.get_body().unwrap().replace("\r\n", "\n")
}

/// The messages received, in submission order.
fn by_submission(mut received: Vec<sink::Received>) -> Vec<sink::Received> {
    received.sort_by_key(sink::Received::submission_id);
    received
}

fn header(mail: &mailparse::ParsedMail<'_>, name: &str) -> Option<String> {
    use mailparse::MailHeaderMap;
    mail.headers.get_first_value(name)
}

/// The names of the header lines, sorted.
fn header_names(message: &[u8]) -> Vec<String> {
    let mut names: Vec<String> = header_lines(message)
        .iter()
        .map(|l| l.split(':').next().unwrap().to_owned())
        .collect();
    names.sort_unstable();
    names
}

/// Every header line a notification has, sorted, when it has a `Reply-To:`: nothing else
/// may appear, whatever a visitor typed.
fn with_reply_to() -> Vec<String> {
    [
        "Content-Transfer-Encoding",
        "Content-Type",
        "Date",
        "From",
        "MIME-Version",
        "Message-ID",
        "Reply-To",
        "Subject",
        "To",
    ]
    .map(String::from)
    .to_vec()
}

/// The header section, unfolded, as it was sent.
fn header_lines(message: &[u8]) -> Vec<String> {
    let text = String::from_utf8(message.to_vec()).unwrap();
    let head = text.split("\r\n\r\n").next().unwrap();
    head.replace("\r\n ", " ")
        .replace("\r\n\t", " ")
        .split("\r\n")
        .map(str::to_owned)
        .collect()
}

async fn each_submission_is_mailed_once_with_the_visitor_as_reply_to(backend: Backend) {
    let sink = Sink::accepting().await;
    let mut server = Server::start(backend, mail_for(&sink)).await;
    let mut ids = Vec::new();
    for i in 0..20 {
        let body = format!("subject=Hi+{i}&from=visitor{i}%40example.org&message=Hello");
        ids.push(server.post(&body).await);
    }
    let rows = server.settled().await;
    server.stop().await;
    for row in &rows {
        assert!(
            matches!(row.delivery, Some(Delivery::Sent { attempts: 1, .. })),
            "{row:?}"
        );
    }
    let accepted = sink.accepted();
    assert_eq!(accepted.len(), 20, "each one once");
    assert_eq!(sink.received().len(), 20);
    let mut seen = std::collections::HashSet::new();
    for message in &accepted {
        assert_eq!(message.from, "forms@site.test");
        assert_eq!(message.to, ["owner@site.test"]);
        let bytes = message.message();
        let mail = parse(&bytes);
        let subject_line = header(&mail, "Subject").unwrap();
        assert_eq!(subject_line, "Message from the contact form");
        assert_eq!(header(&mail, "From").unwrap(), "forms@site.test");
        assert_eq!(header(&mail, "To").unwrap(), "owner@site.test");
        let body = text(&mail);
        let i: usize = body
            .lines()
            .next()
            .unwrap()
            .strip_prefix("subject: Hi ")
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            header(&mail, "Reply-To").unwrap(),
            format!("visitor{i}@example.org")
        );
        assert!(seen.insert(header(&mail, "Message-ID").unwrap()));
        assert!(
            body.starts_with(&format!(
                "subject: Hi {i}\nfrom: visitor{i}@example.org\nmessage: Hello\n\n-- \nSubmission {} from {SITE}, received ",
                ids[i]
            )),
            "{body:?}"
        );
    }
}

async fn no_reply_to_without_an_address_that_passes_the_email_rule(backend: Backend) {
    let sink = Sink::accepting().await;
    let mut server = Server::start(backend, mail_for(&sink)).await;
    // `from` is the seed's e-mail field and optional; `email` and `_replyto` must pass the
    // same check to count, and a field sent twice does not.
    for body in [
        "subject=a&message=m",
        "subject=b&message=m&email=not-an-address",
        "subject=c&message=m&_replyto=x%40y.z%0D%0ABcc%3A+e%40v.il",
        "subject=d&message=m&email=a%40b.c&email=d%40e.f",
    ] {
        server.post(body).await;
    }
    server
        .post("subject=e&message=m&_replyto=first%40example.org&from=second%40example.org")
        .await;
    server.settled().await;
    server.stop().await;
    let reply_to: Vec<Option<String>> = by_submission(sink.accepted())
        .iter()
        .map(|m| header(&parse(&m.message()), "Reply-To"))
        .collect();
    assert_eq!(
        reply_to,
        [None, None, None, None, Some("first@example.org".into())]
    );
}

async fn non_ascii_text_and_multiple_values_in_proper_mime(backend: Backend) {
    let sink = Sink::accepting().await;
    let mut mail = mail_for(&sink);
    mail.subject = "Contact: {subject} (#{id}, {form})".into();
    let mut server = Server::start(backend, mail).await;
    let subject = "Grüße — 日本語 😀";
    let body = format!(
        "subject={}&from=a%40b.c&topic=red&message={}&topic=bl%C3%BC",
        urlencode(subject),
        urlencode("Zeile 1\r\nZeile 2 — ü\nline 3"),
    );
    let id = server.post(&body).await;
    server.settled().await;
    server.stop().await;
    let message = sink.accepted()[0].message();
    for line in header_lines(&message) {
        assert!(
            line.is_ascii(),
            "a header line must be ASCII (RFC 2047): {line}"
        );
    }
    let mail = parse(&message);
    assert_eq!(
        header(&mail, "Subject").unwrap(),
        format!("Contact: {subject} (#{id}, contact)")
    );
    assert!(mail.ctype.mimetype == "text/plain" && mail.ctype.charset == "utf-8");
    let text = text(&mail);
    assert!(
        text.starts_with(&format!(
            "subject: {subject}\nfrom: a@b.c\ntopic:\n  - red\n  - blü\nmessage:\n  Zeile 1\n  Zeile 2 — ü\n  line 3\n"
        )),
        "{text:?}"
    );
}

/// Percent-encodes everything but unreserved characters, as a form does.
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// RFC 5321 §2.3.8: CR and LF only ever as CR LF, no NUL; what SMTP smuggling exploits.
fn assert_clean_wire(wire: &[u8]) {
    for (i, &b) in wire.iter().enumerate() {
        assert_ne!(b, 0, "NUL at {i}");
        if b == b'\r' {
            assert_eq!(wire.get(i + 1), Some(&b'\n'), "bare CR at {i}");
        }
        if b == b'\n' {
            assert_eq!(
                i.checked_sub(1).map(|j| wire[j]),
                Some(b'\r'),
                "bare LF at {i}"
            );
        }
    }
}

async fn nothing_typed_becomes_a_header_line_and_no_bare_cr_lf_or_nul_reaches_the_wire(
    backend: Backend,
) {
    let sink = Sink::accepting().await;
    let mut mail = mail_for(&sink);
    mail.subject = "{subject}".into();
    let mut server = Server::start(backend, mail).await;
    let attacks = [
        "x\r\nBcc: evil@attacker.example",
        "x\nBcc: evil@attacker.example",
        "x\rBcc: evil@attacker.example",
        "x\r\n\r\nfake body",
        // SMTP smuggling: an end of data that only a lax server honours.
        "a\n.\r\nMAIL FROM:<evil@attacker.example>\r\n",
        "a\r\n.\nRCPT TO:<evil@attacker.example>",
        "a\r\n.\r\nQUIT\r\n",
        "nul\0byte\x1b[31m\x7f",
        ".leading dot",
    ];
    for attack in attacks {
        let mut fields = vec![
            ("subject", attack.to_owned()),
            ("from", "a@b.c".to_owned()),
            ("message", attack.to_owned()),
            (attack, "a field name too".to_owned()),
            ("_replyto", format!("a@b.c{attack}")),
        ];
        if attack.starts_with('x') {
            fields.push(("_subject", attack.to_owned()));
        }
        let body: Vec<String> = fields
            .iter()
            .map(|(n, v)| format!("{}={}", urlencode(n), urlencode(v)))
            .collect();
        server.post(&body.join("&")).await;
    }
    server.settled().await;
    server.stop().await;
    let received = by_submission(sink.received());
    assert_eq!(received.len(), attacks.len());
    assert_clean_wire(&sink.wire());
    for (message, attack) in received.iter().zip(attacks) {
        assert_eq!(message.answer, Answer::Accept);
        assert_eq!(message.from, "forms@site.test");
        assert_eq!(message.to, ["owner@site.test"], "{attack:?}");
        let bytes = message.message();
        // `_replyto` failed the e-mail check; `from`, the seed's e-mail field, passed.
        assert_eq!(header_names(&bytes), with_reply_to(), "{attack:?}");
        let mail = parse(&bytes);
        let subject = header(&mail, "Subject").unwrap();
        assert!(!subject.contains(['\r', '\n', '\0']), "{subject:?}");
        assert_eq!(header(&mail, "Reply-To").unwrap(), "a@b.c");
        let text = text(&mail);
        assert!(!text.contains(['\r', '\0']), "{text:?}");
        assert!(text.contains("message:\n") || text.contains("message: "));
    }
    // What the visitor typed is there to read, as data.
    let body = text(&parse(&received[7].message()));
    assert!(body.contains("nul␀byte␛[31m␡"), "{body:?}");
    let text = text(&parse(&received[4].message()));
    assert!(
        text.contains("message:\n  a\n  .\n  MAIL FROM:<evil@attacker.example>\n"),
        "{text:?}"
    );
}

/// One submission mailed through a sink scripted with `script` then `otherwise`, with
/// `mail` adjusted by `tweak`: its row once settled, and what the sink received.
async fn one_message(
    backend: Backend,
    script: &[Answer],
    otherwise: Answer,
    tweak: impl FnOnce(&mut Mail),
) -> (Submission, Vec<sink::Received>) {
    let sink = Sink::start(script, otherwise).await;
    let mut mail = mail_for(&sink);
    tweak(&mut mail);
    let mut server = Server::start(backend, mail).await;
    server.post("subject=s&message=m").await;
    let rows = server.settled().await;
    server.stop().await;
    (rows[0].clone(), sink.received())
}

/// The attempts and the reason of a failed delivery.
fn failure(row: &Submission) -> (u32, &str) {
    match &row.delivery {
        Some(Delivery::Failed {
            attempts, reason, ..
        }) => (*attempts, reason),
        other => panic!("not failed: {other:?}"),
    }
}

/// The attempts a sent message took.
fn sent_after(row: &Submission) -> u32 {
    match &row.delivery {
        Some(Delivery::Sent { attempts, .. }) => *attempts,
        other => panic!("not sent: {other:?}"),
    }
}

fn answers(received: &[sink::Received]) -> Vec<Answer> {
    received.iter().map(|r| r.answer).collect()
}

async fn a_4xx_is_retried_then_sent(backend: Backend) {
    let script = [Answer::Transient, Answer::Transient];
    let (row, received) = one_message(backend, &script, Answer::Accept, |_| {}).await;
    assert_eq!(sent_after(&row), 3);
    assert_eq!(
        answers(&received),
        [Answer::Transient, Answer::Transient, Answer::Accept]
    );
}

async fn a_5xx_is_failed_at_once_with_the_reply(backend: Backend) {
    let (row, received) = one_message(backend, &[Answer::Permanent], Answer::Accept, |_| {}).await;
    let (attempts, reason) = failure(&row);
    assert_eq!(attempts, 1);
    assert!(
        reason.contains("550") && reason.contains("no such mailbox here"),
        "{reason}"
    );
    assert_eq!(received.len(), 1);
    let line = store::export_line(&row);
    assert!(
        line.contains(r#""delivery":{"state":"failed","at":""#),
        "{line}"
    );
}

async fn after_the_last_attempt_it_is_failed_with_the_last_reply(backend: Backend) {
    let (row, received) = one_message(backend, &[], Answer::Transient, |_| {}).await;
    let (attempts, reason) = failure(&row);
    assert_eq!(attempts, 4);
    assert!(
        reason.contains("451") && reason.contains("gave up after 4 attempts"),
        "{reason}"
    );
    assert_eq!(received.len(), 4);
}

async fn a_stalled_server_times_out_and_the_message_is_sent_again(backend: Backend) {
    let (row, received) = one_message(backend, &[Answer::Stall], Answer::Accept, |mail| {
        // Long enough for a healthy attempt on a busy machine, short for the test.
        mail.timeout = Duration::from_secs(2);
    })
    .await;
    assert_eq!(sent_after(&row), 2, "{received:?}");
    assert_eq!(answers(&received), [Answer::Stall, Answer::Accept]);
}

async fn a_stalled_message_does_not_hold_up_the_others(backend: Backend) {
    let sink = Sink::start(&[Answer::Stall], Answer::Accept).await;
    let mut mail = mail_for(&sink);
    mail.timeout = Duration::from_secs(20);
    let mut server = Server::start(backend, mail).await;
    // More than the worker sends at once: the others go through the free slots.
    let count = corsform_server::outbox::CONNECTIONS + 2;
    for i in 0..count {
        server.post(&format!("subject={i}&message=m")).await;
    }
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let sent = |rows: &[Submission]| {
        rows.iter()
            .filter(|r| matches!(r.delivery, Some(Delivery::Sent { .. })))
            .count()
    };
    let rows = loop {
        let rows = server.rows().await;
        if sent(&rows) == count - 1 {
            break rows;
        }
        assert!(tokio::time::Instant::now() < deadline, "{rows:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // The stalled attempt is still under way: nothing has been recorded for it yet.
    let stalled: Vec<_> = rows
        .iter()
        .filter(|r| matches!(r.delivery, Some(Delivery::Pending { attempts: 0, .. })))
        .collect();
    assert_eq!(stalled.len(), 1, "{rows:#?}");
    assert_eq!(sink.accepted().len(), count - 1);
    server.stop().await;
}

async fn a_connection_dropped_after_data_is_retried(backend: Backend) {
    let (row, received) = one_message(backend, &[Answer::Drop], Answer::Accept, |_| {}).await;
    assert_eq!(sent_after(&row), 2);
    // The same message twice, as the first one may have been delivered: at least once.
    assert_eq!(received.len(), 2);
    let id = |r: &sink::Received| header(&parse(&r.message()), "Message-ID");
    assert_eq!(id(&received[0]), id(&received[1]));
}

async fn a_refused_connection_is_retried(backend: Backend) {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (row, _) = one_message(backend, &[], Answer::Accept, |mail| {
        mail.smtp = Smtp::parse(&format!("smtp://127.0.0.1:{port}"), None).unwrap();
        mail.retry.attempts = 2;
    })
    .await;
    let (attempts, reason) = failure(&row);
    assert_eq!(attempts, 2);
    assert!(reason.contains("gave up after 2 attempts"), "{reason}");
}

async fn resend_queues_failed_notifications_again(backend: Backend) {
    let sink = Sink::start(&[Answer::Permanent, Answer::Permanent], Answer::Accept).await;
    let mut server = Server::start(backend, mail_for(&sink)).await;
    let first = server.post("subject=one&message=m").await;
    server.post("subject=two&message=m").await;
    server.settled().await;
    assert_eq!(
        store::resend(server.db(), store::Resend::Failed)
            .await
            .unwrap(),
        2
    );
    // The running worker finds them within its idle poll.
    let rows = server.settled().await;
    assert!(rows
        .iter()
        .all(|r| matches!(r.delivery, Some(Delivery::Sent { attempts: 1, .. }))));
    // --id sends a sent one again too.
    assert_eq!(
        store::resend(server.db(), store::Resend::Id(first))
            .await
            .unwrap(),
        1
    );
    server.settled().await;
    server.stop().await;
    assert_eq!(sink.accepted().len(), 3);
    assert!(store::resend(server.db(), store::Resend::Id(99))
        .await
        .is_err());
}

async fn subject_and_cc_from_the_form_within_bounds(backend: Backend) {
    let sink = Sink::accepting().await;
    let mut mail = mail_for(&sink);
    mail.allow_cc = vec!["sales@site.test".parse().unwrap()];
    let mut server = Server::start(backend, mail).await;
    server
        .post("subject=s&message=m&_subject=Quote+request&_cc=SALES%40site.test%2C+evil%40attacker.example&_cc=other%40x.y")
        .await;
    server.settled().await;
    server.stop().await;
    let message = &sink.accepted()[0];
    assert_eq!(message.to, ["owner@site.test", "sales@site.test"]);
    let bytes = message.message();
    let mail = parse(&bytes);
    assert_eq!(header(&mail, "Subject").unwrap(), "Quote request");
    assert_eq!(header(&mail, "Cc").unwrap(), "sales@site.test");
    let text = mail.get_body().unwrap();
    assert!(
        !text.contains("_cc") && !text.contains("_subject"),
        "{text}"
    );
}

async fn notifications_committed_while_no_worker_ran_are_sent_when_one_starts(backend: Backend) {
    let sink = Sink::accepting().await;
    let mut server = Server::start(backend, mail_for(&sink)).await;
    server.stop().await;
    for i in 0..5 {
        server.post(&format!("subject={i}&message=m")).await;
    }
    assert!(server
        .rows()
        .await
        .iter()
        .all(|r| matches!(r.delivery, Some(Delivery::Pending { attempts: 0, .. }))));
    server.start_outbox().await;
    server.settled().await;
    server.stop().await;
    assert_eq!(sink.accepted().len(), 5);
}

// ---- the binary: kill -9, and an independent SMTP implementation ----

const BIN: &str = env!("CARGO_BIN_EXE_corsform-server");

/// The database the binary runs on, and where its log goes.
struct Target {
    location: Location,
    log: std::path::PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl Target {
    /// The SQLite file `path`, its log beside it.
    fn sqlite(path: std::path::PathBuf) -> Target {
        Target {
            log: path.with_extension("log"),
            location: Location::Sqlite(path),
            _dir: None,
        }
    }

    /// A new empty database of `backend`.
    async fn new(backend: Backend) -> Target {
        let dir = tempfile::tempdir().unwrap();
        Target {
            location: backend.location(dir.path()).await,
            log: dir.path().join("server.log"),
            _dir: Some(dir),
        }
    }

    /// `--db`'s argument.
    fn arg(&self) -> String {
        location_arg(&self.location)
    }

    async fn rows(&self) -> Vec<Submission> {
        store::read_all(&self.location).await.unwrap()
    }
}

/// `corsform-server serve` on a free port and `db`, its log in `db.log`, killed (SIGKILL)
/// when dropped. On PostgreSQL, with an outbox lease of 1 s: the rows a killed instance had
/// claimed are sent by the next one a second later.
struct Process(Listening);

impl Process {
    /// Starts it with `args` (and `env`) and waits for its `listening on` line.
    async fn start(db: &Target, args: &[&str], env: &[(&str, &std::path::Path)]) -> Process {
        let mut command = std::process::Command::new(BIN);
        command
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--rate-limit",
                "0",
                "--db",
            ])
            .arg(db.arg())
            .args(args)
            .stderr(std::fs::File::create(&db.log).unwrap());
        if let Location::Postgres(_) = db.location {
            command.args(["--outbox-lease", "1"]);
        }
        for (name, value) in env {
            command.env(name, value);
        }
        let started = tokio::task::spawn_blocking(move || Listening::start(&mut command));
        Process(started.await.unwrap().unwrap())
    }

    /// `127.0.0.1:PORT`.
    fn addr(&self) -> &str {
        &self.0.addr
    }

    /// POSTs `body` as a script does; the id answered.
    async fn post(&self, body: &str) -> i64 {
        post_to(self.addr(), body).await.unwrap()
    }

    fn kill_9(mut self) {
        self.0.kill().unwrap();
    }
}

/// POSTs `body` to the server at `addr` as a script does: the id answered, or `None` when
/// the connection failed or the answer is not a 200.
async fn post_to(addr: &str, body: &str) -> Option<i64> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let request = format!(
        "POST /contact HTTP/1.1\r\nHost: {addr}\r\nOrigin: {SITE}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nAccept: */*\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.ok()?;
    if !answer.starts_with("HTTP/1.1 200") {
        return None;
    }
    let json: serde_json::Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1)?).ok()?;
    json["id"].as_i64()
}

fn mail_args(url: &str) -> Vec<String> {
    [
        "--smtp",
        url,
        "--mail-to",
        "owner@site.test",
        "--mail-from",
        "forms@site.test",
        "--mail-retry-delay",
        "0.02",
    ]
    .map(String::from)
    .to_vec()
}

/// Waits until every notification in `db` is sent; the rows.
async fn all_sent(db: &Target) -> Vec<Submission> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let rows = db.rows().await;
        if rows
            .iter()
            .all(|r| matches!(r.delivery, Some(Delivery::Sent { .. })))
        {
            return rows;
        }
        assert!(tokio::time::Instant::now() < deadline, "{rows:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn kill_9_between_commit_and_send_is_delivered_after_restart_once(backend: Backend) {
    // The first message's DATA is never answered: the server is killed while it waits.
    let sink = Sink::start(&[Answer::Stall], Answer::Accept).await;
    let db = Target::new(backend).await;
    let args = mail_args(&sink.url());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Process::start(&db, &args, &[]).await;
    let id = server
        .post("subject=s&from=v%40example.org&message=m")
        .await;
    sink.wait_for(PATIENCE, |r| r.len() == 1).await;
    server.kill_9();
    let rows = db.rows().await;
    assert_eq!(
        rows[0].delivery,
        Some(Delivery::Pending {
            attempts: 0,
            error: None
        })
    );
    let server = Process::start(&db, &args, &[]).await;
    let rows = all_sent(&db).await;
    drop(server);
    assert_eq!(rows[0].id, id);
    let accepted = sink.accepted();
    assert_eq!(accepted.len(), 1, "{:#?}", sink.received());
    assert_eq!(accepted[0].submission_id(), id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_under_load_loses_no_notification_sqlite() {
    kill_9_under_load_loses_no_notification(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_under_load_loses_no_notification_postgres() {
    kill_9_under_load_loses_no_notification(Backend::Postgres).await;
}

async fn kill_9_under_load_loses_no_notification(backend: Backend) {
    let sink = Sink::accepting().await;
    let db = Target::new(backend).await;
    let args = mail_args(&sink.url());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Process::start(&db, &args, &[]).await;
    let answered = Arc::new(std::sync::Mutex::new(Vec::new()));
    // Four clients post until the server dies under them.
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let (addr, answered) = (server.addr().to_owned(), answered.clone());
            tokio::spawn(async move {
                for n in 0..100 {
                    let body = format!("subject={c}-{n}&message=m");
                    match post_to(&addr, &body).await {
                        Some(id) => answered.lock().unwrap().push(id),
                        None => return,
                    }
                }
            })
        })
        .collect();
    sink.wait_for(PATIENCE, |r| r.len() >= 50).await;
    server.kill_9();
    for client in clients {
        client.await.unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    let _server = Process::start(&db, &args, &[]).await;
    let rows = all_sent(&db).await;
    let mails: Vec<i64> = sink
        .accepted()
        .iter()
        .map(sink::Received::submission_id)
        .collect();
    for id in &answered {
        assert!(rows.iter().any(|r| r.id == *id), "answered {id} not stored");
        assert!(mails.contains(id), "answered {id} not mailed");
    }
    // At least once; a copy only for those in flight at the kill.
    let mut unique = mails.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), rows.len());
    assert!(mails.len() - unique.len() <= corsform_server::outbox::CONNECTIONS);
}

/// aiosmtpd (Python's SMTP server, `cargo xtask setup` installs Debian's
/// python3-aiosmtpd): STARTTLS required (or, with `tls`, TLS from the first byte), AUTH
/// required after it; each message is written to `OUT/N.json` with its envelope, whether
/// TLS and AUTH were used, and its data.
const AIOSMTPD: &str = r#"
import json, os, ssl, sys
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
cert, key, port, out, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
class Handler:
    async def handle_DATA(self, server, session, envelope):
        n = len([f for f in os.listdir(out) if f.endswith(".json")])
        # With TLS from the first byte, no session exists without it.
        tls = session.ssl is not None or mode == "tls"
        record = {"from": envelope.mail_from, "to": envelope.rcpt_tos,
                  "tls": tls, "auth": session.authenticated,
                  "data": envelope.original_content.decode("latin-1")}
        with open(os.path.join(out, f"{n}.tmp"), "w") as f:
            json.dump(record, f)
        os.rename(os.path.join(out, f"{n}.tmp"), os.path.join(out, f"{n}.json"))
        return "250 OK"
def authenticate(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=auth_data.login == b"corsform" and auth_data.password == b"s3cret pw")
if mode == "tls":
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, ssl_context=context,
                            authenticator=authenticate, auth_require_tls=False)
else:
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True, authenticator=authenticate,
                            auth_require_tls=True)
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
"#;

/// A Python that has aiosmtpd: Debian's (the package `cargo xtask setup` installs), or the
/// one on PATH.
fn python_with_aiosmtpd() -> &'static str {
    ["/usr/bin/python3", "python3"]
        .into_iter()
        .find(|python| {
            std::process::Command::new(python)
                .args(["-c", "import aiosmtpd"])
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .expect("no Python with aiosmtpd: run `cargo xtask setup` (Debian python3-aiosmtpd)")
}

/// A test CA, and a certificate it signed for `localhost` and 127.0.0.1, as PEM files in
/// `dir`: `ca.pem`, `cert.pem`, `key.pem`.
fn test_certificates(dir: &std::path::Path) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, &ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
}

/// aiosmtpd running on a free port; stopped when dropped (its stdin closes).
struct Aiosmtpd {
    child: std::process::Child,
    port: u16,
    out: std::path::PathBuf,
}

impl Aiosmtpd {
    /// `mode`: `starttls` or `tls`.
    async fn start(dir: &std::path::Path, mode: &str) -> Aiosmtpd {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let out = dir.join("mailbox");
        std::fs::create_dir(&out).unwrap();
        let mut child = std::process::Command::new(python_with_aiosmtpd())
            .arg("-c")
            .arg(AIOSMTPD)
            .arg(dir.join("cert.pem"))
            .arg(dir.join("key.pem"))
            .arg(port.to_string())
            .arg(&out)
            .arg(mode)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            // It logs the refused handshake of the untrusted-certificate test.
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let line = tokio::task::spawn_blocking(move || {
            use std::io::BufRead;
            let mut line = String::new();
            std::io::BufReader::new(stdout)
                .read_line(&mut line)
                .unwrap();
            line
        })
        .await
        .unwrap();
        assert_eq!(line.trim(), "ready");
        Aiosmtpd { child, port, out }
    }

    /// The messages received so far, in order.
    fn mailbox(&self) -> Vec<serde_json::Value> {
        (0..)
            .map(|n| self.out.join(format!("{n}.json")))
            .take_while(|path| path.exists())
            .map(|path| serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap())
            .collect()
    }
}

impl Drop for Aiosmtpd {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// aiosmtpd in `mode` receives one submission's message sent through `scheme`, with AUTH
/// (the password from `--smtp-password-file`) and the test CA trusted.
async fn through_aiosmtpd(mode: &str, scheme: &str, query: &str) {
    let dir = tempfile::tempdir().unwrap();
    test_certificates(dir.path());
    let smtpd = Aiosmtpd::start(dir.path(), mode).await;
    let password = dir.path().join("password");
    std::fs::write(&password, "s3cret pw\n").unwrap();
    let db = Target::sqlite(dir.path().join("tls.db"));
    let url = format!("{scheme}://corsform@127.0.0.1:{}{query}", smtpd.port);
    let mut args = mail_args(&url);
    args.extend([
        "--smtp-password-file".into(),
        password.display().to_string(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let ca = dir.path().join("ca.pem");
    let server = Process::start(&db, &args, &[("SSL_CERT_FILE", &ca)]).await;
    let id = server
        .post("subject=Gr%C3%BC%C3%9Fe&from=visitor%40example.org&message=l1%0D%0Al2%0Al3")
        .await;
    all_sent(&db).await;
    drop(server);
    let mailbox = smtpd.mailbox();
    assert_eq!(mailbox.len(), 1);
    let record = &mailbox[0];
    assert_eq!(record["tls"], true);
    assert_eq!(record["auth"], true);
    assert_eq!(record["from"], "forms@site.test");
    assert_eq!(record["to"], serde_json::json!(["owner@site.test"]));
    let data = record["data"].as_str().unwrap().as_bytes().to_vec();
    assert_clean_wire(&data);
    let mail = parse(&data);
    assert_eq!(header(&mail, "Reply-To").unwrap(), "visitor@example.org");
    assert!(text(&mail)
        .starts_with("subject: Grüße\nfrom: visitor@example.org\nmessage:\n  l1\n  l2\n  l3\n"));
    assert!(header(&mail, "Message-ID")
        .unwrap()
        .starts_with(&format!("<corsform.{id}.")));
}

#[tokio::test]
async fn aiosmtpd_receives_the_message_over_starttls_with_auth() {
    through_aiosmtpd("starttls", "smtp", "?tls=starttls").await;
}

#[tokio::test]
async fn aiosmtpd_receives_the_message_over_tls_with_auth() {
    through_aiosmtpd("tls", "smtps", "").await;
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    test_certificates(dir.path());
    let smtpd = Aiosmtpd::start(dir.path(), "starttls").await;
    let db = Target::sqlite(dir.path().join("untrusted.db"));
    let url = format!("smtp://127.0.0.1:{}?tls=starttls", smtpd.port);
    let mut args = mail_args(&url);
    args.extend(["--mail-attempts".into(), "1".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // The system's roots do not include the test CA.
    let server = Process::start(&db, &args, &[]).await;
    server.post("subject=s&message=m").await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let reason = loop {
        let rows = db.rows().await;
        if let Some(Delivery::Failed { reason, .. }) = &rows[0].delivery {
            break reason.clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "{rows:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        reason.contains("tls") || reason.contains("certificate"),
        "{reason}"
    );
    assert!(smtpd.mailbox().is_empty());
}

/// `corsform-server` with `args`: its exit code, stdout and stderr.
fn command(args: &[&str]) -> (Option<i32>, String, String) {
    command_at(BIN, args)
}

/// `program` with `args`: its exit code, stdout and stderr.
fn command_at(program: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let output = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (
        output.status.code(),
        text(output.stdout),
        text(output.stderr),
    )
}

#[test]
fn mail_configuration_errors_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let smtp = ["--smtp", "smtp://127.0.0.1:2525"];
    let both = [
        "--mail-from",
        "forms@site.test",
        "--mail-to",
        "owner@site.test",
    ];
    let cases: [(Vec<&str>, &str); 10] = [
        (
            vec!["--mail-to", "owner@site.test"],
            "--mail-to needs --smtp",
        ),
        (
            vec!["--mail-from", "forms@site.test"],
            "--mail-from needs --smtp",
        ),
        (
            vec![smtp[0], smtp[1], both[2], both[3]],
            "--smtp needs --mail-from",
        ),
        (
            vec![smtp[0], smtp[1], both[0], both[1]],
            "--smtp needs --mail-to",
        ),
        (
            [&["--smtp", "http://127.0.0.1"][..], &both].concat(),
            "the scheme must be smtp or smtps",
        ),
        (
            [&["--smtp", "smtp://u@127.0.0.1"][..], &both].concat(),
            "no password",
        ),
        (
            [
                &[
                    "--smtp",
                    "smtp://u@127.0.0.1",
                    "--smtp-password-file",
                    "/nonexistent/pw",
                ][..],
                &both,
            ]
            .concat(),
            "--smtp-password-file /nonexistent/pw",
        ),
        (
            [
                &smtp[..],
                &["--mail-from", "not an address", "--mail-to", "o@s.t"],
            ]
            .concat(),
            "--mail-from",
        ),
        (
            [&smtp[..], &both, &["--allow-cc", "x"]].concat(),
            "--allow-cc \"x\"",
        ),
        (
            [&smtp[..], &both, &["--mail-attempts", "0"]].concat(),
            "--mail-attempts",
        ),
    ];
    for (args, needle) in cases {
        let mut all = vec![
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--db",
            db.to_str().unwrap(),
        ];
        all.extend(&args);
        let (code, stdout, stderr) = command(&all);
        assert_eq!(code, Some(2), "{args:?}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("corsform-server: ") && stderr.contains(needle),
            "{args:?}: {stderr}"
        );
        assert!(stdout.is_empty());
    }
}

/// Waits until `db`'s log (written by [`Process`]) contains `text`.
async fn logged(db: &Target, text: &str) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let log = std::fs::read_to_string(&db.log).unwrap_or_default();
        if log.contains(text) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{text:?} not in {log}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn the_start_up_log_export_and_resend_over_the_command_line(backend: Backend) {
    let db = Target::new(backend).await;
    let db_arg = &db.arg();
    // Mail off: said at start, and the submission has no notification.
    let server = Process::start(&db, &[], &[]).await;
    logged(&db, "mail: off (no --smtp): submissions are stored only").await;
    let first = server.post("subject=off&message=m").await;
    server.kill_9();
    // Mail on, and the SMTP server refuses the first message for good.
    let sink = Sink::start(&[Answer::Permanent], Answer::Accept).await;
    let args = mail_args(&sink.url());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Process::start(&db, &args, &[]).await;
    logged(&db, "0 pending, 0 failed").await;
    let second = server.post("subject=on&message=m").await;
    logged(&db, "mail: failed").await;
    // The outcome is logged before its commit: wait for the commit before the kill.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !db
        .rows()
        .await
        .iter()
        .any(|r| matches!(r.delivery, Some(Delivery::Failed { .. })))
    {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill_9();
    let (code, stdout, _) = command(&["export", "--db", db_arg]);
    assert_eq!(code, Some(0));
    let rows: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows[0]["delivery"], serde_json::Value::Null);
    assert_eq!(rows[1]["id"], second);
    assert_eq!(rows[1]["delivery"]["state"], "failed");
    assert_eq!(rows[1]["delivery"]["attempts"], 1);
    let reason = rows[1]["delivery"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("550") && reason.contains("no such mailbox here"),
        "{reason}"
    );
    // The next start says so; `resend` queues it beside the running server.
    let server = Process::start(&db, &args, &[]).await;
    logged(&db, "0 pending, 1 failed (corsform-server resend --failed").await;
    let (code, stdout, _) = command(&["resend", "--db", db_arg, "--failed"]);
    assert_eq!(
        (code, stdout.as_str()),
        (Some(0), "corsform-server: 1 notification queued\n")
    );
    let id = first.to_string();
    let (code, stdout, _) = command(&["resend", "--db", db_arg, "--id", &id]);
    assert_eq!(
        (code, stdout.as_str()),
        (Some(0), "corsform-server: 1 notification queued\n")
    );
    all_sent(&db).await;
    drop(server);
    // The refused one, then both queued again.
    let mailed: Vec<i64> = sink
        .received()
        .iter()
        .map(sink::Received::submission_id)
        .collect();
    assert_eq!(mailed.len(), 3, "{mailed:?}");
    let mut accepted: Vec<i64> = sink
        .accepted()
        .iter()
        .map(sink::Received::submission_id)
        .collect();
    accepted.sort_unstable();
    assert_eq!(accepted, [first, second]);
    // Errors: an unknown id, neither --id nor --failed.
    let (code, _, stderr) = command(&["resend", "--db", db_arg, "--id", "99"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("no submission with id 99"), "{stderr}");
    let (code, _, _) = command(&["resend", "--db", db_arg]);
    assert_eq!(code, Some(2));
}

async fn sigterm_lets_the_attempt_under_way_finish_and_records_it(backend: Backend) {
    let sink = Sink::start(&[Answer::Stall], Answer::Accept).await;
    let db = Target::new(backend).await;
    let mut args = mail_args(&sink.url());
    args.extend(["--smtp-timeout".into(), "1".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut server = Process::start(&db, &args, &[]).await;
    server.post("subject=s&message=m").await;
    sink.wait_for(PATIENCE, |r| r.len() == 1).await;
    let pid = server.0.id().to_string();
    let (code, _, _) = command_at("kill", &["-TERM", &pid]);
    assert_eq!(code, Some(0));
    let status = tokio::task::spawn_blocking(move || server.0.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "{status}");
    let rows = db.rows().await;
    match &rows[0].delivery {
        Some(Delivery::Pending {
            attempts: 1,
            error: Some(error),
        }) => assert!(error.contains("no answer"), "{error}"),
        other => panic!("{other:?}"),
    }
}

/// Every control character, alone and around line breaks, in every place a visitor can put
/// text: the written message has the same header lines and no bare CR, LF or NUL.
#[test]
fn no_control_character_anywhere_changes_the_headers_or_reaches_the_wire_bare() {
    // Only written, never sent.
    let mail = sink::test_mail("smtp://127.0.0.1:25");
    let rules = corsform_server::Rules::seed();
    let controls = (0u32..0x20)
        .chain([0x7f, 0x85, 0x2028, 0x2029])
        .filter_map(char::from_u32);
    for c in controls {
        for text in [
            format!("a{c}b"),
            format!("{c}"),
            format!("x{c}\r\nBcc: e@v.il{c}\n.{c}\r"),
        ] {
            let fields: Vec<(String, String)> = [
                ("subject", text.clone()),
                ("from", format!("a@b.c{text}")),
                ("message", text.clone()),
                (text.as_str(), text.clone()),
                ("_subject", text.clone()),
                ("_replyto", text.clone()),
                ("_cc", text.clone()),
            ]
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v))
            .collect();
            let submission = Submission {
                id: 1,
                form: "contact".into(),
                received: "2026-11-24T09:00:00Z".into(),
                origin: Some(text.clone()),
                fields,
                delivery: None,
            };
            let bytes = mail.compose(&rules, &submission).unwrap().formatted();
            assert_clean_wire(&bytes);
            let mut expected = with_reply_to();
            expected.retain(|name| name != "Reply-To");
            assert_eq!(header_names(&bytes), expected, "{c:?}");
        }
    }
}

/// r17: two forms on one server, each mailed to its own recipients with its own subject.
#[tokio::test]
async fn r17_each_form_is_mailed_with_its_own_recipients_and_subject() {
    let sink = Sink::accepting().await;
    let dir = tempfile::tempdir().unwrap();
    let store = corsform_server::Store::open(&dir.path().join("test.db")).unwrap();
    let form = |name: &str, to: &str, subject: &str| {
        let mut config = Config::new(store.clone());
        config.name = name.into();
        config.rate_limit = 0;
        config.mail = Some(Arc::new(Mail {
            to: vec![to.parse().unwrap()],
            subject: subject.into(),
            form: name.into(),
            ..mail_for(&sink)
        }));
        config
    };
    let forms = vec![
        form("contact", "team@site.test", "Contact: {subject}"),
        form("quote", "sales@site.test", "{form} from {company}"),
    ];
    let mailed = forms
        .iter()
        .map(|f| (f.mail.clone().unwrap(), f.rules.clone()))
        .collect();
    let outbox = Outbox::start_forms(store.clone(), mailed).await.unwrap();
    let site = corsform_server::site(forms);
    for (path, body) in [
        ("/f/contact", "subject=Hi&from=a%40b.c&message=Hello"),
        ("/f/quote", "subject=Q&from=a%40b.c&message=M&company=ACME"),
    ] {
        let request = Request::post(path)
            .header("origin", SITE)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-requested-with", "XMLHttpRequest")
            .body(Body::from(body))
            .unwrap();
        let response = site.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    sink.wait_for(PATIENCE, |received| received.len() >= 2)
        .await;
    outbox.stop().await;
    let mut seen: Vec<(String, String)> = sink
        .accepted()
        .iter()
        .map(|m| {
            let message = m.message();
            let mail = parse(&message);
            (
                header(&mail, "To").unwrap(),
                header(&mail, "Subject").unwrap(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("sales@site.test".to_owned(), "quote from ACME".to_owned()),
            ("team@site.test".to_owned(), "Contact: Hi".to_owned()),
        ]
    );
}

on_both_stores!(
    each_submission_is_mailed_once_with_the_visitor_as_reply_to,
    no_reply_to_without_an_address_that_passes_the_email_rule,
    non_ascii_text_and_multiple_values_in_proper_mime,
    nothing_typed_becomes_a_header_line_and_no_bare_cr_lf_or_nul_reaches_the_wire,
    a_4xx_is_retried_then_sent,
    a_5xx_is_failed_at_once_with_the_reply,
    after_the_last_attempt_it_is_failed_with_the_last_reply,
    a_stalled_server_times_out_and_the_message_is_sent_again,
    a_stalled_message_does_not_hold_up_the_others,
    a_connection_dropped_after_data_is_retried,
    a_refused_connection_is_retried,
    resend_queues_failed_notifications_again,
    subject_and_cc_from_the_form_within_bounds,
    notifications_committed_while_no_worker_ran_are_sent_when_one_starts,
    kill_9_between_commit_and_send_is_delivered_after_restart_once,
    the_start_up_log_export_and_resend_over_the_command_line,
    sigterm_lets_the_attempt_under_way_finish_and_records_it,
);
