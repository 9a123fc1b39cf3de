//! `corsform-server`: the command line. `serve` runs the endpoint (and, with `--smtp`, the
//! outbox that mails each submission), `export` prints what it stored and where each
//! notification stands, `resend` queues notifications again. Everything else lives in the
//! library (`corsform_server::app`, `corsform_server::Outbox`).

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use std::sync::Arc;

use corsform_server::connections::{self, Limits};
use corsform_server::mail::{Mail, Retry, Smtp};
use corsform_server::proxy::{ForwardedHeader, Proxies};
use corsform_server::{
    app, parse_origin, parse_redirect, store, Config, ConfigError, Outbox, Rules, Store,
};

/// The endpoint a corsform page posts to: CORS preflight, the same validation as the
/// browser, durable SQLite storage.
#[derive(Parser, Debug)]
#[command(name = "corsform-server", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve POST /contact (and its CORS preflight) until interrupted.
    Serve(Box<Serve>),
    /// Print every stored submission as one JSON object per line, with where its
    /// notification stands (`delivery`: pending, sent with the time, failed with the reason).
    Export {
        /// The SQLite database written by `serve`.
        #[arg(long, value_name = "PATH", default_value = "corsform.db")]
        db: PathBuf,
    },
    /// Queue notifications again: one submission's (`--id N`), or every failed one
    /// (`--failed`). A running server sends them within 5 seconds; safe to run beside it.
    #[command(group = clap::ArgGroup::new("which").required(true))]
    Resend {
        /// The SQLite database written by `serve`.
        #[arg(long, value_name = "PATH", default_value = "corsform.db")]
        db: PathBuf,
        /// The submission whose notification is sent again (whatever its state).
        #[arg(long, value_name = "N", group = "which")]
        id: Option<i64>,
        /// Every notification marked failed.
        #[arg(long, group = "which")]
        failed: bool,
    },
}

#[derive(Parser, Debug)]
struct Serve {
    /// Address to listen on; port 0 picks a free port (the line printed at start names it).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8081")]
    listen: SocketAddr,

