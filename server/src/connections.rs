//! The accept loop: HTTP/1.1 connections served by hyper with a deadline on every request
//! head and a cap on how many are open at once.
//!
//! A client that opens a connection and sends half a request head, then nothing, costs the
//! server a file descriptor for as long as the connection stays open. So:
//!
//! - every request head must arrive within [`Limits::header_timeout`] (hyper's
//!   `header_read_timeout`, run on tokio's timer); the same deadline runs while a
//!   keep-alive connection waits for its next request, so an idle connection is closed
//!   after it too;
//! - at most [`Limits::max_connections`] are open at once. Past it, a new connection
//!   closes the oldest open one that has no request under way (it is sending a head, or
//!   idle between requests: it holds the server with nothing to say), then waits up to
//!   [`ADMISSION_WAIT`] for its place, and is closed if none frees up meanwhile.
//!
//! A connection with a request under way is never closed to make room; its request is
//! bounded by the app's `--timeout`.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};
use tower::ServiceExt;

/// The default `--header-timeout`.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a new connection waits for a place when [`Limits::max_connections`] are open
/// and none of them could be closed at once; then it is closed unanswered.
pub const ADMISSION_WAIT: Duration = Duration::from_secs(1);

/// File descriptors kept for everything but connections: the database, its journal, the
/// listener, SMTP connections, the standard streams.
pub const RESERVED_FDS: u64 = 64;

/// How the accept loop treats connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// How long a request head may take to arrive, from the connection's start or the
    /// previous response; also how long a keep-alive connection may stay idle.
    pub header_timeout: Duration,
    /// The most connections open at once.
    pub max_connections: usize,
}

impl Limits {
    /// The defaults for a process allowed `fd_limit` open files: a 10 s header timeout and
    /// half of the descriptors (less [`RESERVED_FDS`]) for connections, at least 16.
    /// `None` (no limit, or it could not be read): 10,000 connections.
    pub fn for_fd_limit(fd_limit: Option<u64>) -> Limits {
        let max = fd_limit.map_or(10_000, |n| (n.saturating_sub(RESERVED_FDS) / 2).max(16));
        Limits {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            max_connections: usize::try_from(max).unwrap_or(usize::MAX),
        }
    }
}

/// The process's soft limit on open files (`RLIMIT_NOFILE`); `None` when unlimited.
pub fn fd_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

/// One open connection: whether a request is under way, and how to close it.
#[derive(Default)]
struct Open {
    requests: AtomicUsize,
    close: Notify,
}

/// The open connections by arrival, oldest first.
#[derive(Default)]
struct Table {
    next: AtomicUsize,
    open: Mutex<BTreeMap<usize, Arc<Open>>>,
}

impl Table {
    fn add(&self) -> (usize, Arc<Open>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let open = Arc::new(Open::default());
        self.lock().insert(id, open.clone());
        (id, open)
    }

    fn remove(&self, id: usize) {
        self.lock().remove(&id);
    }

    /// Closes the oldest connection with no request under way; false if every one has one.
    fn close_one_idle(&self) -> bool {
        let mut open = self.lock();
        let idle = open
            .iter()
            .find(|(_, c)| c.requests.load(Ordering::Acquire) == 0)
            .map(|(id, _)| *id);
        match idle.and_then(|id| open.remove(&id)) {
            Some(conn) => {
                conn.close.notify_one();
                true
            }
            None => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<usize, Arc<Open>>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Counts a request as under way on its connection while it lives.
struct UnderWay(Arc<Open>);

impl UnderWay {
    fn new(open: &Arc<Open>) -> UnderWay {
        open.requests.fetch_add(1, Ordering::AcqRel);
        UnderWay(open.clone())
    }
}

impl Drop for UnderWay {
    fn drop(&mut self) {
        self.0.requests.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting and
/// waits for the requests under way (idle connections are closed at once). Each request
/// carries its peer's address as [`ConnectInfo<SocketAddr>`].
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let places = Arc::new(Semaphore::new(limits.max_connections));
    let table = Arc::new(Table::default());
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors (EMFILE) or the like: the next accept may work once
                    // some connection is closed.
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let place = match places.clone().try_acquire_owned() {
            Ok(place) => place,
            Err(_) => {
                table.close_one_idle();
                match tokio::time::timeout(ADMISSION_WAIT, places.clone().acquire_owned()).await {
                    Ok(Ok(place)) => place,
                    _ => {
                        tracing::warn!(
                            %peer,
                            "{} connections open, each with a request under way: closed",
                            limits.max_connections
                        );
                        continue;
                    }
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let (id, open) = table.add();
        let service = {
            let (router, open) = (router.clone(), open.clone());
            hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                let under_way = UnderWay::new(&open);
                request.extensions_mut().insert(ConnectInfo(peer));
                let router = router.clone();
                async move {
                    let response = router.oneshot(request).await;
                    drop(under_way);
                    Ok::<_, Infallible>(response.unwrap_or_else(|never| match never {}))
                }
            })
        };
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        let table = table.clone();
        tokio::spawn(async move {
            tokio::select! {
                served = connection => {
                    if let Err(e) = served {
                        tracing::debug!(%peer, "connection: {e}");
                    }
                }
                () = open.close.notified() => {
                    tracing::debug!(%peer, "closed to make room for a new connection");
                }
            }
            table.remove(id);
            drop(place);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_cap_is_half_the_descriptors_left() {
        assert_eq!(Limits::for_fd_limit(Some(1024)).max_connections, 480);
        assert_eq!(Limits::for_fd_limit(Some(20)).max_connections, 16);
        assert_eq!(Limits::for_fd_limit(None).max_connections, 10_000);
        assert_eq!(
            Limits::for_fd_limit(None).header_timeout,
            Duration::from_secs(10)
        );
    }

    #[test]
    fn the_oldest_idle_connection_goes_first() {
        let table = Table::default();
        let (a, first) = table.add();
        let (_, second) = table.add();
        let (_, third) = table.add();
        let busy = UnderWay::new(&first);
        assert!(table.close_one_idle());
        assert_eq!(table.lock().len(), 2);
        assert!(table.lock().contains_key(&a), "the busy one stays");
        drop(busy);
        drop((second, third));
        assert!(table.close_one_idle());
        assert!(!table.lock().contains_key(&a), "then idle, it goes");
    }
}
