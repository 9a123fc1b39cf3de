//! `serve`'s settings: the command-line flags and `corsform.toml` are read into the same
//! typed structs, [`Settings`] (server-wide: the top of the file) and [`FormSettings`]
//! (one form: a `[forms.NAME]` table, or the flags for the one form). A key is named like
//! its flag (`allow-origin`, `rate-limit`, `mail-to`); `--rules FILE` is `rules-file`, and
//! a form's `rules` and `messages` may be written inline as TOML tables in the shapes of
//! the JS options ([`corsform::RulesOptions`]).
//!
//! Unknown keys and bad values are refused before the server starts, with the file, the
//! line and column, and the key: `corsform.toml:7:16: forms.quote.rate-limit: …`.
//!
//! ```
//! let settings = corsform_server::config::parse(
//!     "corsform.toml".as_ref(),
//!     r#"
//!     listen = "127.0.0.1:8081"
//!     [forms.contact]
//!     allow-origin = ["https://www.example.org"]
//!     rules = { email = "required email" }
//!     "#,
//! )
//! .unwrap();
//! assert_eq!(settings.forms.0[0].0, "contact");
//! ```

use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use corsform::{Entries, FieldMessagesSpec, FieldRulesSpec, RuleSet, RulesFile, RulesOptions};
use serde::Deserialize;
use toml::de::{DeTable, DeValue};

use crate::mail::{Mail, Retry, Smtp};
use crate::proxy::{ForwardedHeader, Proxies};
use crate::store::{self, Store};
use crate::{parse_origin, parse_redirect, Config, ConfigError, Rules};

/// Server-wide settings: `serve`'s flags, and the top level of `corsform.toml`. Every
/// field is optional here; [`Settings::resolve`] applies the defaults.
#[derive(clap::Args, Deserialize, Clone, Debug, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port (the line printed at start names
    /// it). [default: 127.0.0.1:8081]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// Where submissions are stored: a SQLite database file (created if missing, must be
    /// writable), or a PostgreSQL database, postgres://user:password@host:port/database
    /// (several instances may share it; the password may come from PGPASSWORD instead). In
    /// the file: `db`, or `url` in a [store] table.
    /// [default: corsform.db]
    #[arg(long, value_name = "PATH|URL")]
    pub db: Option<String>,

    /// PostgreSQL: seconds an outbox row claimed by an instance stays its own; an instance
    /// that dies (kill -9) leaves its rows to the others after this. Each delivery attempt
    /// is bounded to end within it. [default: 30]
    #[arg(long, value_name = "SECONDS")]
    pub outbox_lease: Option<f64>,

    /// PostgreSQL: the most connections of the instance's pool (and one more, to LISTEN for
    /// the other instances' commits). [default: 16]
    #[arg(long, value_name = "N")]
    pub pool_size: Option<usize>,

    /// The `[store]` table of the file: `url` (as `db`), `outbox-lease`, `pool-size`.
    #[arg(skip)]
    pub store: Option<StoreSettings>,

    /// Seconds one request may take, reading the body and committing included; then 408.
    /// [default: 30]
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,

    /// Seconds a request head may take to arrive, from the connection's start or the
    /// previous answer (so also how long a keep-alive connection may stay idle); then the
    /// connection is closed. [default: 10]
    #[arg(long, value_name = "SECONDS")]
    pub header_timeout: Option<f64>,

    /// The most connections open at once. Past it, a new one closes the oldest that has
    /// no request under way, or waits up to a second for a place. [default: half the
    /// process's file-descriptor limit, logged at start]
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,

    /// A reverse proxy (nginx, Caddy, a load balancer) trusted to say who its client is:
    /// an address or a network, 10.0.0.0/8, ::1/128. Repeat for several. A connection
    /// from one is rate-limited by the client address its forwarding header names.
    #[arg(long, value_name = "CIDR")]
    #[serde(default)]
    pub trusted_proxy: Vec<String>,

    /// The header the trusted proxies write the client's address to: x-forwarded-for or
    /// forwarded (RFC 7239). Read right to left; the other header is ignored. [default:
    /// x-forwarded-for]
    #[arg(long, value_name = "NAME")]
    pub forwarded_header: Option<ForwardedHeader>,

    /// Mail each submission through this SMTP server: smtp://host[:port] (no TLS, for a
    /// relay on this machine), smtp://host?tls=starttls (STARTTLS, port 587),
    /// smtps://host (TLS, port 465); user:password@ before the host for AUTH. Without it,
    /// submissions are stored only.
    #[arg(long, value_name = "URL")]
    pub smtp: Option<String>,

    /// A file whose first line is the SMTP password (instead of one in the URL).
    #[arg(long, value_name = "PATH")]
    pub smtp_password_file: Option<PathBuf>,

    /// The notifications' From: and envelope sender, an address of your own domain
    /// (never the visitor's: that fails SPF and DMARC). Needed with --smtp.
    #[arg(long, value_name = "ADDR")]
    pub mail_from: Option<String>,

    /// The most attempts per notification; a 4xx reply, a connection failure or a
    /// timeout is retried until then, a 5xx reply is not. Then it is marked failed.
    /// [default: 10]
    #[arg(long, value_name = "N")]
    pub mail_attempts: Option<u32>,

    /// Seconds to wait after a first failed attempt; doubled after each further one, with
    /// jitter (a random 50-100% of it). [default: 30]
    #[arg(long, value_name = "SECONDS")]
    pub mail_retry_delay: Option<f64>,

    /// The longest wait between two attempts, in seconds. [default: 3600]
    #[arg(long, value_name = "SECONDS")]
    pub mail_retry_max_delay: Option<f64>,

    /// Seconds one delivery attempt may take (connecting, the SMTP conversation, the
    /// reply); then the connection is closed and the attempt is retried. [default: 30]
    #[arg(long, value_name = "SECONDS")]
    pub smtp_timeout: Option<f64>,

    /// The forms, in the file's order (`[forms.NAME]` tables). From the flags: the one
    /// form `contact`.
    #[arg(skip)]
    #[serde(default)]
    pub forms: Entries<FormSettings>,
}

