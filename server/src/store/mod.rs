//! Durable storage of submissions and their notifications: one interface, [`Store`], over
//! two databases.
//!
//! - **SQLite** ([`sqlite`], the embedded default, `--db PATH`): one file, one process; a
//!   writer thread commits every write, group-committing the submissions queued meanwhile.
//! - **PostgreSQL** ([`postgres`], `--db postgres://…`): several `corsform-server`
//!   instances behind a load balancer share one database: the outbox rows are claimed with
//!   leases, the rate limit and the idempotency keys are shared.
//!
//! Either way a submission is answered only once its transaction has committed, and with
//! mail on its notification (an `outbox` row) is committed in the same transaction.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;

pub mod postgres;
pub mod sqlite;

pub use postgres::Postgres;
pub use sqlite::Sqlite;

/// What went wrong with the database, with the path it concerns.
#[derive(Debug)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

/// One stored submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    /// The row id, as answered to the client (`{"ok":true,"id":N}`).
    pub id: i64,
    /// The form it was posted to (`contact` for `/contact` with one form).
    pub form: String,
    /// When it was stored, RFC 3339 in UTC (`2026-11-24T09:00:00Z`).
    pub received: String,
    /// The request's `Origin` header, if it had one.
    pub origin: Option<String>,
    /// The decoded `name=value` pairs, in the order they were sent.
    pub fields: Vec<(String, String)>,
    /// Where its notification e-mail stands; `None` when it was stored with mail off.
    pub delivery: Option<Delivery>,
}

/// Where a submission's notification e-mail stands (the `outbox` row).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Not sent yet: `attempts` made so far (0 before the first), the last attempt's
    /// `error` (an SMTP reply or a connection error), if any.
    Pending {
        /// Attempts made so far.
        attempts: u32,
        /// Why the last attempt failed.
        error: Option<String>,
    },
    /// Accepted by the SMTP server (a 2xx reply to the message's data).
    Sent {
        /// When, RFC 3339 UTC.
        at: String,
        /// Attempts it took, this one included.
        attempts: u32,
    },
    /// Given up: a permanent (5xx) reply, or the last allowed attempt failed.
    Failed {
        /// When, RFC 3339 UTC.
        at: String,
        /// Attempts made.
        attempts: u32,
        /// The SMTP server's reply, or the connection error.
        reason: String,
    },
}

impl Delivery {
    /// From the `outbox` row's columns: `state` (`None`: no row, stored with mail off),
    /// `attempts`, `done` (RFC 3339 UTC) and `error`.
    fn from_columns(
        state: Option<&str>,
        attempts: u32,
        done: Option<String>,
        error: Option<String>,
    ) -> Option<Delivery> {
        match (state, done, error) {
            (None, ..) => None,
            (Some("sent"), Some(at), _) => Some(Delivery::Sent { at, attempts }),
            (Some("failed"), Some(at), reason) => Some(Delivery::Failed {
                at,
                attempts,
                reason: reason.unwrap_or_default(),
            }),
            (_, _, error) => Some(Delivery::Pending { attempts, error }),
        }
    }
}

/// A notification due to be sent, claimed by [`Store::claim`]: its submission, the
/// attempts made so far, and on PostgreSQL the claim's lease.
#[derive(Clone, Debug)]
pub struct Pending {
    /// The submission to notify about.
    pub submission: Submission,
    /// Attempts made so far (0 before the first).
    pub attempts: u32,
    /// On PostgreSQL, the claim's lease: the row's `leased_until` (Unix ms, the database's
    /// clock) when this worker claimed it, handed back to [`Store::mark`], which records
    /// the outcome only while the row is still this claim's. `None` on SQLite.
    pub lease: Option<i64>,
}

/// The outcome of one delivery attempt, recorded with [`Store::mark`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mark {
    /// The SMTP server accepted the message.
    Sent,
    /// A transient failure: try again at `due` (Unix time in milliseconds).
    Retry {
        /// When to try again, Unix time in milliseconds.
        due: i64,
        /// What failed, for `export`.
        error: String,
    },
    /// Given up, with the reason shown by `export`.
    Failed(String),
}

/// Which notifications `corsform-server resend` queues again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resend {
    /// The one of this submission id, whatever its state (one is created if it had none).
    Id(i64),
    /// Every failed one.
    Failed,
}