    /// An origin whose pages may post, exactly as browsers send it: scheme://host[:port],
    /// no path, no trailing slash. Repeat for several. `*` and `null` are refused.
    #[arg(
        long = "allow-origin",
        value_name = "ORIGIN",
        default_values_t = corsform_server::DEFAULT_ORIGINS.map(String::from)
    )]
    allow_origin: Vec<String>,

    /// The SQLite database file; created if missing, must be writable.
    #[arg(long, value_name = "PATH", default_value = "corsform.db")]
    db: PathBuf,

    /// A JSON file {"rules": {...}, "messages": {...}} in jquery-validation's shapes, the
    /// same as the JS `rules`/`messages` options. Default: the contact form's rules
    /// (subject and message required, from an e-mail address).
    #[arg(long, value_name = "FILE")]
    rules: Option<PathBuf>,

    /// Where a plain (no-JavaScript) form post is sent with 303 after it is stored: a path
    /// on this server or an http(s) URL. The default page is served by this server.
    #[arg(long, value_name = "URL", default_value = "/thanks")]
    redirect: String,

    /// Where a plain form post is sent with 303 when it is incomplete or malformed.
    #[arg(
        long = "redirect-invalid",
        value_name = "URL",
        default_value = "/invalid"
    )]
    redirect_invalid: String,

    /// POSTs per minute per client address (IPv6: per /64), every attempt counted; a
    /// burst of N, then one every 60/N s. More get 429 with Retry-After. 0 = off.
    #[arg(long = "rate-limit", value_name = "N", default_value_t = corsform_server::DEFAULT_RATE_LIMIT)]
    rate_limit: u32,

    /// A hidden field people leave empty and bots fill in: a submission with it non-empty
    /// is answered as stored but dropped. The field is never checked or stored. "" = none.
    #[arg(long, value_name = "NAME", default_value = corsform_server::DEFAULT_HONEYPOT)]
    honeypot: String,

    /// The longest accepted field name or value, in characters; longer gets 413.
    #[arg(long = "max-field-len", value_name = "CHARS", default_value_t = corsform_server::DEFAULT_MAX_FIELD_LEN)]
    max_field_len: usize,

    /// The largest accepted request body in bytes; larger gets 413.
    #[arg(long = "max-body", value_name = "BYTES", default_value_t = corsform_server::DEFAULT_MAX_BODY)]
    max_body: usize,

    /// The largest accepted number of name=value pairs; more gets 413.
    #[arg(long = "max-fields", value_name = "N", default_value_t = corsform_server::DEFAULT_MAX_FIELDS)]
    max_fields: usize,

    /// Seconds one request may take, reading the body and committing included; then 408.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    timeout: u64,

    /// Seconds a request head may take to arrive, from the connection's start or the
    /// previous answer (so also how long a keep-alive connection may stay idle); then the
    /// connection is closed.
    #[arg(
        long = "header-timeout",
        value_name = "SECONDS",
        default_value_t = 10.0
    )]
    header_timeout: f64,

    /// The most connections open at once. Past it, a new one closes the oldest that has
    /// no request under way, or waits up to a second for a place. Default: half the
    /// process's file-descriptor limit (logged at start).
    #[arg(long = "max-connections", value_name = "N")]
    max_connections: Option<usize>,

    /// A reverse proxy (nginx, Caddy, a load balancer) trusted to say who its client is:
    /// an address or a network, 10.0.0.0/8, ::1/128. Repeat for several. A connection
    /// from one is rate-limited by the client address its forwarding header names.
    #[arg(long = "trusted-proxy", value_name = "CIDR", value_parser = parse_cidr)]
    trusted_proxy: Vec<ipnet::IpNet>,

    /// The header the trusted proxies write the client's address to: x-forwarded-for or
    /// forwarded (RFC 7239). Read right to left; the other header is ignored.
    #[arg(
        long = "forwarded-header",
        value_name = "NAME",
        default_value = "x-forwarded-for"
    )]
    forwarded_header: ForwardedHeader,

    /// Mail each submission through this SMTP server: smtp://host[:port] (no TLS, for a
    /// relay on this machine), smtp://host?tls=starttls (STARTTLS, port 587),
    /// smtps://host (TLS, port 465); user:password@ before the host for AUTH. Without it,
    /// submissions are stored only.
    #[arg(long, value_name = "URL")]
    smtp: Option<String>,

    /// A file whose first line is the SMTP password (instead of one in the URL).
    #[arg(long = "smtp-password-file", value_name = "PATH")]
    smtp_password_file: Option<PathBuf>,

    /// Who receives the notifications. Repeat for several. Needed with --smtp.
    #[arg(long = "mail-to", value_name = "ADDR")]
    mail_to: Vec<String>,

    /// The notifications' From: and envelope sender, an address of your own domain
    /// (never the visitor's: that fails SPF and DMARC). Needed with --smtp.
    #[arg(long = "mail-from", value_name = "ADDR")]
    mail_from: Option<String>,

    /// The subject: {NAME} is the first value of field NAME, {form} the form's name,
    /// {id} the submission id. A `_subject` field replaces it.
    #[arg(long, value_name = "TEMPLATE", default_value = corsform_server::mail::DEFAULT_SUBJECT)]
    subject: String,

    /// An address a `_cc` field may copy the notification to. Repeat for several; any
    /// other `_cc` address is ignored.
    #[arg(long = "allow-cc", value_name = "ADDR")]
    allow_cc: Vec<String>,

    /// The most attempts per notification; a 4xx reply, a connection failure or a
    /// timeout is retried until then, a 5xx reply is not. Then it is marked failed.
    #[arg(long = "mail-attempts", value_name = "N", default_value_t = Retry::default().attempts)]
    mail_attempts: u32,

    /// Seconds to wait after a first failed attempt; doubled after each further one, with
    /// jitter (a random 50-100% of it).
    #[arg(
        long = "mail-retry-delay",
        value_name = "SECONDS",
        default_value_t = 30.0
    )]
    mail_retry_delay: f64,

    /// The longest wait between two attempts, in seconds.
    #[arg(
        long = "mail-retry-max-delay",
        value_name = "SECONDS",
        default_value_t = 3600.0
    )]
    mail_retry_max_delay: f64,

    /// Seconds one delivery attempt may take (connecting, the SMTP conversation, the
    /// reply); then the connection is closed and the attempt is retried.
    #[arg(long = "smtp-timeout", value_name = "SECONDS", default_value_t = 30.0)]
    smtp_timeout: f64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(serve) => run(*serve),
        Command::Export { db } => export(&db),
        Command::Resend { db, id, failed: _ } => resend(&db, id),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, message)) => {
            eprintln!("corsform-server: {message}");
            ExitCode::from(code)
        }
    }
}