/// The `[store]` table of `corsform.toml`: where submissions are stored.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StoreSettings {
    /// As `--db`: a SQLite file's path or a `postgres://` URL.
    pub url: Option<String>,
    /// As `--outbox-lease`.
    pub outbox_lease: Option<f64>,
    /// As `--pool-size`.
    pub pool_size: Option<usize>,
}

/// One form's settings: a `[forms.NAME]` table, or `serve`'s flags for the one form.
#[derive(clap::Args, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FormSettings {
    /// An origin whose pages may post, exactly as browsers send it: scheme://host[:port],
    /// no path, no trailing slash. Repeat for several. `*` and `null` are refused.
    /// [default: http://127.0.0.1:8080 and http://localhost:8080]
    #[arg(long, value_name = "ORIGIN")]
    #[serde(default)]
    pub allow_origin: Vec<String>,

    /// A JSON file {"rules": {...}, "messages": {...}} in jquery-validation's shapes, the
    /// same as the JS `rules`/`messages` options (`rules-file` in corsform.toml).
    /// Default: the contact form's rules (subject and message required, from an e-mail
    /// address).
    #[arg(long = "rules", value_name = "FILE")]
    pub rules_file: Option<PathBuf>,

    /// The rules inline (corsform.toml only), as the JS `rules` option.
    #[arg(skip)]
    pub rules: Option<Entries<FieldRulesSpec>>,

    /// The messages inline (corsform.toml only), as the JS `messages` option.
    #[arg(skip)]
    pub messages: Option<Entries<FieldMessagesSpec>>,

    /// The language of the default messages (corsform.toml only), as a rules file's
    /// `lang`: `de`, `fr`, `es`, `nl` or `pt` (a tag's primary subtag); English when
    /// absent. With no inline `rules`, the contact form's rules in that language.
    #[arg(skip)]
    pub lang: Option<String>,

    /// Where a plain (no-JavaScript) form post is sent with 303 after it is stored: a path
    /// on this server or an http(s) URL. [default: /thanks]
    #[arg(long, value_name = "URL")]
    pub redirect: Option<String>,

    /// Where a plain form post is sent with 303 when it is incomplete or malformed.
    /// [default: /invalid]
    #[arg(long, value_name = "URL")]
    pub redirect_invalid: Option<String>,

    /// POSTs per minute per client address (IPv6: per /64), every attempt counted; a
    /// burst of N, then one every 60/N s. More get 429 with Retry-After. 0 = off.
    /// [default: 10]
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<u32>,

    /// A hidden field people leave empty and bots fill in: a submission with it non-empty
    /// is answered as stored but dropped. The field is never checked or stored. "" =
    /// none. [default: _gotcha]
    #[arg(long, value_name = "NAME")]
    pub honeypot: Option<String>,

    /// The longest accepted field name or value, in characters; longer gets 413.
    /// [default: 10000]
    #[arg(long, value_name = "CHARS")]
    pub max_field_len: Option<usize>,

    /// The largest accepted request body in bytes; larger gets 413. [default: 65536]
    #[arg(long, value_name = "BYTES")]
    pub max_body: Option<usize>,

    /// The largest accepted number of name=value pairs; more gets 413. [default: 100]
    #[arg(long, value_name = "N")]
    pub max_fields: Option<usize>,

    /// Who receives the notifications. Repeat for several. Needed with --smtp.
    #[arg(long, value_name = "ADDR")]
    #[serde(default)]
    pub mail_to: Vec<String>,

    /// The subject: {NAME} is the first value of field NAME, {form} the form's name,
    /// {id} the submission id. A `_subject` field replaces it. [default: Message from
    /// the {form} form]
    #[arg(long, value_name = "TEMPLATE")]
    pub subject: Option<String>,

    /// An address a `_cc` field may copy the notification to. Repeat for several; any
    /// other `_cc` address is ignored.
    #[arg(long, value_name = "ADDR")]
    #[serde(default)]
    pub allow_cc: Vec<String>,

    /// Days a submission (and its notification) is kept; older ones are deleted, checked
    /// at start and hourly. Default: kept until `corsform-server delete`.
    #[arg(long, value_name = "N")]
    pub retain_days: Option<u32>,
}