/// A submission to store with [`Store::insert`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewSubmission {
    /// The form's name.
    pub form: String,
    /// The request's `Origin` header, if it had one.
    pub origin: Option<String>,
    /// The decoded `name=value` pairs, in the order they were sent.
    pub fields: Vec<(String, String)>,
    /// Whether its notification is queued in the same transaction.
    pub notify: bool,
    /// The client's idempotency key: a submission to the same form with the same key
    /// within [`IDEMPOTENCY_WINDOW`] is not stored again; the first one's id is returned.
    pub idempotency_key: Option<String>,
}

/// How long an idempotency key is remembered: a day.
pub const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// The current time as Unix milliseconds, the unit of the outbox's `due` column.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Which submissions `corsform-server delete` removes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Erase<'a> {
    /// The one with this id.
    Id(i64),
    /// Every one with a field whose value is this address (compared without regard to
    /// case or surrounding spaces): an erasure request.
    Email(&'a str),
}

/// What [`delete`] removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Erased {
    /// The submissions' ids.
    pub ids: Vec<i64>,
    /// How many of them had a notification (sent, pending or failed), removed with them.
    pub notifications: usize,
}

/// One line of `corsform-server export`: id, form, time, origin, `delivery` (`null` when stored
/// with mail off; else `{"state":"pending","attempts":N,"error":…}`,
/// `{"state":"sent","at":TIME,"attempts":N}` or
/// `{"state":"failed","at":TIME,"attempts":N,"reason":…}`), then the fields by name, in the
/// order first sent; a name sent several times maps to an array of its values.
pub fn export_line(s: &Submission) -> String {
    let mut fields = serde_json::Map::new();
    for (name, value) in &s.fields {
        let value = serde_json::Value::String(value.clone());
        match fields.get_mut(name) {
            None => {
                fields.insert(name.clone(), value);
            }
            Some(serde_json::Value::Array(values)) => values.push(value),
            Some(first) => *first = serde_json::Value::Array(vec![first.take(), value]),
        }
    }
    let delivery = match &s.delivery {
        None => serde_json::Value::Null,
        Some(Delivery::Pending { attempts, error }) => {
            serde_json::json!({"state": "pending", "attempts": attempts, "error": error})
        }
        Some(Delivery::Sent { at, attempts }) => {
            serde_json::json!({"state": "sent", "at": at, "attempts": attempts})
        }
        Some(Delivery::Failed {
            at,
            attempts,
            reason,
        }) => {
            serde_json::json!({"state": "failed", "at": at, "attempts": attempts, "reason": reason})
        }
    };
    serde_json::json!({
        "id": s.id,
        "form": s.form,
        "received": s.received,
        "origin": s.origin,
        "delivery": delivery,
        "fields": fields,
    })
    .to_string()
}

/// Where the submissions are stored: `--db` (or `[store] url` in the configuration file).
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite database file, created if missing.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL, `postgres://user[:password]@host[:port]/database`
    /// (libpq's URI form, read by tokio-postgres; `?host=/run/postgresql` for a Unix
    /// socket). The database must exist; the tables are created in it. The connection is
    /// not encrypted: TLS (`sslmode=require`) is refused.
    Postgres(String),
}

impl Location {
    /// `postgres://…` or `postgresql://…` is PostgreSQL, anything else a SQLite file's path.
    pub fn parse(text: &str) -> Location {
        let lower = text.get(..13).unwrap_or(text).to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Location::Postgres(text.to_owned())
        } else {
            Location::Sqlite(text.into())
        }
    }
}

impl From<&Path> for Location {
    fn from(path: &Path) -> Location {
        Location::Sqlite(path.to_owned())
    }
}

impl std::fmt::Debug for Location {
    /// Never shows a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::fmt::Display for Location {
    /// The file's path, or the URL without its password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => match url::Url::parse(url) {
                Ok(mut url) if url.password().is_some() => {
                    let _ = url.set_password(Some("***"));
                    f.write_str(url.as_str())
                }
                _ => f.write_str(url),
            },
        }
    }
}

/// How a PostgreSQL store runs; SQLite ignores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// How long a claimed outbox row stays the claiming worker's: if it has not recorded
    /// the attempt's outcome by then (its process died), another worker claims the row.
    /// Each attempt is bounded to end within it. Default [`DEFAULT_LEASE`].
    pub lease: Duration,
    /// The most connections the pool opens. Default [`DEFAULT_POOL_SIZE`].
    pub pool_size: usize,
}

