//! Durable storage of submissions in SQLite: one writer thread owns the connection, the
//! async handlers send it work over a channel and wait for the commit.
//!
//! The journal is WAL with `synchronous = FULL`: a commit returns only after the WAL is
//! fsynced, so an answered submission survives `kill -9` and a power cut. Because every
//! write goes through the one thread, group commit (several queued submissions in one
//! transaction) can be added in its loop without touching the handlers.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;

/// What went wrong with the database, with the path it concerns.
#[derive(Debug)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

fn error(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("database {}: {e}", path.display()))
}

/// One stored submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    /// The row id, as answered to the client (`{"ok":true,"id":N}`).
    pub id: i64,
    /// When it was stored, RFC 3339 in UTC (`2026-11-24T09:00:00Z`).
    pub received: String,
    /// The request's `Origin` header, if it had one.
    pub origin: Option<String>,
    /// The decoded `name=value` pairs, in the order they were sent.
    pub fields: Vec<(String, String)>,
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY,
    received TEXT NOT NULL,
    origin TEXT,
    fields TEXT NOT NULL
)";

struct Job {
    origin: Option<String>,
    fields: Vec<(String, String)>,
    reply: oneshot::Sender<Result<i64, StoreError>>,
}

/// A handle on the writer thread; cheap to clone. The thread ends when the last handle is
/// dropped.
#[derive(Clone, Debug)]
pub struct Store {
    jobs: mpsc::Sender<Job>,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, checks that it can be written,
    /// and starts the writer thread. Errors here are configuration errors.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open(path).map_err(|e| error(path, e))?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| error(path, e))?;
        // WAL may be refused (some network file systems); DELETE + FULL is durable too.
        let _mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(|e| error(path, e))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| error(path, e))?;
        conn.execute_batch(SCHEMA).map_err(|e| error(path, e))?;
        // Take the write lock once, so that a read-only file fails now and not on the
        // first submission.
        conn.execute_batch("BEGIN IMMEDIATE; COMMIT;")
            .map_err(|e| error(path, format!("not writable: {e}")))?;
        let (jobs, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("corsform-store".into())
            .spawn(move || writer(conn, queue))
            .map_err(|e| error(path, e))?;
        Ok(Store {
            jobs,
            path: path.to_owned(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stores a submission and returns its id once the transaction is committed.
    pub async fn insert(
        &self,
        origin: Option<String>,
        fields: Vec<(String, String)>,
    ) -> Result<i64, StoreError> {
        let (reply, answer) = oneshot::channel();
        let gone = || StoreError("the database writer has stopped".into());
        self.jobs
            .send(Job {
                origin,
                fields,
                reply,
            })
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

fn writer(conn: Connection, queue: mpsc::Receiver<Job>) {
    for job in queue {
        let result = insert(&conn, job.origin.as_deref(), &job.fields);
        // The client may have gone; the row is stored all the same.
        let _ = job.reply.send(result);
    }
}

fn insert(
    conn: &Connection,
    origin: Option<&str>,
    fields: &[(String, String)],
) -> Result<i64, StoreError> {
    let json = serde_json::to_string(fields).map_err(|e| StoreError(e.to_string()))?;
    // One statement is one transaction (autocommit): committed when `execute` returns.
    conn.execute(
        "INSERT INTO submissions (received, origin, fields)
         VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?1, ?2)",
        (origin, json),
    )
    .map_err(|e| StoreError(format!("insert failed: {e}")))?;
    Ok(conn.last_insert_rowid())
}

/// Every stored submission, oldest first. The file must exist; it is opened read-only.
pub fn read_all(path: &Path) -> Result<Vec<Submission>, StoreError> {
    if !path.exists() {
        return Err(error(path, "no such file"));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| error(path, e))?;
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(|e| error(path, e))?;
    let mut stmt = conn
        .prepare("SELECT id, received, origin, fields FROM submissions ORDER BY id")
        .map_err(|e| error(path, e))?;
    let rows = stmt
        .query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, String>(3)?,
            ))
        })
        .map_err(|e| error(path, e))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, received, origin, fields) = row.map_err(|e| error(path, e))?;
        let fields: Vec<(String, String)> = serde_json::from_str(&fields)
            .map_err(|e| error(path, format!("row {id}: bad fields column: {e}")))?;
        out.push(Submission {
            id,
            received,
            origin,
            fields,
        });
    }
    Ok(out)
}

/// One line of `corsform-server export`: the fields by name, in the order first sent; a
/// name sent several times maps to an array of its values.
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
    serde_json::json!({
        "id": s.id,
        "received": s.received,
        "origin": s.origin,
        "fields": fields,
    })
    .to_string()
}
