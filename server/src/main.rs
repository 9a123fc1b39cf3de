//! `corsform-server`: the command line. `serve` runs the endpoint (and, with `--smtp`, the
//! outbox that mails each submission), `export` prints what it stored and where each
//! notification stands, `resend` queues notifications again. Everything else lives in the
//! library (`corsform_server::app`, `corsform_server::Outbox`).

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use corsform::Entries;
use corsform_server::config::{self, FormSettings, Settings, Source};
use corsform_server::connections::{self, Limits};
use corsform_server::store::Location;
use corsform_server::{retention, site, store, ConfigError, Outbox};

/// The endpoint a corsform page posts to: CORS preflight, the same validation as the
/// browser, durable storage in SQLite or PostgreSQL.
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
        #[command(flatten)]
        db: Database,
        /// Only this form's submissions.
        #[arg(long, value_name = "NAME")]
        form: Option<String>,
        /// jsonl: one JSON object per line; csv: RFC 4180, one column per field name,
        /// formulas made harmless for spreadsheets.
        #[arg(long, value_name = "FORMAT", default_value = "jsonl", value_parser = ["jsonl", "csv"])]
        format: String,
    },
    /// Delete submissions with their notifications: one (`--id N`), or every one with a
    /// field holding an e-mail address (`--email ADDR`, an erasure request). Prints what
    /// it removed. Safe to run beside a running server.
    #[command(group = clap::ArgGroup::new("what").required(true))]
    Delete {
        #[command(flatten)]
        db: Database,
        /// The submission to delete.
        #[arg(long, value_name = "N", group = "what")]
        id: Option<i64>,
        /// Every submission with a field whose value is this address (any case).
        #[arg(long, value_name = "ADDR", group = "what")]
        email: Option<String>,
    },
    /// Queue notifications again: one submission's (`--id N`), or every failed one
    /// (`--failed`). A running server sends them within 5 seconds; safe to run beside it.
    #[command(group = clap::ArgGroup::new("which").required(true))]
    Resend {
        #[command(flatten)]
        db: Database,
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
    /// A TOML file with the server-wide settings at the top and a [forms.NAME] table per
    /// form (keys named like these flags; see the README). Server-wide flags given beside
    /// it override the file; form flags (--allow-origin, --rules, --mail-to, ...) go in the
    /// file instead.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(flatten)]
    settings: Settings,

    #[command(flatten)]
    form: FormSettings,
}

