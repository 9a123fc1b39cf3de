//! Durable storage of submissions in SQLite: one writer thread owns the connection, the
//! async handlers send it work over a channel and wait for the commit.
//!
//! The journal is WAL with `synchronous = FULL`: a commit returns only after the WAL is
//! fsynced, so an answered submission survives `kill -9` and a power cut. Every write goes
//! through the one thread, which commits whatever has queued up meanwhile in one
//! transaction (group commit: one fsync for many submissions) and only then answers each.
//!
//! With mail on, each submission's notification is a row of the `outbox` table written in
//! the same transaction as the submission: a committed submission always has its pending
//! notification. The outbox worker ([`crate::outbox`]) reads due rows on a connection of
//! its own and records each attempt's outcome through the writer thread ([`Sqlite::mark`]),
//! so the one writer still does every write.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use tokio::sync::{oneshot, Notify};

use super::{
    now_ms, Delivery, Erase, Erased, Mark, NewSubmission, Pending, Resend, StoreError, Submission,
    IDEMPOTENCY_WINDOW,
};

fn error(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("database {}: {e}", path.display()))
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY,
    received TEXT NOT NULL,
    origin TEXT,
    fields TEXT NOT NULL,
    form TEXT NOT NULL DEFAULT 'contact'
);
CREATE TABLE IF NOT EXISTS idempotency (
    form TEXT NOT NULL,
    key TEXT NOT NULL,
    submission INTEGER NOT NULL REFERENCES submissions(id),
    at INTEGER NOT NULL,
    PRIMARY KEY (form, key)
);
CREATE TABLE IF NOT EXISTS outbox (
    submission INTEGER PRIMARY KEY REFERENCES submissions(id),
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    due INTEGER NOT NULL DEFAULT 0,
    done TEXT,
    error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(due) WHERE state = 'pending';
CREATE TABLE IF NOT EXISTS health (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    checked TEXT NOT NULL
);";

/// Creates what is missing: the tables, and the `form` column of a database written
/// before there were several forms (its rows were all the one form's, `contact`).
fn prepare(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(SCHEMA)?;
    if !has_column(conn, "submissions", "form")? {
        conn.execute_batch(
            "ALTER TABLE submissions ADD COLUMN form TEXT NOT NULL DEFAULT 'contact'",
        )?;
    }
    Ok(())
}

fn has_column(conn: &Connection, table: &str, column: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2",
        (table, column),
        |row| row.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

/// `now` in SQL, as stored: RFC 3339 UTC to the second.
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

enum Work {
    Insert(NewSubmission),
    Mark {
        id: i64,
        mark: Mark,
    },
    /// `GET /healthz`: one small write, committed like any other.
    Health,
    /// Deletes the submissions of `form` received over `days` days ago, with their
    /// outbox rows; and idempotency keys past their window.
    Expire {
        form: String,
        days: u32,
    },
}

struct Job {
    work: Work,
    reply: oneshot::Sender<Result<i64, StoreError>>,
}

/// A handle on the writer thread; cheap to clone. The thread ends when the last handle is
/// dropped.
#[derive(Clone, Debug)]
pub struct Sqlite {
    jobs: mpsc::Sender<Job>,
    path: PathBuf,
    /// The id of the last committed row.
    last_id: Arc<AtomicI64>,
    /// Notified after each commit that queued a notification.
    wake: Arc<Notify>,
    /// The outbox worker's own connection, for reads.
    reader: Arc<Mutex<Connection>>,
}

/// The most submissions committed in one transaction.
const MAX_BATCH: usize = 256;

impl Sqlite {
    /// Opens (creating if needed) the database at `path`, checks that it can be written,
    /// and starts the writer thread. Errors here are configuration errors.
    pub fn open(path: &Path) -> Result<Sqlite, StoreError> {
        let conn = Connection::open(path).map_err(|e| error(path, e))?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| error(path, e))?;
        // WAL may be refused (some network file systems); DELETE + FULL is durable too.
        let _mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(|e| error(path, e))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| error(path, e))?;
        prepare(&conn).map_err(|e| error(path, e))?;
        // Take the write lock once, so that a read-only file fails now and not on the
        // first submission.
        conn.execute_batch("BEGIN IMMEDIATE; COMMIT;")
            .map_err(|e| error(path, format!("not writable: {e}")))?;
        let last: i64 = conn
            .query_row("SELECT coalesce(max(id), 0) FROM submissions", [], |row| {
                row.get(0)
            })
            .map_err(|e| error(path, e))?;
        let reader = Connection::open(path).map_err(|e| error(path, e))?;
        reader
            .busy_timeout(Duration::from_secs(5))
            .map_err(|e| error(path, e))?;
        let last_id = Arc::new(AtomicI64::new(last));
        let wake = Arc::new(Notify::new());
        let (jobs, queue) = mpsc::channel();
        let (last_written, woken) = (last_id.clone(), wake.clone());
        std::thread::Builder::new()
            .name("corsform-store".into())
            .spawn(move || writer(conn, queue, &last_written, &woken))
            .map_err(|e| error(path, e))?;
        Ok(Sqlite {
            jobs,
            path: path.to_owned(),
            last_id,
            wake,
            reader: Arc::new(Mutex::new(reader)),
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

    /// Stores a submission and returns its id once the transaction is committed. With
    /// `notify`, its pending notification is written in the same transaction.
    pub async fn insert(&self, submission: NewSubmission) -> Result<i64, StoreError> {
        self.write(Work::Insert(submission)).await
    }

    /// Deletes the submissions of `form` older than `days` days, with their outbox rows
    /// (`--retain-days`), and the idempotency keys older than a day; how many submissions
    /// it deleted.
    pub async fn expire(&self, form: &str, days: u32) -> Result<i64, StoreError> {
        self.write(Work::Expire {
            form: form.to_owned(),
            days,
        })
        .await
    }

    /// Records the outcome of an attempt to deliver submission `id`'s notification, once
    /// committed.
    pub async fn mark(&self, id: i64, mark: Mark) -> Result<(), StoreError> {
        self.write(Work::Mark { id, mark }).await.map(drop)
    }

    /// Writes and commits one small row (the time of the check), through the writer
    /// thread like every submission: Ok when the database can be written now.
    pub async fn check_writable(&self) -> Result<(), StoreError> {
        self.write(Work::Health).await.map(drop)
    }

    async fn write(&self, work: Work) -> Result<i64, StoreError> {
        let (reply, answer) = oneshot::channel();
        let gone = || StoreError("the database writer has stopped".into());
        self.jobs.send(Job { work, reply }).map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    /// Notified after every commit that queued a notification: the outbox worker waits on
    /// it when nothing is due.
    pub fn wake(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Up to `limit` pending notifications due at `now` (Unix ms), oldest first, rows under
    /// way included. No lease: one process owns the file, and its one worker leaves out
    /// the rows it is sending.
    pub async fn claim(&self, now: i64, limit: usize) -> Result<Vec<Pending>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT s.id, s.received, s.origin, s.fields, o.attempts, s.form
                 FROM outbox o JOIN submissions s ON s.id = o.submission
                 WHERE o.state = 'pending' AND o.due <= ?1
                 ORDER BY o.due, s.id LIMIT ?2",
            )?;
            let rows = stmt.query_map((now, limit as i64), |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, u32>(4)?,
                    row.get::<_, String>(5)?,
                ))
            })?;
            rows.collect::<Result<Vec<_>, _>>()
        })
        .await?
        .into_iter()
        .map(|(id, received, origin, fields, attempts, form)| {
            Ok(Pending {
                submission: Submission {
                    id,
                    form,
                    received,
                    origin,
                    fields: parse_fields(&self.path, id, &fields)?,
                    delivery: Some(Delivery::Pending {
                        attempts,
                        error: None,
                    }),
                },
                attempts,
                lease: None,
            })
        })
        .collect()
    }

    /// When the next pending notification is due (Unix ms), if any is.
    pub async fn next_due(&self) -> Result<Option<i64>, StoreError> {
        self.read(|conn| {
            conn.query_row(
                "SELECT min(due) FROM outbox WHERE state = 'pending'",
                [],
                |row| row.get(0),
            )
        })
        .await
    }

    /// How many notifications are pending and how many failed, for the start-up log.
    pub async fn counts(&self) -> Result<(i64, i64), StoreError> {
        self.read(|conn| {
            conn.query_row(
                "SELECT count(*) FILTER (WHERE state = 'pending'),
                        count(*) FILTER (WHERE state = 'failed') FROM outbox",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
        })
        .await
    }

    async fn read<T: Send + 'static>(
        &self,
        query: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reader, path) = (self.reader.clone(), self.path.clone());
        tokio::task::spawn_blocking(move || {
            let conn = reader.lock().unwrap_or_else(|e| e.into_inner());
            query(&conn).map_err(|e| error(&path, e))
        })
        .await
        .map_err(|e| StoreError(format!("the outbox reader stopped: {e}")))?
    }
}

