//! `corsform-server`: the command line. `serve` runs the endpoint, `export` prints what it
//! stored. Everything else lives in the library (`corsform_server::app`).

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use corsform_server::{
    app, parse_origin, parse_redirect, store, Config, ConfigError, Rules, Store,
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
    Serve(Serve),
    /// Print every stored submission as one JSON object per line.
    Export {
        /// The SQLite database written by `serve`.
        #[arg(long, value_name = "PATH", default_value = "corsform.db")]
        db: PathBuf,
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(serve) => run(serve),
        Command::Export { db } => export(&db),
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
        ..Config::new(store)
    })
}

fn run(serve: Serve) -> Result<(), (u8, String)> {
    let config = config(&serve).map_err(|e| (START, e.to_string()))?;
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
        let mut stdout = std::io::stdout();
        let _ = writeln!(stdout, "corsform-server: listening on http://{addr}");
        let _ = stdout.flush();
        let service = app(config).into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, service)
            .with_graceful_shutdown(shutdown())
            .await
            .map_err(|e| (RUNNING, format!("server error: {e}")))
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

fn export(db: &std::path::Path) -> Result<(), (u8, String)> {
    let rows = store::read_all(db).map_err(|e| (START, e.to_string()))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for row in &rows {
        writeln!(out, "{}", store::export_line(row)).map_err(|e| (RUNNING, e.to_string()))?;
    }
    out.flush().map_err(|e| (RUNNING, e.to_string()))
}