/// Everything `serve` runs with, the defaults applied and every value checked.
#[derive(Debug)]
pub struct Server {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The forms, the first one answering `/contact` too.
    pub forms: Vec<Config>,
    /// `--header-timeout`.
    pub header_timeout: Duration,
    /// `--max-connections`, when set.
    pub max_connections: Option<usize>,
}

/// Where settings came from, for the error messages: the flags name themselves; a file's
/// errors name the file, the line and column, and the key.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    /// The command line.
    Flags,
    /// A TOML file and its text.
    File {
        /// The file, as given to `--config`.
        path: &'a Path,
        /// Its text.
        text: &'a str,
    },
}

impl Source<'_> {
    /// `e` about the value at `keys` (`["forms", "quote", "rate-limit"]`), located.
    fn at(&self, keys: &[&str], e: ConfigError) -> ConfigError {
        let Source::File { path, text } = *self else {
            return e;
        };
        let span = DeTable::parse(text)
            .ok()
            .and_then(|table| span_of(table.get_ref(), keys));
        // The flag's name opens the message; the key replaces it.
        let flag = format!("--{} ", keys.last().unwrap_or(&""));
        let message = e.0.strip_prefix(&flag).unwrap_or(&e.0);
        ConfigError(format!(
            "{}: {}: {message}",
            place(path, text, span),
            keys.join(".")
        ))
    }
}

/// `path:line:column` of a byte range's start (both counted from 1).
fn place(path: &Path, text: &str, span: Option<Range<usize>>) -> String {
    let Some(span) = span else {
        return path.display().to_string();
    };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("{}:{line}:{column}", path.display())
}

/// The span of the value at `keys`.
fn span_of(table: &DeTable<'_>, keys: &[&str]) -> Option<Range<usize>> {
    let (first, rest) = keys.split_first()?;
    let (_, value) = table.iter().find(|(k, _)| k.get_ref() == first)?;
    match (rest.is_empty(), value.get_ref()) {
        (true, _) => Some(value.span()),
        (false, DeValue::Table(inner)) => span_of(inner, rest),
        _ => Some(value.span()),
    }
}

