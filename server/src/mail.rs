//! The notification e-mail: where it goes (`--smtp`, `--mail-to`, `--mail-from`), what it
//! says (`--subject`, the fields), and how failed attempts are retried. lettre writes the
//! message (RFC 5322 headers, MIME with RFC 2047 encoded words and quoted-printable or
//! base64 bodies for non-ASCII text) and speaks SMTP (RFC 5321) on tokio, with rustls.
//!
//! Nothing a visitor typed becomes a header line of its own: the subject is made one line
//! (control characters become spaces) before lettre encodes it, `Reply-To:` is an address
//! lettre parsed, and a `Cc:` is an address from `--allow-cc`, never the visitor's text.
//! In the body, every line break a visitor typed (CR LF, CR or LF) becomes one line break,
//! which lettre sends as CR LF, and every other control character (NUL included) is shown
//! as its Unicode control picture (`␀`): no bare CR, bare LF or NUL reaches the wire
//! (RFC 5321 §2.3.8, what SMTP smuggling exploits).

use std::path::Path;
use std::time::Duration;

use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, Message};

use crate::store::Submission;
use crate::{ConfigError, Rules};

/// The fields Formspree-style pages send to steer the message rather than as content:
/// they are not listed in the body.
pub const CONTROL_FIELDS: [&str; 4] = ["_replyto", "_subject", "_cc", "_next"];

/// The default `--subject`: names the form.
pub const DEFAULT_SUBJECT: &str = "Message from the {form} form";

/// The longest subject written, in characters; a longer one is cut and ends with `…`.
pub const MAX_SUBJECT: usize = 200;

/// How to reach the SMTP server: `--smtp URL` (and `--smtp-password-file`).
#[derive(Clone, PartialEq, Eq)]
pub struct Smtp {
    /// The server's host name or IP address (also the name its certificate must carry).
    pub host: String,
    /// The TCP port.
    pub port: u16,
    /// How the connection is protected.
    pub security: Security,
    /// User name and password for SMTP AUTH, if any.
    pub credentials: Option<(String, String)>,
    /// The name given in `EHLO` (the URL's path, `smtp://host/NAME`); by default the
    /// machine's host name.
    pub hello: Option<String>,
}

impl std::fmt::Debug for Smtp {
    /// Never shows the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Why an attempt to send a message failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendFailure {
    /// What happened, for `export`: the SMTP server's reply (`permanent error (550): …`)
    /// or the connection's error.
    pub reason: String,
    /// A 5xx reply (RFC 5321 §4.2.1): trying again will not help. Anything else (a 4xx
    /// reply, a connection or TLS failure) is transient.
    pub permanent: bool,
}

impl SendFailure {
    fn transient(reason: String) -> SendFailure {
        SendFailure {
            reason,
            permanent: false,
        }
    }
}

impl From<lettre::transport::smtp::Error> for SendFailure {
    fn from(e: lettre::transport::smtp::Error) -> SendFailure {
        SendFailure {
            reason: e.to_string(),
            permanent: e.is_permanent(),
        }
    }
}

/// How an SMTP connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// `smtp://`: none (meant for a relay on the same machine).
    Plain,
    /// `smtp://…?tls=starttls`: the `STARTTLS` command (RFC 3207), required.
    StartTls,
    /// `smtps://`: TLS from the first byte (RFC 8314, port 465).
    Tls,
}

