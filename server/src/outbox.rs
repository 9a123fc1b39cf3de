//! The outbox worker: sends each pending notification and records the outcome.
//!
//! Each accepted submission's notification row is committed with the submission
//! ([`crate::store`]). The worker claims due rows ([`Store::claim`]) as its
//! [`CONNECTIONS`] slots free up, sends each message with lettre, and records the outcome;
//! a row is not claimed again while its attempt is under way or its outcome unrecorded,
//! so it is never sent twice on the normal path. On PostgreSQL several workers (one per
//! instance) share the outbox: a claimed row is leased to its worker, which claims no more
//! rows than it has free slots and ends each attempt within the lease; a row whose worker
//! died is claimed by another once the lease has ended. A 2xx reply marks it sent; a 4xx reply, a
//! connection failure or a timeout schedules another attempt ([`Retry::wait`]); a 5xx
//! reply, or the last allowed attempt, marks it failed with the reply. A row whose outcome
//! was not recorded (`kill -9` between the server's 250 and the commit) is sent again
//! after a restart: delivery is at least once, and such a copy has the same `Message-ID:`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::mail::{Mail, Retry, Security, SendFailure};
use crate::store::{now_ms, Mark, Pending, Store, StoreError};
use crate::Rules;

/// The longest the worker sleeps with nothing due: how soon it sees rows that another
/// process queued (`corsform-server resend`).
pub const IDLE_POLL: Duration = Duration::from_secs(5);

/// The most messages sent at once, each on its own SMTP connection.
pub const CONNECTIONS: usize = 4;

/// A running worker; [`Outbox::stop`] ends it.
#[derive(Debug)]
pub struct Outbox {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

struct Worker {
    store: Store,
    /// Each form's mail settings and rules, by [`Mail::form`]; the first one serves a
    /// submission of a form no longer configured.
    forms: Vec<(Arc<Mail>, Rules)>,
}

impl Outbox {
    /// Logs how many notifications are pending and failed, then starts the worker on the
    /// current tokio runtime, for one form. Errors: the database cannot be read.
    pub async fn start(store: Store, mail: Arc<Mail>, rules: Rules) -> Result<Outbox, StoreError> {
        Outbox::start_forms(store, vec![(mail, rules)]).await
    }

    /// [`Outbox::start`] for several forms, each with its mail settings ([`Mail::form`]
    /// names it) and its rules (for `Reply-To:`). The SMTP server, the sender and the
    /// retries are the first one's. Panics when `forms` is empty.
    pub async fn start_forms(
        store: Store,
        forms: Vec<(Arc<Mail>, Rules)>,
    ) -> Result<Outbox, StoreError> {
        let mail = forms[0].0.clone();
        let (pending, failed) = store.counts().await?;
        tracing::info!(
            "mail: to {} recipient(s) via {:?}; {pending} pending, {failed} failed{}",
            mail.to.len(),
            mail.smtp,
            if failed > 0 {
                " (corsform-server resend --failed queues them again)"
            } else {
                ""
            }
        );
        let smtp = &mail.smtp;
        let local = smtp.host == "localhost"
            || smtp
                .host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if smtp.security == Security::Plain && !local {
            tracing::warn!(
                "mail: smtp:// to {} has no TLS: the messages{} cross the network in clear \
                 (use ?tls=starttls or smtps://)",
                smtp.host,
                if smtp.credentials.is_some() {
                    " and the password"
                } else {
                    ""
                }
            );
        }
        let (stop, stopped) = watch::channel(false);
        let worker = Worker { store, forms };
        let task = tokio::spawn(worker.run(stopped));
        Ok(Outbox { stop, task })
    }