/// The dotted key whose key or value holds the byte `at`, as deep as it goes. A table's
/// own span may not cover its keys (`[forms.quote]` opens it lines above them), so every
/// table is searched.
fn key_at(table: &DeTable<'_>, at: usize) -> Vec<String> {
    let holds = |span: Range<usize>| span.start <= at && at < span.end.max(span.start + 1);
    for (key, value) in table.iter() {
        let inner = match value.get_ref() {
            DeValue::Table(inner) => key_at(inner, at),
            _ => Vec::new(),
        };
        if !inner.is_empty() || holds(key.span()) || holds(value.span()) {
            let mut path = vec![key.get_ref().to_string()];
            path.extend(inner);
            return path;
        }
    }
    Vec::new()
}

/// Reads `corsform.toml`'s text into [`Settings`]: unknown keys, values of the wrong type
/// and TOML syntax errors are refused with `path:line:column: key: message`.
pub fn parse(path: &Path, text: &str) -> Result<Settings, ConfigError> {
    toml::from_str(text).map_err(|e: toml::de::Error| {
        let span = e.span();
        let key = match (&span, DeTable::parse(text)) {
            (Some(span), Ok(table)) => key_at(table.get_ref(), span.start).join("."),
            _ => String::new(),
        };
        let message = e.message().trim().replace('\n', " ");
        if key.is_empty() {
            ConfigError(format!("{}: {message}", place(path, text, span)))
        } else {
            ConfigError(format!("{}: {key}: {message}", place(path, text, span)))
        }
    })
}

/// The database `export`, `delete` and `resend` work on: `db` (their `--db`), else the
/// `--config` file's `db` or `url` in its `[store]` table, as `serve` reads them;
/// `corsform.db` without either. Errors: the file can't be read or parsed, or gives both.
pub fn database(db: Option<String>, config: Option<&Path>) -> Result<store::Location, ConfigError> {
    let Some(path) = config else {
        return Ok(store::Location::parse(
            db.as_deref().unwrap_or("corsform.db"),
        ));
    };
    let (file, text) = load(path)?;
    let flags = Settings {
        db,
        ..Settings::default()
    };
    let (db, _) = file
        .overlaid_with(flags)
        .db(Source::File { path, text: &text })?;
    Ok(store::Location::parse(&db))
}

/// Reads the file `--config` names with [`parse`].
pub fn load(path: &Path) -> Result<(Settings, String), ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("--config {}: {e}", path.display())))?;
    Ok((parse(path, &text)?, text))
}

impl Settings {
    /// The file's settings with every server-wide flag that was given laid over them.
    pub fn overlaid_with(self, flags: Settings) -> Settings {
        fn pick<T>(flag: Option<T>, file: Option<T>) -> Option<T> {
            flag.or(file)
        }
        // A flag replaces the file's setting wherever the file gives it.
        let store = self.store.map(|store| StoreSettings {
            url: store.url.filter(|_| flags.db.is_none()),
            outbox_lease: store.outbox_lease.filter(|_| flags.outbox_lease.is_none()),
            pool_size: store.pool_size.filter(|_| flags.pool_size.is_none()),
        });
        Settings {
            listen: pick(flags.listen, self.listen),
            db: pick(flags.db, self.db),
            outbox_lease: pick(flags.outbox_lease, self.outbox_lease),
            pool_size: pick(flags.pool_size, self.pool_size),
            store,
            timeout: pick(flags.timeout, self.timeout),
            header_timeout: pick(flags.header_timeout, self.header_timeout),
            max_connections: pick(flags.max_connections, self.max_connections),
            trusted_proxy: if flags.trusted_proxy.is_empty() {
                self.trusted_proxy
            } else {
                flags.trusted_proxy
            },
            forwarded_header: pick(flags.forwarded_header, self.forwarded_header),
            smtp: pick(flags.smtp, self.smtp),
            smtp_password_file: pick(flags.smtp_password_file, self.smtp_password_file),
            mail_from: pick(flags.mail_from, self.mail_from),
            mail_attempts: pick(flags.mail_attempts, self.mail_attempts),
            mail_retry_delay: pick(flags.mail_retry_delay, self.mail_retry_delay),
            mail_retry_max_delay: pick(flags.mail_retry_max_delay, self.mail_retry_max_delay),
            smtp_timeout: pick(flags.smtp_timeout, self.smtp_timeout),
            forms: self.forms,
        }
    }