/// The database of `export`, `delete` and `resend`.
#[derive(clap::Args, Debug)]
struct Database {
    /// The database written by `serve`: a SQLite file or a postgres:// URL (as `serve`'s
    /// --db). [default: corsform.db]
    #[arg(long, value_name = "PATH|URL")]
    db: Option<String>,
    /// `serve`'s TOML file: the database is its `db`, or `url` in its [store] table (--db
    /// overrides it).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

impl Database {
    fn location(self) -> Result<Location, (u8, String)> {
        config::database(self.db, self.config.as_deref()).map_err(|e| (START, e.to_string()))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(serve) => run(*serve),
        Command::Export { db, form, format } => db
            .location()
            .and_then(|db| export(&db, form.as_deref(), &format)),
        Command::Delete { db, id, email } => db
            .location()
            .and_then(|db| delete(&db, id, email.as_deref())),
        Command::Resend { db, id, failed: _ } => db.location().and_then(|db| resend(&db, id)),
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

/// The settings from the flags, or from `--config` with the server-wide flags laid over.
async fn server(serve: Serve) -> Result<config::Server, ConfigError> {
    let Some(path) = &serve.config else {
        let mut settings = serve.settings;
        settings.forms = Entries(vec![(corsform_server::DEFAULT_FORM.into(), serve.form)]);
        return settings.resolve(Source::Flags).await;
    };
    if serve.form != FormSettings::default() {
        return Err(ConfigError(
            "a form's flags (--allow-origin, --rules, --mail-to, ...) do not go with --config: \
             put them in a [forms.NAME] table of the file"
                .into(),
        ));
    }
    let (file, text) = config::load(path)?;
    file.overlaid_with(serve.settings)
        .resolve(Source::File { path, text: &text })
        .await
}

/// The connection limits: `--header-timeout`, and `--max-connections` against the
/// process's file-descriptor limit.
fn limits(server: &config::Server) -> Result<(Limits, Option<u64>), ConfigError> {
    let fds = connections::fd_limit();
    let mut limits = Limits::for_fd_limit(fds);
    limits.header_timeout = server.header_timeout;
    if let Some(max) = server.max_connections {
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| (START, format!("cannot start the runtime: {e}")))?;
    // The database is opened (PostgreSQL: connected to) on the runtime that serves.
    let server = runtime
        .block_on(server(serve))
        .map_err(|e| (START, e.to_string()))?;
    let (limits, fds) = limits(&server).map_err(|e| (START, e.to_string()))?;
    let (listen, forms) = (server.listen, server.forms);
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| (START, format!("--listen {listen}: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| (START, format!("--listen {listen}: {e}")))?;
        let store = forms[0].store.clone();
        let mailed: Vec<_> = forms
            .iter()
            .filter_map(|f| Some((f.mail.clone()?, f.rules.clone())))
            .collect();
        let outbox = match mailed.is_empty() {
            false => Some(
                Outbox::start_forms(store.clone(), mailed)
                    .await
                    .map_err(|e| (START, format!("mail: {e}")))?,
            ),
            true => {
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
        let retention = retention::start(&store, &forms);
        for form in &forms {
            tracing::info!(
                "form {}: POST /f/{}{}; kept {}",
                form.name,
                form.name,
                if std::ptr::eq(form, &forms[0]) {
                    " and /contact"
                } else {
                    ""
                },
                form.retain_days
                    .map_or("until deleted".into(), |days| format!("{days} days"))
            );
            let characters = form.rules.lengths_counting_characters();
            if !characters.is_empty() {
                tracing::info!(
                    "form {}: minlength/maxlength/rangelength of {} count characters when \
                     the name is sent once; name a group of checkboxes or a select multiple \
                     in the rules file's \"choices\" to count its choices, as the page does",
                    form.name,
                    characters.join(", ")
                );
            }
        }
        connections::serve(listener, site(forms), limits, shutdown()).await;
        retention.abort();
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

/// Runs one command's database work on a runtime of its own.
fn block_on<T>(
    work: impl Future<Output = Result<T, store::StoreError>>,
) -> Result<T, (u8, String)> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| (START, format!("cannot start the runtime: {e}")))?
        .block_on(work)
        .map_err(|e| (START, e.to_string()))
}

fn resend(db: &Location, id: Option<i64>) -> Result<(), (u8, String)> {
    let which = id.map_or(store::Resend::Failed, store::Resend::Id);
    let n = block_on(store::resend(db, which))?;
    println!(
        "corsform-server: {n} notification{} queued",
        if n == 1 { "" } else { "s" }
    );
    Ok(())
}

fn delete(db: &Location, id: Option<i64>, email: Option<&str>) -> Result<(), (u8, String)> {
    let which = match (id, email) {
        (Some(id), _) => store::Erase::Id(id),
        (None, Some(address)) => store::Erase::Email(address),
        (None, None) => unreachable!("clap requires --id or --email"),
    };
    let erased = block_on(store::delete(db, which))?;
    let ids: Vec<String> = erased.ids.iter().map(i64::to_string).collect();
    let n = ids.len();
    println!(
        "corsform-server: {n} submission{} deleted{}{}, with {} notification{}",
        if n == 1 { "" } else { "s" },
        if n > 0 { ": " } else { "" },
        ids.join(", "),
        erased.notifications,
        if erased.notifications == 1 { "" } else { "s" },
    );
    Ok(())
}

fn export(db: &Location, form: Option<&str>, format: &str) -> Result<(), (u8, String)> {
    let mut rows = block_on(store::read_all(db))?;
    if let Some(form) = form {
        rows.retain(|row| row.form == form);
        if rows.is_empty() {
            // Nothing to print is no error, but a form name with a typo should not look
            // like an empty form.
            eprintln!("corsform-server: no stored submission of the form {form:?}");
        }
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if format == "csv" {
        return corsform_server::export::write_csv(&rows, out)
            .map_err(|e| (RUNNING, e.to_string()));
    }
    for row in &rows {
        writeln!(out, "{}", store::export_line(row)).map_err(|e| (RUNNING, e.to_string()))?;
    }
    out.flush().map_err(|e| (RUNNING, e.to_string()))
}