fn writer(mut conn: Connection, queue: mpsc::Receiver<Job>, last_id: &AtomicI64, wake: &Notify) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let notifies = batch
            .iter()
            .any(|job| matches!(&job.work, Work::Insert(new) if new.notify));
        let inserted = |job: &Job, id: i64| {
            if matches!(job.work, Work::Insert(_)) {
                last_id.fetch_max(id, Ordering::Relaxed);
            }
        };
        match commit(&mut conn, &batch) {
            Ok(ids) => {
                if notifies {
                    wake.notify_one();
                }
                for (job, id) in batch.into_iter().zip(ids) {
                    inserted(&job, id);
                    // The client may have gone; the row is stored all the same.
                    let _ = job.reply.send(Ok(id));
                }
            }
            // One failing row must not fail the others: commit each on its own.
            Err(_) if batch.len() > 1 => {
                for job in batch {
                    let result = commit(&mut conn, std::slice::from_ref(&job)).map(|ids| ids[0]);
                    if let Ok(id) = result {
                        inserted(&job, id);
                    }
                    let _ = job.reply.send(result);
                }
                if notifies {
                    wake.notify_one();
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

/// Does `jobs` in one transaction; the ids they concern once it has committed.
fn commit(conn: &mut Connection, jobs: &[Job]) -> Result<Vec<i64>, StoreError> {
    let failed = |e: rusqlite::Error| StoreError(format!("commit failed: {e}"));
    let tx = conn.transaction().map_err(failed)?;
    let ids = jobs
        .iter()
        .map(|job| match &job.work {
            Work::Insert(new) => insert(&tx, new),
            Work::Expire { form, days } => expire(&tx, form, *days),
            Work::Mark { id, mark } => record(&tx, *id, mark).map(|()| *id),
            Work::Health => tx
                .execute(
                    &format!("INSERT OR REPLACE INTO health (id, checked) VALUES (1, {NOW})"),
                    [],
                )
                .map(|_| 0)
                .map_err(|e| StoreError(format!("health check failed: {e}"))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    tx.commit().map_err(failed)?;
    Ok(ids)
}

fn insert(conn: &Connection, new: &NewSubmission) -> Result<i64, StoreError> {
    let failed = |e: rusqlite::Error| StoreError(format!("insert failed: {e}"));
    let now = now_ms();
    let window = IDEMPOTENCY_WINDOW.as_millis() as i64;
    if let Some(key) = &new.idempotency_key {
        let first: Option<i64> = conn
            .prepare_cached(
                "SELECT submission FROM idempotency WHERE form = ?1 AND key = ?2 AND at > ?3",
            )
            .and_then(|mut stmt| {
                stmt.query_row((&new.form, key, now - window), |row| row.get(0))
                    .optional()
            })
            .map_err(failed)?;
        if let Some(id) = first {
            return Ok(id);
        }
    }
    let json = serde_json::to_string(&new.fields).map_err(|e| StoreError(e.to_string()))?;
    conn.prepare_cached(&format!(
        "INSERT INTO submissions (received, origin, fields, form) VALUES ({NOW}, ?1, ?2, ?3)"
    ))
    .and_then(|mut stmt| stmt.execute((&new.origin, json, &new.form)))
    .map_err(failed)?;
    let id = conn.last_insert_rowid();
    if let Some(key) = &new.idempotency_key {
        conn.prepare_cached(
            "INSERT OR REPLACE INTO idempotency (form, key, submission, at) VALUES (?1, ?2, ?3, ?4)",
        )
        .and_then(|mut stmt| stmt.execute((&new.form, key, id, now)))
        .map_err(failed)?;
    }
    if new.notify {
        conn.prepare_cached("INSERT INTO outbox (submission, state) VALUES (?1, 'pending')")
            .and_then(|mut stmt| stmt.execute([id]))
            .map_err(failed)?;
    }
    Ok(id)
}

fn expire(conn: &Connection, form: &str, days: u32) -> Result<i64, StoreError> {
    let failed = |e: rusqlite::Error| StoreError(format!("expiry failed: {e}"));
    // `received` is RFC 3339 UTC to the second, which sorts as text.
    let before = format!("strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-{days} days')");
    let old = format!("SELECT id FROM submissions WHERE form = ?1 AND received < {before}");
    for table in ["outbox", "idempotency"] {
        conn.execute(
            &format!("DELETE FROM {table} WHERE submission IN ({old})"),
            [form],
        )
        .map_err(failed)?;
    }
    let n = conn
        .execute(
            &format!("DELETE FROM submissions WHERE id IN ({old})"),
            [form],
        )
        .map_err(failed)?;
    let window = IDEMPOTENCY_WINDOW.as_millis() as i64;
    conn.execute(
        "DELETE FROM idempotency WHERE at <= ?1",
        [now_ms() - window],
    )
    .map_err(failed)?;
    Ok(n as i64)
}

/// Writes one attempt's outcome; only a pending row changes (a `resend` may have raced).
fn record(conn: &Connection, id: i64, mark: &Mark) -> Result<(), StoreError> {
    let update = |set: &str| {
        format!(
            "UPDATE outbox SET attempts = attempts + 1, {set}
             WHERE submission = ?1 AND state = 'pending'"
        )
    };
    let result = match mark {
        Mark::Sent => conn
            .prepare_cached(&update(&format!(
                "state = 'sent', done = {NOW}, error = NULL"
            )))
            .and_then(|mut stmt| stmt.execute([id])),
        Mark::Retry { due, error } => conn
            .prepare_cached(&update("due = ?2, error = ?3"))
            .and_then(|mut stmt| stmt.execute((id, due, error))),
        Mark::Failed(reason) => conn
            .prepare_cached(&update(&format!(
                "state = 'failed', done = {NOW}, error = ?2"
            )))
            .and_then(|mut stmt| stmt.execute((id, reason))),
    };
    result.map_err(|e| StoreError(format!("outbox update failed: {e}")))?;
    Ok(())
}

/// Queues notifications again (`corsform-server resend`): they become pending, due now,
/// with no attempts counted. Opens the database read-write, beside a running server; one
/// running there picks them up within [`crate::outbox::IDLE_POLL`]. Returns how many.
/// Errors: a missing file, or [`Resend::Id`] of no stored submission.
pub(super) fn resend(path: &Path, which: Resend) -> Result<usize, StoreError> {
    if !path.exists() {
        return Err(error(path, "no such file"));
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .map_err(|e| error(path, e))?;
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(|e| error(path, e))?;
    prepare(&conn).map_err(|e| error(path, e))?;
    let again = "state = 'pending', attempts = 0, due = 0, done = NULL, error = NULL";
    let n = match which {
        Resend::Id(id) => conn
            .execute(
                &format!(
                    "INSERT INTO outbox (submission, state) SELECT id, 'pending'
                     FROM submissions WHERE id = ?1
                     ON CONFLICT (submission) DO UPDATE SET {again}"
                ),
                [id],
            )
            .map_err(|e| error(path, e))?,
        Resend::Failed => conn
            .execute(
                &format!("UPDATE outbox SET {again} WHERE state = 'failed'"),
                [],
            )
            .map_err(|e| error(path, e))?,
    };
    if let (Resend::Id(id), 0) = (which, n) {
        return Err(error(path, format!("no submission with id {id}")));
    }
    Ok(n)
}

/// Deletes submissions with their notifications and idempotency keys, in one
/// transaction, beside a running server. Errors: a missing file, or [`Erase::Id`] of no
/// stored submission.
pub(super) fn delete(path: &Path, which: Erase<'_>) -> Result<Erased, StoreError> {
    if !path.exists() {
        return Err(error(path, "no such file"));
    }
    let mut conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .map_err(|e| error(path, e))?;
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(|e| error(path, e))?;
    prepare(&conn).map_err(|e| error(path, e))?;
    let tx = conn.transaction().map_err(|e| error(path, e))?;
    let ids: Vec<i64> = match which {
        Erase::Id(id) => tx
            .prepare("SELECT id FROM submissions WHERE id = ?1")
            .and_then(|mut stmt| stmt.query_map([id], |row| row.get(0))?.collect()),
        Erase::Email(address) => tx
            .prepare(
                "SELECT DISTINCT s.id FROM submissions s, json_each(s.fields) f
                 WHERE lower(trim(json_extract(f.value, '$[1]'))) = lower(trim(?1))
                 ORDER BY s.id",
            )
            .and_then(|mut stmt| stmt.query_map([address], |row| row.get(0))?.collect()),
    }
    .map_err(|e| error(path, e))?;
    if let (Erase::Id(id), true) = (which, ids.is_empty()) {
        return Err(error(path, format!("no submission with id {id}")));
    }
    let mut notifications = 0;
    for id in &ids {
        let delete = |sql: &str| tx.execute(sql, [id]).map_err(|e| error(path, e));
        notifications += delete("DELETE FROM outbox WHERE submission = ?1")?;
        delete("DELETE FROM idempotency WHERE submission = ?1")?;
        delete("DELETE FROM submissions WHERE id = ?1")?;
    }
    tx.commit().map_err(|e| error(path, e))?;
    Ok(Erased { ids, notifications })
}

fn parse_fields(path: &Path, id: i64, json: &str) -> Result<Vec<(String, String)>, StoreError> {
    serde_json::from_str(json).map_err(|e| error(path, format!("row {id}: bad fields column: {e}")))
}

/// Every stored submission, oldest first. The file must exist; it is opened read-only.
pub(super) fn read_all(path: &Path) -> Result<Vec<Submission>, StoreError> {
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
    // A database written before the outbox existed has no such table.
    let has_outbox: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(|e| error(path, e))?;
    // Nor one written before there were several forms, a `form` column.
    let form = if has_column(&conn, "submissions", "form").map_err(|e| error(path, e))? {
        "s.form"
    } else {
        "'contact'"
    };
    let sql = if has_outbox.is_some() {
        format!(
            "SELECT s.id, s.received, s.origin, s.fields, o.state, o.attempts, o.done, o.error,
             {form} FROM submissions s LEFT JOIN outbox o ON o.submission = s.id ORDER BY s.id"
        )
    } else {
        format!(
            "SELECT s.id, s.received, s.origin, s.fields, NULL, NULL, NULL, NULL, {form}
             FROM submissions s ORDER BY s.id"
        )
    };
    let mut stmt = conn.prepare(&sql).map_err(|e| error(path, e))?;
    let rows = stmt
        .query_map([], |row| {
            Ok((
                (
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, String>(3)?,
                ),
                (
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, Option<u32>>(5)?,
                    row.get::<_, Option<String>>(6)?,
                    row.get::<_, Option<String>>(7)?,
                ),
                row.get::<_, String>(8)?,
            ))
        })
        .map_err(|e| error(path, e))?;
    let mut out = Vec::new();
    for row in rows {
        let ((id, received, origin, fields), (state, attempts, done, reason), form) =
            row.map_err(|e| error(path, e))?;
        let attempts = attempts.unwrap_or(0);
        let delivery = Delivery::from_columns(state.as_deref(), attempts, done, reason);
        out.push(Submission {
            id,
            form,
            received,
            origin,
            fields: parse_fields(path, id, &fields)?,
            delivery,
        });
    }
    Ok(out)
}