    /// Stops the worker: the attempts under way finish (each bounded by the SMTP
    /// timeout) and are recorded; nothing new is started.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// An outcome that could not be recorded when it happened.
type Unrecorded = (Pending, Mark);

/// What an attempt's task gave back (`join_next_with_id`): its row is no longer under way,
/// and its outcome is kept to be recorded when it could not be.
fn finished(
    done: Option<Result<(tokio::task::Id, Option<Unrecorded>), tokio::task::JoinError>>,
    under_way: &mut HashMap<tokio::task::Id, i64>,
    unrecorded: &mut Vec<(Pending, Mark)>,
) {
    match done {
        Some(Ok((task, outcome))) => {
            under_way.remove(&task);
            unrecorded.extend(outcome);
        }
        Some(Err(e)) => {
            under_way.remove(&e.id());
        }
        None => {}
    }
}

impl Worker {
    /// Keeps up to [`CONNECTIONS`] attempts under way: claims a due row whenever a slot
    /// is free, else waits for an attempt to end, a commit that queued a notification,
    /// the next row's due time or [`IDLE_POLL`]. A row is never claimed while an attempt
    /// for it is under way or its outcome is unrecorded: on PostgreSQL its lease keeps it
    /// from every worker; on SQLite, whose one worker has no leases, the rows under way
    /// are left out of what it reads.
    async fn run(self, mut stop: watch::Receiver<bool>) {
        let this = Arc::new(self);
        let wake = this.store.wake();
        let leased = this.store.lease().is_some();
        let mut sending = JoinSet::new();
        // The rows under way, by the task sending each.
        let mut under_way: HashMap<tokio::task::Id, i64> = HashMap::new();
        let mut unrecorded = Vec::new();
        loop {
            while let Some(done) = sending.try_join_next_with_id() {
                finished(Some(done), &mut under_way, &mut unrecorded);
            }
            // Nothing more is claimed before every outcome is recorded: on SQLite the row
            // would look pending and be sent again and again.
            this.record(std::mem::take(&mut unrecorded), &mut stop)
                .await;
            if *stop.borrow() {
                break;
            }
            let free = CONNECTIONS - sending.len();
            let now = now_ms();
            let mut started = 0;
            if free > 0 {
                let ask = if leased { free } else { free + under_way.len() };
                let claimed = Instant::now();
                let batch = match this.store.claim(now, ask).await {
                    Ok(batch) => batch,
                    Err(e) => {
                        tracing::error!("mail: {e}");
                        Vec::new()
                    }
                };
                let busy: HashSet<i64> = under_way.values().copied().collect();
                for pending in batch
                    .into_iter()
                    .filter(|p| !busy.contains(&p.submission.id))
                    .take(free)
                {
                    let (this, id) = (this.clone(), pending.submission.id);
                    let task = sending.spawn(async move { this.deliver(pending, claimed).await });
                    under_way.insert(task.id(), id);
                    started += 1;
                }
            }
            if started > 0 {
                continue;
            }
            if free == 0 {
                // Every slot is busy: only an attempt's end (or stop) changes anything.
                tokio::select! {
                    done = sending.join_next_with_id() => {
                        finished(done, &mut under_way, &mut unrecorded);
                    }
                    _ = stop.changed() => {}
                }
                continue;
            }
            let next = this.store.next_due().await.ok().flatten();
            let wait = next.map_or(IDLE_POLL, |due| {
                Duration::from_millis(due.saturating_sub(now).max(0) as u64).min(IDLE_POLL)
            });
            tokio::select! {
                done = sending.join_next_with_id(), if !sending.is_empty() => {
                    finished(done, &mut under_way, &mut unrecorded);
                }
                _ = wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
        // Stopping: the attempts under way end and are recorded.
        while let Some(done) = sending.join_next_with_id().await {
            finished(Some(done), &mut under_way, &mut unrecorded);
        }
        for (pending, mark) in unrecorded {
            if let Err(e) = this.store.mark(&pending, mark).await {
                let id = pending.submission.id;
                tracing::error!(id, "mail: the outcome could not be recorded: {e}");
            }
        }
    }

    /// Records the outcomes that could not be recorded when they happened (the database
    /// failed), trying again every second, before anything more is read or sent: reading
    /// the rows again while they look pending would send them again and again. On `stop`,
    /// gives up; the rows are still pending and are sent again after the restart.
    async fn record(&self, mut unrecorded: Vec<(Pending, Mark)>, stop: &mut watch::Receiver<bool>) {
        while let Some((pending, mark)) = unrecorded.pop() {
            if *stop.borrow() {
                return;
            }
            if let Err(e) = self.store.mark(&pending, mark.clone()).await {
                let id = pending.submission.id;
                tracing::error!(id, "mail: the outcome still cannot be recorded: {e}");
                unrecorded.push((pending, mark));
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => return,
                }
            }
        }
    }

    /// One attempt for one row claimed at `claimed`, and its outcome recorded; the
    /// outcome back when it could not be.
    async fn deliver(&self, pending: Pending, claimed: Instant) -> Option<(Pending, Mark)> {
        let id = pending.submission.id;
        // Within the lease, less a tenth of it to record the outcome: past it, another
        // worker may claim the row and send it too.
        let deadline = self.store.lease().map(|lease| claimed + lease - lease / 10);
        let mark = self.attempt(&pending, deadline).await;
        // Logged once recorded, so that what the log says is what `export` shows.
        match self.store.mark(&pending, mark.clone()).await {
            Ok(()) => {
                log_outcome(id, pending.attempts + 1, &mark);
                None
            }
            Err(e) => {
                log_outcome(id, pending.attempts + 1, &mark);
                tracing::error!(id, "mail: the outcome could not be recorded: {e}");
                Some((pending, mark))
            }
        }
    }

    /// One attempt, ended by the SMTP timeout or at `deadline` (the lease's), whichever
    /// comes first.
    async fn attempt(&self, pending: &Pending, deadline: Option<Instant>) -> Mark {
        let form = &pending.submission.form;
        let (mail, rules) = self
            .forms
            .iter()
            .find(|(mail, _)| &mail.form == form)
            .unwrap_or(&self.forms[0]);
        let message = match mail.compose(rules, &pending.submission) {
            Ok(message) => message,
            Err(e) => return Mark::Failed(format!("the message could not be written: {e}")),
        };
        // This bounds the whole attempt, so a server that stops answering (or trickles its
        // replies) cannot hold a message. Dropping the attempt closes its connection.
        let timeout = deadline.map_or(mail.timeout, |deadline| {
            mail.timeout
                .min(deadline.saturating_duration_since(Instant::now()))
        });
        let sent = tokio::time::timeout(timeout, mail.smtp.send(&message)).await;
        let (error, permanent) = match sent {
            Ok(Ok(())) => return Mark::Sent,
            Ok(Err(SendFailure { reason, permanent })) => (reason, permanent),
            Err(_) => (
                format!("no answer from the SMTP server within {timeout:?}"),
                false,
            ),
        };
        let failures = pending.attempts + 1;
        let Retry { attempts, .. } = mail.retry;
        if permanent {
            Mark::Failed(error)
        } else if failures >= attempts {
            Mark::Failed(format!("{error} (gave up after {failures} attempts)"))
        } else {
            let wait = mail.retry.wait(failures);
            Mark::Retry {
                due: now_ms() + wait.as_millis() as i64,
                error,
            }
        }
    }
}

/// The log line for attempt number `attempt` of submission `id`.
fn log_outcome(id: i64, attempt: u32, mark: &Mark) {
    match mark {
        Mark::Sent => tracing::info!(id, "mail: sent"),
        Mark::Retry { due, error } => tracing::warn!(
            id,
            "mail: attempt {attempt} failed ({error}); next in {} s",
            (due - now_ms()).max(0) / 1000
        ),
        Mark::Failed(reason) => tracing::error!(id, "mail: failed: {reason}"),
    }
}