    /// Applies the defaults and checks every value; opens the database (which must be
    /// writable; PostgreSQL's tables are created or migrated). Errors name the flag, or the
    /// file, line and key. Needs a tokio runtime.
    pub async fn resolve(self, source: Source<'_>) -> Result<Server, ConfigError> {
        let top = |key: &str, e: ConfigError| source.at(&[key], e);
        if self.forms.0.is_empty() {
            return Err(ConfigError(match source {
                Source::File { path, .. } => {
                    format!("{}: no [forms.NAME] table", path.display())
                }
                Source::Flags => "no form".into(),
            }));
        }
        let timeout = self.timeout.unwrap_or(30);
        if timeout == 0 {
            return Err(top(
                "timeout",
                ConfigError("--timeout must be at least 1 second".into()),
            ));
        }
        let header_timeout = seconds("--header-timeout", self.header_timeout, 10.0)
            .map_err(|e| top("header-timeout", e))?;
        let proxies = Proxies {
            trusted: self
                .trusted_proxy
                .iter()
                .map(|text| parse_cidr(text))
                .collect::<Result<_, _>>()
                .map_err(|e| top("trusted-proxy", e))?,
            header: self.forwarded_header.unwrap_or_default(),
        };
        let mail = self.mail(source)?;
        let store = self.store(source).await?;
        let mut forms = Vec::new();
        for (name, form) in &self.forms.0 {
            let at = |key: &str, e: ConfigError| match source {
                Source::Flags => e,
                Source::File { .. } => source.at(&["forms", name, key], e),
            };
            if !is_form_name(name) {
                return Err(source.at(
                    &["forms", name],
                    ConfigError(format!(
                        "{name:?} is not a form name: lowercase letters, digits, - and _"
                    )),
                ));
            }
            forms.push(form.resolve(name, &at, &mail, &store, &proxies, timeout)?);
        }
        Ok(Server {
            listen: self.listen.unwrap_or(([127, 0, 0, 1], 8081).into()),
            forms,
            header_timeout,
            max_connections: self.max_connections,
        })
    }