/// The default outbox lease: 30 s.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);
/// The default size of the PostgreSQL connection pool.
pub const DEFAULT_POOL_SIZE: usize = 16;

impl Default for Options {
    fn default() -> Options {
        Options {
            lease: DEFAULT_LEASE,
            pool_size: DEFAULT_POOL_SIZE,
        }
    }
}

/// Where submissions go: a handle on a SQLite or a PostgreSQL store, cheap to clone.
#[derive(Clone, Debug)]
pub struct Store(Backend);

#[derive(Clone, Debug)]
enum Backend {
    Sqlite(Sqlite),
    Postgres(Postgres),
}

impl Store {
    /// Opens (creating if needed) the SQLite database at `path`, checks that it can be
    /// written, and starts its writer thread. Errors here are configuration errors.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Sqlite::open(path).map(|s| Store(Backend::Sqlite(s)))
    }

    /// Opens the store at `location`: SQLite as [`Store::open`]; PostgreSQL by connecting,
    /// then creating or migrating its tables ([`postgres`]). Errors: the database cannot
    /// be reached or written, or its tables were made by a newer corsform-server.
    pub async fn connect(location: &Location, options: &Options) -> Result<Store, StoreError> {
        match location {
            Location::Sqlite(path) => Store::open(path),
            Location::Postgres(url) => Postgres::connect(url, options)
                .await
                .map(|s| Store(Backend::Postgres(s)))
                .map_err(|e| StoreError(format!("database {location}: {e}"))),
        }
    }

    /// The PostgreSQL store, when it is one (for what only it shares: the rate limit).
    pub fn postgres(&self) -> Option<&Postgres> {
        match &self.0 {
            Backend::Postgres(pg) => Some(pg),
            Backend::Sqlite(_) => None,
        }
    }

    /// An id like the next one to be stored, for an answer about a submission that is not
    /// stored (the honeypot's): nothing tells it apart from a real one.
    pub fn plausible_id(&self) -> i64 {
        match &self.0 {
            Backend::Sqlite(s) => s.plausible_id(),
            Backend::Postgres(s) => s.plausible_id(),
        }
    }

    /// Stores a submission and returns its id once the transaction is committed. With
    /// `notify`, its pending notification is written in the same transaction. With an
    /// idempotency key already stored for the form within [`IDEMPOTENCY_WINDOW`], nothing
    /// is stored and the first submission's id is returned.
    pub async fn insert(&self, submission: NewSubmission) -> Result<i64, StoreError> {
        match &self.0 {
            Backend::Sqlite(s) => s.insert(submission).await,
            Backend::Postgres(s) => s.insert(submission).await,
        }
    }

    /// Deletes the submissions of `form` older than `days` days, with their outbox rows
    /// (`--retain-days`), and the idempotency keys older than a day; how many submissions
    /// it deleted.
    pub async fn expire(&self, form: &str, days: u32) -> Result<i64, StoreError> {
        match &self.0 {
            Backend::Sqlite(s) => s.expire(form, days).await,
            Backend::Postgres(s) => s.expire(form, days).await,
        }
    }

    /// Up to `limit` pending notifications due at `now` (Unix ms), oldest first, claimed
    /// for this worker: on PostgreSQL each gets a lease ([`Options::lease`]), and no other
    /// worker claims it until the lease ends or its outcome is recorded.
    pub async fn claim(&self, now: i64, limit: usize) -> Result<Vec<Pending>, StoreError> {
        match &self.0 {
            Backend::Sqlite(s) => s.claim(now, limit).await,
            Backend::Postgres(s) => s.claim(now, limit).await,
        }
    }

    /// The lease of a claim ([`Options::lease`]); `None` on SQLite, whose claims have none.
    pub fn lease(&self) -> Option<Duration> {
        match &self.0 {
            Backend::Sqlite(_) => None,
            Backend::Postgres(s) => Some(s.lease()),
        }
    }

    /// Records the outcome of an attempt to deliver `pending`'s notification, once
    /// committed. Only a pending row changes, and on PostgreSQL only while it is still
    /// `pending`'s claim (after its lease another worker may have claimed it).
    pub async fn mark(&self, pending: &Pending, mark: Mark) -> Result<(), StoreError> {
        let id = pending.submission.id;
        match &self.0 {
            Backend::Sqlite(s) => s.mark(id, mark).await,
            Backend::Postgres(s) => s.mark(id, pending.lease, mark).await,
        }
    }

    /// Writes and commits one small row (the time of the check): Ok when the database can
    /// be written now.
    pub async fn check_writable(&self) -> Result<(), StoreError> {
        match &self.0 {
            Backend::Sqlite(s) => s.check_writable().await,
            Backend::Postgres(s) => s.check_writable().await,
        }
    }

    /// Notified after every commit that queued a notification (on PostgreSQL, any
    /// instance's): the outbox worker waits on it when nothing is due.
    pub fn wake(&self) -> Arc<Notify> {
        match &self.0 {
            Backend::Sqlite(s) => s.wake(),
            Backend::Postgres(s) => s.wake(),
        }
    }

    /// When the next pending notification is due (Unix ms), if any is.
    pub async fn next_due(&self) -> Result<Option<i64>, StoreError> {
        match &self.0 {
            Backend::Sqlite(s) => s.next_due().await,
            Backend::Postgres(s) => s.next_due().await,
        }
    }

    /// How many notifications are pending and how many failed, for the start-up log and
    /// `/healthz`.
    pub async fn counts(&self) -> Result<(i64, i64), StoreError> {
        match &self.0 {
            Backend::Sqlite(s) => s.counts().await,
            Backend::Postgres(s) => s.counts().await,
        }
    }

    /// Every stored submission, oldest first, with where its notification stands.
    pub async fn read_all(&self) -> Result<Vec<Submission>, StoreError> {
        match &self.0 {
            Backend::Sqlite(s) => blocking(s.path().to_owned(), |p| sqlite::read_all(&p)).await,
            Backend::Postgres(s) => s.read_all().await,
        }
    }

    /// Queues notifications again ([`resend`]).
    pub async fn resend(&self, which: Resend) -> Result<usize, StoreError> {
        match &self.0 {
            Backend::Sqlite(s) => {
                blocking(s.path().to_owned(), move |p| sqlite::resend(&p, which)).await
            }
            Backend::Postgres(s) => s.resend(which).await,
        }
    }

    /// Deletes submissions ([`delete`]).
    pub async fn delete(&self, which: Erase<'_>) -> Result<Erased, StoreError> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::delete(s.path(), which),
            Backend::Postgres(s) => s.delete(which).await,
        }
    }
}