/// A failure before the server is up (configuration): exit code 2.
const START: u8 = 2;
/// A failure while running: exit code 1.
const RUNNING: u8 = 1;

fn config(serve: &Serve) -> Result<Config, ConfigError> {
    let allow_origins = serve
        .allow_origin
        .iter()
        .map(|o| parse_origin(o))
        .collect::<Result<Vec<_>, _>>()?;
    let rules = match &serve.rules {
        Some(path) => Rules::from_file(path)?,
        None => Rules::seed(),
    };
    let redirect = parse_redirect("--redirect", &serve.redirect)?;
    let redirect_invalid = parse_redirect("--redirect-invalid", &serve.redirect_invalid)?;
    if serve.timeout == 0 {
        return Err(ConfigError("--timeout must be at least 1 second".into()));
    }
    let mail = mail(serve)?;
    let store = Store::open(&serve.db).map_err(|e| ConfigError(e.to_string()))?;
    Ok(Config {
        allow_origins,
        rules,
        redirect,
        redirect_invalid,
        max_body: serve.max_body,
        max_fields: serve.max_fields,
        max_field_len: serve.max_field_len,
        honeypot: Some(serve.honeypot.clone()).filter(|name| !name.is_empty()),
        rate_limit: serve.rate_limit,
        timeout: Duration::from_secs(serve.timeout),
        proxies: Proxies {
            trusted: serve.trusted_proxy.clone(),
            header: serve.forwarded_header,
        },
        mail: mail.map(Arc::new),
        ..Config::new(store)
    })
}

/// `--trusted-proxy`: a network, or one address (a /32 or /128).
fn parse_cidr(text: &str) -> Result<ipnet::IpNet, String> {
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{text:?} is not an address or a network (10.0.0.0/8, ::1/128)"))
}

/// A number of seconds given on the command line, at least 1 ms.
fn seconds(flag: &str, value: f64) -> Result<Duration, ConfigError> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| *d >= Duration::from_millis(1))
        .ok_or_else(|| {
            ConfigError(format!(
                "{flag} must be a number of seconds of at least 0.001"
            ))
        })
}

fn mail(serve: &Serve) -> Result<Option<Mail>, ConfigError> {
    let Some(url) = &serve.smtp else {
        let needs = |flag: &str| {
            ConfigError(format!(
                "{flag} needs --smtp (the server that sends the mail)"
            ))
        };
        if !serve.mail_to.is_empty() {
            return Err(needs("--mail-to"));
        }
        if serve.mail_from.is_some() {
            return Err(needs("--mail-from"));
        }
        return Ok(None);
    };
    let smtp = Smtp::parse(url, serve.smtp_password_file.as_deref())?;
    let address = |flag: &str, text: &str| {
        text.parse::<lettre::Address>()
            .map_err(|e| ConfigError(format!("{flag} {text:?}: not an e-mail address ({e})")))
    };
    let from = serve.mail_from.as_deref().ok_or_else(|| {
        ConfigError("--smtp needs --mail-from (the notifications' sender)".into())
    })?;
    let from = address("--mail-from", from)?.into();
    if serve.mail_to.is_empty() {
        return Err(ConfigError(
            "--smtp needs --mail-to (who receives the notifications)".into(),
        ));
    }
    let to = serve
        .mail_to
        .iter()
        .map(|a| address("--mail-to", a).map(Into::into))
        .collect::<Result<Vec<_>, _>>()?;
    if serve.mail_attempts == 0 {
        return Err(ConfigError("--mail-attempts must be at least 1".into()));
    }
    Ok(Some(Mail {
        subject: serve.subject.clone(),
        allow_cc: serve
            .allow_cc
            .iter()
            .map(|a| address("--allow-cc", a))
            .collect::<Result<_, _>>()?,
        retry: Retry {
            attempts: serve.mail_attempts,
            delay: seconds("--mail-retry-delay", serve.mail_retry_delay)?,
            max_delay: seconds("--mail-retry-max-delay", serve.mail_retry_max_delay)?,
        },
        timeout: seconds("--smtp-timeout", serve.smtp_timeout)?,
        ..Mail::new(smtp, from, to)
    }))
}