impl Smtp {
    /// Reads `--smtp`: `smtp://[user[:password]@]host[:port][/ehlo-name]`, with
    /// `?tls=starttls` for STARTTLS, or `smtps://…` for TLS from the start. The default
    /// ports are 25, 587 with STARTTLS, and 465. User and password are percent-decoded; the
    /// password may come from `password_file` instead (its first line). Certificates are
    /// checked against the system's roots (`SSL_CERT_FILE` names another bundle).
    pub fn parse(text: &str, password_file: Option<&Path>) -> Result<Smtp, ConfigError> {
        let bad = |why: &dyn std::fmt::Display| ConfigError(format!("--smtp: {why}"));
        let url = url::Url::parse(text).map_err(|e| bad(&e))?;
        let mut tls = None;
        for (key, value) in url.query_pairs() {
            match (&*key, &*value) {
                ("tls", "starttls" | "required") => tls = Some(Security::StartTls),
                ("tls", "none") => tls = Some(Security::Plain),
                _ => {
                    return Err(bad(&format!(
                        "unknown parameter {key}={value} (expected tls=starttls)"
                    )))
                }
            }
        }
        let security = match (url.scheme(), tls) {
            ("smtp", None) => Security::Plain,
            ("smtp", Some(tls)) => tls,
            ("smtps", None) => Security::Tls,
            ("smtps", Some(_)) => return Err(bad(&"smtps:// is TLS already; drop ?tls=")),
            (scheme, _) => {
                return Err(bad(&format!(
                    "the scheme must be smtp or smtps, not {scheme}"
                )))
            }
        };
        let host = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string(),
            None => return Err(bad(&"the host is missing")),
        };
        let port = url.port().unwrap_or(match security {
            Security::Plain => 25,
            Security::StartTls => 587,
            Security::Tls => 465,
        });
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| bad(&"the user or password is not UTF-8"))
        };
        let user = decode(url.username())?;
        let mut password = url.password().map(decode).transpose()?;
        if let Some(path) = password_file {
            if password.is_some() {
                return Err(bad(
                    &"the password is in the URL and in --smtp-password-file; give it once",
                ));
            }
            let text = std::fs::read_to_string(path).map_err(|e| {
                ConfigError(format!("--smtp-password-file {}: {e}", path.display()))
            })?;
            password = Some(text.lines().next().unwrap_or("").to_owned());
        }
        let credentials = match (user.is_empty(), password) {
            (true, None) => None,
            (false, Some(password)) => Some((user, password)),
            (false, None) => {
                return Err(bad(
                    &"a user but no password (add :password or --smtp-password-file)",
                ))
            }
            (true, Some(_)) => return Err(bad(&"a password but no user")),
        };
        let hello = Some(url.path().trim_matches('/').to_owned()).filter(|p| !p.is_empty());
        Ok(Smtp {
            host,
            port,
            security,
            credentials,
            hello,
        })
    }

    /// The server as logged: `smtp://host:port` and how it is protected, never the password.
    pub fn describe(&self) -> String {
        let how = match self.security {
            Security::Plain => "no TLS",
            Security::StartTls => "STARTTLS",
            Security::Tls => "TLS",
        };
        let scheme = if self.security == Security::Tls {
            "smtps"
        } else {
            "smtp"
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{scheme}://{host}:{} ({how})", self.port)
    }

    /// Sends `message` in an SMTP session of its own: connect (TCP with `TCP_NODELAY`),
    /// `EHLO`, `STARTTLS` or TLS from the start as configured, `AUTH` with the
    /// credentials, `MAIL`/`RCPT`/`DATA`, `QUIT`. lettre speaks the protocol; the TCP
    /// connection is made here so that Nagle's algorithm does not hold the message's final
    /// `.` line until the server's delayed ACK (about 40 ms a message on Linux). With
    /// `smtps://`, lettre connects (without `TCP_NODELAY`). Dropping the future closes the
    /// connection. Errors: why it failed, and whether that is permanent.
    pub async fn send(&self, message: &Message) -> Result<(), SendFailure> {
        let hello = self
            .hello
            .clone()
            .map_or_else(ClientId::default, ClientId::Domain);
        let mut conn = match self.security {
            Security::Tls => {
                AsyncSmtpConnection::connect_tokio1(
                    (self.host.as_str(), self.port),
                    None,
                    &hello,
                    Some(self.tls()?),
                    None,
                )
                .await?
            }
            Security::Plain | Security::StartTls => {
                let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
                    .await
                    .map_err(|e| {
                        SendFailure::transient(format!(
                            "cannot connect to {}: {e}",
                            self.describe()
                        ))
                    })?;
                let _ = tcp.set_nodelay(true);
                AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &hello).await?
            }
        };
        if self.security == Security::StartTls {
            conn.starttls(self.tls()?, &hello).await?;
        }
        if let Some((user, password)) = &self.credentials {
            let credentials = Credentials::new(user.clone(), password.clone());
            conn.auth(DEFAULT_MECHANISMS, &credentials).await?;
        }
        let sent = conn.send(message.envelope(), &message.formatted()).await;
        match sent {
            Ok(_) => {
                // Accepted: a failing QUIT changes nothing.
                let _ = conn.quit().await;
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// TLS with the system's roots, for this host.
    fn tls(&self) -> Result<TlsParameters, SendFailure> {
        TlsParameters::new_rustls(self.host.clone())
            .map_err(|e| SendFailure::transient(format!("TLS: {e}")))
    }
}

/// How failed attempts are retried: `--mail-attempts`, `--mail-retry-delay`,
/// `--mail-retry-max-delay`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry {
    /// The most attempts per message, the first included; then it is marked failed.
    pub attempts: u32,
    /// The wait after the first failure; it doubles after each further one.
    pub delay: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
}

impl Default for Retry {
    /// 10 attempts, 30 s then doubling up to one hour: about 5 hours in all.
    fn default() -> Retry {
        Retry {
            attempts: 10,
            delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(3600),
        }
    }
}

impl Retry {
    /// The wait before the next attempt after `failures` failed ones (1 or more):
    /// `delay × 2^(failures-1)`, at most `max_delay`, times a random factor in [0.5, 1]
    /// ("equal jitter") so that messages failed together are not retried together.
    pub fn wait(&self, failures: u32) -> Duration {
        let doubled = self
            .delay
            .saturating_mul(1u32 << failures.saturating_sub(1).min(30));
        doubled
            .min(self.max_delay)
            .mul_f64(0.5 + fastrand::f64() / 2.0)
    }
}

/// Everything the outbox needs to write and send the notification.
#[derive(Clone, Debug)]
pub struct Mail {
    /// The SMTP server.
    pub smtp: Smtp,
    /// `From:` and the envelope sender: the site's own address, never the visitor's (a
    /// visitor's domain would fail SPF and DMARC at the recipient).
    pub from: Mailbox,
    /// `To:`: one or more recipients.
    pub to: Vec<Mailbox>,
    /// The subject template: `{NAME}` is the first value of field NAME, `{form}` the
    /// form's name, `{id}` the submission id. A `_subject` field replaces it.
    pub subject: String,
    /// The addresses a `_cc` field may name; any other is ignored.
    pub allow_cc: Vec<Address>,
    /// How failures are retried.
    pub retry: Retry,
    /// The longest one attempt may take: connecting, the whole SMTP conversation, and the
    /// server's reply to the message. Then the connection is closed and the attempt
    /// counts as a transient failure.
    pub timeout: Duration,
    /// The form's name, for `{form}`.
    pub form: String,
}

impl Mail {
    /// Mail through `smtp` from `from` to `to`, with the defaults for the rest: the default
    /// subject, no `--allow-cc`, [`Retry::default`], a 30 s timeout, the form `contact`.
    pub fn new(smtp: Smtp, from: Mailbox, to: Vec<Mailbox>) -> Mail {
        Mail {
            smtp,
            from,
            to,
            subject: DEFAULT_SUBJECT.into(),
            allow_cc: Vec::new(),
            retry: Retry::default(),
            timeout: Duration::from_secs(30),
            form: "contact".into(),
        }
    }

    /// The notification for submission `s`. `Reply-To:` is the visitor's address when the
    /// rules accept one ([`Rules::reply_to`]). The `Message-ID:` is made from the
    /// submission's id and time, so a message sent again after a crash carries the same
    /// one and mail clients can tell it is a duplicate.
    /// Errors: lettre refused to build it (not expected: every input is checked).
    pub fn compose(&self, rules: &Rules, s: &Submission) -> Result<Message, String> {
        let first = |name: &str| {
            s.fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let subject = match first("_subject").map(one_line).filter(|t| !t.is_empty()) {
            Some(subject) => subject,
            None => one_line(&expand(&self.subject, |key| match key {
                "form" => Some(self.form.clone()),
                "id" => Some(s.id.to_string()),
                field => first(field).map(str::to_owned),
            })),
        };
        let stamp: String = s.received.chars().filter(char::is_ascii_digit).collect();
        let mut message = Message::builder()
            .from(self.from.clone())
            .subject(subject)
            .message_id(Some(format!(
                "<corsform.{}.{stamp}@{}>",
                s.id,
                self.from.email.domain()
            )))
            .date_now();
        for to in &self.to {
            message = message.to(to.clone());
        }
        if let Some(address) = rules.reply_to(&s.fields).and_then(|v| v.parse().ok()) {
            message = message.reply_to(Mailbox::new(None, address));
        }
        for cc in self.cc(&s.fields) {
            message = message.cc(Mailbox::new(None, cc));
        }
        message
            .singlepart(SinglePart::plain(body(s)))
            .map_err(|e| e.to_string())
    }

    /// The `--allow-cc` addresses that the `_cc` fields name (comma-separated lists, any
    /// case), each once.
    fn cc(&self, fields: &[(String, String)]) -> Vec<Address> {
        let mut out: Vec<Address> = Vec::new();
        let named = fields
            .iter()
            .filter(|(n, _)| n == "_cc")
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim);
        for name in named {
            let allowed = self
                .allow_cc
                .iter()
                .find(|a| AsRef::<str>::as_ref(*a).eq_ignore_ascii_case(name));
            if let Some(a) = allowed {
                if !out.contains(a) {
                    out.push(a.clone());
                }
            }
        }
        out
    }
}

/// `{key}` replaced by `value(key)` (nothing when `None`); an unclosed `{` is kept.
fn expand(template: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        out.push_str(&value(&after[..close]).unwrap_or_default());
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Text for a header: control characters (line breaks included) become spaces, runs of
/// white space one space, trimmed, at most [`MAX_SUBJECT`] characters.
fn one_line(text: &str) -> String {
    let spaced: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut words = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((cut, _)) = words.char_indices().nth(MAX_SUBJECT) {
        words.truncate(cut);
        words.push('…');
    }
    words
}

/// One line of body text: a control character is shown as its Unicode control picture
/// (`␀` for NUL, `␡` for DEL), a C1 control as `�`; tabs stay.
fn visible(line: &str) -> String {
    line.chars()
        .map(|c| match c {
            '\t' => c,
            '\0'..='\x1f' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
            '\x7f' => '\u{2421}',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// The lines a visitor typed: split at CR LF, CR or LF, each made [`visible`].
fn lines(value: &str) -> Vec<String> {
    value
        .split("\r\n")
        .flat_map(|l| l.split(['\r', '\n']))
        .map(visible)
        .collect()
}

/// The plain-text body: each field once, in the order first sent, its values together
/// (`name: value` when it is one line; else the lines indented below the name, each value
/// of several starting with `- `); then where and when it was sent.
pub fn body(s: &Submission) -> String {
    let mut names: Vec<&str> = Vec::new();
    for (name, _) in &s.fields {
        if !names.contains(&name.as_str()) && !CONTROL_FIELDS.contains(&name.as_str()) {
            names.push(name);
        }
    }
    let mut out = String::new();
    for name in names {
        let values: Vec<Vec<String>> = s
            .fields
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| lines(v))
            .collect();
        let name = lines(name).join(" ");
        match values.as_slice() {
            [one] if one.len() == 1 => out.push_str(&format!("{name}: {}\n", one[0])),
            [one] => {
                out.push_str(&format!("{name}:\n"));
                for line in one {
                    out.push_str(&format!("  {line}\n"));
                }
            }
            several => {
                out.push_str(&format!("{name}:\n"));
                for value in several {
                    for (i, line) in value.iter().enumerate() {
                        let lead = if i == 0 { "- " } else { "  " };
                        out.push_str(&format!("  {lead}{line}\n"));
                    }
                }
            }
        }
    }
    let origin = s
        .origin
        .as_deref()
        .map_or("no Origin header".to_owned(), visible);
    out.push_str(&format!(
        "\n-- \nSubmission {} from {origin}, received {}.\n",
        s.id, s.received
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submission(fields: &[(&str, &str)]) -> Submission {
        Submission {
            id: 7,
            form: "contact".into(),
            received: "2026-11-24T09:00:00Z".into(),
            origin: Some("http://127.0.0.1:8080".into()),
            fields: fields
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            delivery: None,
        }
    }

    #[test]
    fn the_body_lists_fields_in_order_with_values_together() {
        let s = submission(&[
            ("subject", "Hi"),
            ("topic", "a"),
            ("message", "one\r\ntwo\rthree\nfour"),
            ("topic", "b"),
            ("_replyto", "x@y.z"),
            ("_subject", "S"),
        ]);
        assert_eq!(
            body(&s),
            "subject: Hi\ntopic:\n  - a\n  - b\nmessage:\n  one\n  two\n  three\n  four\n\
             \n-- \nSubmission 7 from http://127.0.0.1:8080, received 2026-11-24T09:00:00Z.\n"
        );
    }

    #[test]
    fn control_characters_are_shown_not_sent() {
        let s = submission(&[("a\nb", "x\0y\x1b\x7f\u{85}\tz")]);
        assert!(
            body(&s).starts_with("a b: x␀y␛␡\u{fffd}\tz\n"),
            "{}",
            body(&s)
        );
    }

    #[test]
    fn the_subject_is_one_line_and_bounded() {
        assert_eq!(one_line(" a\r\nBcc: x@y.z\0 "), "a Bcc: x@y.z");
        let long = one_line(&"é".repeat(300));
        assert_eq!(long.chars().count(), MAX_SUBJECT + 1);
        assert_eq!(
            expand("{form}: {subject} {x} {", |k| (k == "form"
                || k == "subject")
                .then(|| k.to_uppercase())),
            "FORM: SUBJECT  {"
        );
    }

    #[test]
    fn retries_double_up_to_the_cap_with_jitter() {
        let retry = Retry {
            attempts: 5,
            delay: Duration::from_secs(10),
            max_delay: Duration::from_secs(60),
        };
        for _ in 0..100 {
            let w = |n| retry.wait(n).as_secs_f64();
            assert!((5.0..=10.0).contains(&w(1)));
            assert!((10.0..=20.0).contains(&w(2)));
            assert!((30.0..=60.0).contains(&w(9)));
            assert!((30.0..=60.0).contains(&w(u32::MAX)));
        }
    }

    #[test]
    fn smtp_urls() {
        let s = Smtp::parse("smtp://127.0.0.1:2525", None).unwrap();
        assert_eq!(
            (s.port, s.security, s.credentials),
            (2525, Security::Plain, None)
        );
        let s = Smtp::parse("smtp://u%40x:p%3Aw@mail.example?tls=starttls", None).unwrap();
        assert_eq!(s.port, 587);
        assert_eq!(s.security, Security::StartTls);
        assert_eq!(s.credentials, Some(("u@x".into(), "p:w".into())));
        assert_eq!(format!("{s:?}"), "smtp://mail.example:587 (STARTTLS)");
        let s = Smtp::parse("smtps://[::1]/relay.example", None).unwrap();
        assert_eq!((s.port, s.security), (465, Security::Tls));
        assert_eq!(s.hello.as_deref(), Some("relay.example"));
        assert_eq!(s.describe(), "smtps://[::1]:465 (TLS)");
        for bad in [
            "http://x",
            "smtp://x?tls=maybe",
            "smtps://x?tls=starttls",
            "smtp://u@x",
            "smtp://:p@x",
            "not a url",
        ] {
            assert!(Smtp::parse(bad, None).is_err(), "{bad}");
        }
    }
}
