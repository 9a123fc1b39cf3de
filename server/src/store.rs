//! Durable storage of submissions in SQLite: one writer thread owns the connection, the
//! async handlers send it work over a channel and wait for the commit.
//!
//! The journal is WAL with `synchronous = FULL`: a commit returns only after the WAL is
//! fsynced, so an answered submission survives `kill -9` and a power cut. Every write goes
//! through the one thread, which commits whatever has queued up meanwhile in one
//! transaction (group commit: one fsync for many submissions) and only then answers each.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{mpsc, Arc};
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
    /// The id of the last committed row.
    last_id: Arc<AtomicI64>,
}

/// The most submissions committed in one transaction.
const MAX_BATCH: usize = 256;

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
        let last: i64 = conn
            .query_row("SELECT coalesce(max(id), 0) FROM submissions", [], |row| {
                row.get(0)
            })
            .map_err(|e| error(path, e))?;
        let last_id = Arc::new(AtomicI64::new(last));
        let (jobs, queue) = mpsc::channel();
        let last_written = last_id.clone();
        std::thread::Builder::new()
            .name("corsform-store".into())
            .spawn(move || writer(conn, queue, &last_written))
            .map_err(|e| error(path, e))?;
        Ok(Store {
            jobs,
            path: path.to_owned(),
            last_id,
        })
    }

    /// An id like the next one to be stored, for an answer about a submission that is not
    /// stored (the honeypot's): nothing tells it apart from a real one.
    pub fn plausible_id(&self) -> i64 {
        self.last_id.load(Ordering::Relaxed) + 1
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

fn writer(mut conn: Connection, queue: mpsc::Receiver<Job>, last_id: &AtomicI64) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        match commit(&mut conn, &batch) {
            Ok(ids) => {
                if let Some(&last) = ids.last() {
                    last_id.store(last, Ordering::Relaxed);
                }
                for (job, id) in batch.into_iter().zip(ids) {
                    // The client may have gone; the row is stored all the same.
                    let _ = job.reply.send(Ok(id));
                }
            }
            // One failing row must not fail the others: commit each on its own.
            Err(_) if batch.len() > 1 => {
                for job in batch {
                    let result = commit(&mut conn, std::slice::from_ref(&job)).map(|ids| ids[0]);
                    if let Ok(id) = result {
                        last_id.store(id, Ordering::Relaxed);
                    }
                    let _ = job.reply.send(result);
                }
            }
            Err(e) => {
                for job in batch {
                    let _ = job.reply.send(Err(StoreError(e.0.clone())));
                }
            }
        }
    }
}

/// Inserts `jobs` in one transaction; their ids once it has committed.
fn commit(conn: &mut Connection, jobs: &[Job]) -> Result<Vec<i64>, StoreError> {
    let failed = |e: rusqlite::Error| StoreError(format!("commit failed: {e}"));
    let tx = conn.transaction().map_err(failed)?;
    let ids = jobs
        .iter()
        .map(|job| insert(&tx, job.origin.as_deref(), &job.fields))
        .collect::<Result<Vec<_>, _>>()?;
    tx.commit().map_err(failed)?;
    Ok(ids)
}

fn insert(
    conn: &Connection,
    origin: Option<&str>,
    fields: &[(String, String)],
) -> Result<i64, StoreError> {
    let json = serde_json::to_string(fields).map_err(|e| StoreError(e.to_string()))?;
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