/// The connection limits: `--header-timeout`, and `--max-connections` against the
/// process's file-descriptor limit.
fn limits(serve: &Serve) -> Result<(Limits, Option<u64>), ConfigError> {
    let fds = connections::fd_limit();
    let mut limits = Limits::for_fd_limit(fds);
    limits.header_timeout = seconds("--header-timeout", serve.header_timeout)?;
    if let Some(max) = serve.max_connections {
        let room = fds.map(|n| n.saturating_sub(connections::RESERVED_FDS));
        if max == 0 || room.is_some_and(|room| max as u64 > room) {
            return Err(ConfigError(format!(
                "--max-connections must be from 1 to {} (the file-descriptor limit, {}, less {} for the database, mail and logs)",
                room.unwrap_or(u64::MAX),
                fds.unwrap_or(u64::MAX),
                connections::RESERVED_FDS
            )));
        }
        limits.max_connections = max;
    }
    Ok((limits, fds))
}

fn run(serve: Serve) -> Result<(), (u8, String)> {
    let config = config(&serve).map_err(|e| (START, e.to_string()))?;
    let (limits, fds) = limits(&serve).map_err(|e| (START, e.to_string()))?;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| (START, format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(serve.listen)
            .await
            .map_err(|e| (START, format!("--listen {}: {e}", serve.listen)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| (START, format!("--listen {}: {e}", serve.listen)))?;
        let outbox = match &config.mail {
            Some(mail) => Some(
                Outbox::start(config.store.clone(), mail.clone(), config.rules.clone())
                    .await
                    .map_err(|e| (START, format!("mail: {e}")))?,
            ),
            None => {
                tracing::info!(
                    "mail: off (no --smtp): submissions are stored only; `export` prints them"
                );
                None
            }
        };
        tracing::info!(
            "connections: at most {} open (file descriptors: {}), request heads within {:?}",
            limits.max_connections,
            fds.map_or("no limit".into(), |n| n.to_string()),
            limits.header_timeout
        );
        let mut stdout = std::io::stdout();
        let _ = writeln!(stdout, "corsform-server: listening on http://{addr}");
        let _ = stdout.flush();
        connections::serve(listener, app(config), limits, shutdown()).await;
        if let Some(outbox) = outbox {
            outbox.stop().await;
        }
        Ok(())
    })
}

async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = interrupt => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down: finishing requests in flight");
}

fn resend(db: &std::path::Path, id: Option<i64>) -> Result<(), (u8, String)> {
    let which = id.map_or(store::Resend::Failed, store::Resend::Id);
    let n = store::resend(db, which).map_err(|e| (START, e.to_string()))?;
    println!(
        "corsform-server: {n} notification{} queued",
        if n == 1 { "" } else { "s" }
    );
    Ok(())
}

fn export(db: &std::path::Path) -> Result<(), (u8, String)> {
    let rows = store::read_all(db).map_err(|e| (START, e.to_string()))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for row in &rows {
        writeln!(out, "{}", store::export_line(row)).map_err(|e| (RUNNING, e.to_string()))?;
    }
    out.flush().map_err(|e| (RUNNING, e.to_string()))
}