    /// `db`, or `url` in the `[store]` table, with the key it came from; `corsform.db`
    /// without either. Errors: both are given.
    fn db(&self, source: Source<'_>) -> Result<(String, &'static [&'static str]), ConfigError> {
        let url = self.store.as_ref().and_then(|table| table.url.clone());
        Ok(match (&self.db, url) {
            (Some(_), Some(_)) => {
                return Err(source.at(
                    &["store", "url"],
                    ConfigError("db and [store] url: give one".into()),
                ))
            }
            (Some(db), None) => (db.clone(), &["db"]),
            (None, Some(url)) => (url, &["store", "url"]),
            (None, None) => ("corsform.db".into(), &["db"]),
        })
    }

    /// Opens `db` (or `[store] url`) with the store's options.
    async fn store(&self, source: Source<'_>) -> Result<Store, ConfigError> {
        let table = self.store.clone().unwrap_or_default();
        let twice = |key: &str, flag: &str| {
            source.at(
                &["store", key],
                ConfigError(format!("{flag} and [store] {key}: give one")),
            )
        };
        let (db, key) = self.db(source)?;
        let (lease, lease_key) = match (self.outbox_lease, table.outbox_lease) {
            (Some(_), Some(_)) => return Err(twice("outbox-lease", "outbox-lease")),
            (Some(s), None) => (Some(s), ["outbox-lease"].as_slice()),
            (None, s) => (s, ["store", "outbox-lease"].as_slice()),
        };
        let (pool_size, pool_key) = match (self.pool_size, table.pool_size) {
            (Some(_), Some(_)) => return Err(twice("pool-size", "pool-size")),
            (Some(n), None) => (Some(n), ["pool-size"].as_slice()),
            (None, n) => (n, ["store", "pool-size"].as_slice()),
        };
        let default = store::Options::default();
        let options = store::Options {
            lease: seconds("--outbox-lease", lease, default.lease.as_secs_f64())
                .map_err(|e| source.at(lease_key, e))?,
            pool_size: match pool_size {
                Some(0) => {
                    return Err(source.at(
                        pool_key,
                        ConfigError("--pool-size must be at least 1".into()),
                    ))
                }
                n => n.unwrap_or(default.pool_size),
            },
        };
        let location = store::Location::parse(&db);
        Store::connect(&location, &options)
            .await
            .map_err(|e| source.at(key, ConfigError(e.to_string())))
    }

    /// The server-wide mail settings (each form adds its recipients); `None` without
    /// `smtp`.
    fn mail(&self, source: Source<'_>) -> Result<Option<Mail>, ConfigError> {
        let top = |key: &str, e: ConfigError| source.at(&[key], e);
        let Some(url) = &self.smtp else {
            if self.mail_from.is_some() {
                return Err(top(
                    "mail-from",
                    ConfigError("--mail-from needs --smtp (the server that sends the mail)".into()),
                ));
            }
            return Ok(None);
        };
        let smtp =
            Smtp::parse(url, self.smtp_password_file.as_deref()).map_err(|e| top("smtp", e))?;
        let from = self.mail_from.as_deref().ok_or_else(|| {
            top(
                "smtp",
                ConfigError("--smtp needs --mail-from (the notifications' sender)".into()),
            )
        })?;
        let from = address("--mail-from", from)
            .map_err(|e| top("mail-from", e))?
            .into();
        let attempts = self.mail_attempts.unwrap_or(Retry::default().attempts);
        if attempts == 0 {
            return Err(top(
                "mail-attempts",
                ConfigError("--mail-attempts must be at least 1".into()),
            ));
        }
        let retry = Retry {
            attempts,
            delay: seconds("--mail-retry-delay", self.mail_retry_delay, 30.0)
                .map_err(|e| top("mail-retry-delay", e))?,
            max_delay: seconds("--mail-retry-max-delay", self.mail_retry_max_delay, 3600.0)
                .map_err(|e| top("mail-retry-max-delay", e))?,
        };
        Ok(Some(Mail {
            retry,
            timeout: seconds("--smtp-timeout", self.smtp_timeout, 30.0)
                .map_err(|e| top("smtp-timeout", e))?,
            ..Mail::new(smtp, from, Vec::new())
        }))
    }
}

impl FormSettings {
    fn resolve(
        &self,
        name: &str,
        at: &dyn Fn(&str, ConfigError) -> ConfigError,
        mail: &Option<Mail>,
        store: &Store,
        proxies: &Proxies,
        timeout: u64,
    ) -> Result<Config, ConfigError> {
        let defaults = Config::new(store.clone());
        let allow_origins = if self.allow_origin.is_empty() {
            defaults.allow_origins.clone()
        } else {
            self.allow_origin
                .iter()
                .map(|o| parse_origin(o))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| at("allow-origin", e))?
        };
        let inline = self.rules.is_some() || self.messages.is_some() || self.lang.is_some();
        let rules = match (&self.rules_file, inline) {
            (Some(_), true) => {
                return Err(at(
                    "rules-file",
                    ConfigError(
                        "rules-file and inline rules, messages or lang: give one (a rules \
                         file has its own \"lang\")"
                            .into(),
                    ),
                ))
            }
            (Some(path), false) => Rules::from_file(path).map_err(|e| at("rules-file", e))?,
            (None, true) => {
                let options = match (&self.rules, &self.messages) {
                    (None, None) => RulesOptions::seed(),
                    (rules, messages) => RulesOptions {
                        rules: rules.clone().unwrap_or_default(),
                        messages: messages.clone().unwrap_or_default(),
                    },
                };
                let key = match (&self.rules, &self.messages) {
                    (Some(_), _) => "rules",
                    (None, Some(_)) => "messages",
                    (None, None) => "lang",
                };
                let file = RulesFile {
                    options,
                    lang: self.lang.clone(),
                    ..RulesFile::default()
                };
                RuleSet::from_rules_file(&file)
                    .map_err(|e| ConfigError(e.to_string()))
                    .and_then(Rules::new)
                    .map_err(|e| at(key, e))?
            }
            (None, false) => Rules::seed(),
        };
        let redirect = |key: &str, value: &Option<String>, default: &str| {
            parse_redirect(&format!("--{key}"), value.as_deref().unwrap_or(default))
                .map_err(|e| at(key, e))
        };
        let mail = match mail {
            None if !self.mail_to.is_empty() => {
                return Err(at(
                    "mail-to",
                    ConfigError("--mail-to needs --smtp (the server that sends the mail)".into()),
                ))
            }
            None => None,
            Some(_) if self.mail_to.is_empty() => {
                return Err(at(
                    "mail-to",
                    ConfigError("--smtp needs --mail-to (who receives the notifications)".into()),
                ))
            }
            Some(mail) => Some(Arc::new(Mail {
                to: self
                    .mail_to
                    .iter()
                    .map(|a| address("--mail-to", a).map(Into::into))
                    .collect::<Result<_, _>>()
                    .map_err(|e| at("mail-to", e))?,
                subject: self
                    .subject
                    .clone()
                    .unwrap_or_else(|| crate::mail::DEFAULT_SUBJECT.into()),
                allow_cc: self
                    .allow_cc
                    .iter()
                    .map(|a| address("--allow-cc", a))
                    .collect::<Result<_, _>>()
                    .map_err(|e| at("allow-cc", e))?,
                form: name.to_owned(),
                ..mail.clone()
            })),
        };
        if self.retain_days == Some(0) {
            return Err(at(
                "retain-days",
                ConfigError("--retain-days must be at least 1".into()),
            ));
        }
        Ok(Config {
            name: name.to_owned(),
            retain_days: self.retain_days,
            allow_origins,
            rules,
            redirect: redirect("redirect", &self.redirect, "/thanks")?,
            redirect_invalid: redirect("redirect-invalid", &self.redirect_invalid, "/invalid")?,
            max_body: self.max_body.unwrap_or(defaults.max_body),
            max_fields: self.max_fields.unwrap_or(defaults.max_fields),
            max_field_len: self.max_field_len.unwrap_or(defaults.max_field_len),
            honeypot: match &self.honeypot {
                Some(name) => Some(name.clone()).filter(|name| !name.is_empty()),
                None => defaults.honeypot.clone(),
            },
            rate_limit: self.rate_limit.unwrap_or(defaults.rate_limit),
            timeout: Duration::from_secs(timeout),
            proxies: proxies.clone(),
            mail,
            ..defaults
        })
    }
}

/// A form's name is a path segment: `/f/NAME`.
fn is_form_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// An e-mail address given in the settings.
fn address(flag: &str, text: &str) -> Result<lettre::Address, ConfigError> {
    text.parse::<lettre::Address>()
        .map_err(|e| ConfigError(format!("{flag} {text:?}: not an e-mail address ({e})")))
}

/// A number of seconds (`default` when not given), at least 1 ms.
fn seconds(flag: &str, value: Option<f64>, default: f64) -> Result<Duration, ConfigError> {
    Duration::try_from_secs_f64(value.unwrap_or(default))
        .ok()
        .filter(|d| *d >= Duration::from_millis(1))
        .ok_or_else(|| {
            ConfigError(format!(
                "{flag} must be a number of seconds of at least 0.001"
            ))
        })
}

/// `trusted-proxy`: a network, or one address (a /32 or /128).
fn parse_cidr(text: &str) -> Result<ipnet::IpNet, ConfigError> {
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| {
            ConfigError(format!(
                "--trusted-proxy {text:?}: not an address or a network (10.0.0.0/8, ::1/128)"
            ))
        })
}