async fn blocking<T: Send + 'static>(
    path: PathBuf,
    work: impl FnOnce(PathBuf) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(move || work(path))
        .await
        .map_err(|e| StoreError(format!("the database task stopped: {e}")))?
}

/// Every stored submission at `location`, oldest first (`corsform-server export`). A
/// SQLite file must exist and is opened read-only (a file written by an older version
/// too). Errors: a missing file, an unreachable database.
pub async fn read_all(location: &Location) -> Result<Vec<Submission>, StoreError> {
    match location {
        Location::Sqlite(path) => blocking(path.clone(), |p| sqlite::read_all(&p)).await,
        Location::Postgres(_) => admin(location).await?.read_all().await,
    }
}

/// Queues notifications again (`corsform-server resend`): they become pending, due now,
/// with no attempts counted. Safe beside running servers: on SQLite one picks them up
/// within [`crate::outbox::IDLE_POLL`], on PostgreSQL at once. Returns how many.
/// Errors: a missing file, an unreachable database, or [`Resend::Id`] of no stored
/// submission.
pub async fn resend(location: &Location, which: Resend) -> Result<usize, StoreError> {
    match location {
        Location::Sqlite(path) => blocking(path.clone(), move |p| sqlite::resend(&p, which)).await,
        Location::Postgres(_) => admin(location).await?.resend(which).await,
    }
}

/// Deletes submissions with their notifications and idempotency keys, in one
/// transaction, beside running servers (`corsform-server delete`). Errors: a missing
/// file, an unreachable database, or [`Erase::Id`] of no stored submission.
pub async fn delete(location: &Location, which: Erase<'_>) -> Result<Erased, StoreError> {
    match location {
        Location::Sqlite(path) => sqlite::delete(path, which),
        Location::Postgres(_) => admin(location).await?.delete(which).await,
    }
}

/// A small PostgreSQL store for one command.
async fn admin(location: &Location) -> Result<Store, StoreError> {
    let options = Options {
        pool_size: 2,
        ..Options::default()
    };
    Store::connect(location, &options).await
}
