//! `--rate-limit`: submissions per minute per client address, GCRA (the generic cell rate
//! algorithm, a token bucket): a client may send `N` at once, then one more every `60/N`
//! seconds. On SQLite, in memory with tower_governor (the `governor` crate); on PostgreSQL,
//! in the database ([`Shared`], [`crate::store::Postgres::take`]), so that the instances
//! behind one load balancer share each client's allowance. Both answer `429` with the same
//! JSON and `Retry-After`.
//!
//! The key is the client's address: the socket's, or behind a trusted proxy the one it
//! forwards ([`crate::proxy`]). IPv6 clients are keyed by their /64, since one host
//! usually owns a whole /64. A request without `ConnectInfo` (tests driving the router
//! with `oneshot`) comes from 0.0.0.0, which is trusted only if a proxy range covers it.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, Request, Response, StatusCode};
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::Json;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};

use crate::proxy::Proxies;
use crate::store::Postgres;
use crate::Config;

/// The rate-limit key: the client's IP address, its /64 for IPv6.
#[derive(Clone, Debug, Default)]
pub struct ClientAddr {
    proxies: Arc<Proxies>,
}

impl ClientAddr {
    /// The key for a peer address.
    pub fn key(ip: IpAddr) -> IpAddr {
        match ip {
            IpAddr::V4(_) => ip,
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                    IpAddr::V6(Ipv6Addr::from(prefix))
                }
            },
        }
    }
}

impl KeyExtractor for ClientAddr {
    type Key = IpAddr;

    fn extract<T>(&self, req: &Request<T>) -> Result<IpAddr, GovernorError> {
        Ok(self.of(req))
    }
}

impl ClientAddr {
    /// The key of `req`'s client.
    fn of<T>(&self, req: &Request<T>) -> IpAddr {
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4([0, 0, 0, 0].into()), |ConnectInfo(addr)| {
                addr.ip()
            });
        ClientAddr::key(self.proxies.client(peer, req.headers()))
    }
}

/// One form's rate limit shared through PostgreSQL: the state of [`shared`].
#[derive(Clone, Debug)]
pub struct Shared {
    store: Postgres,
    form: String,
    period: Duration,
    burst: u32,
    clients: ClientAddr,
}

impl Shared {
    /// The limit of `config`'s form when its store is PostgreSQL and it has one; `None`
    /// otherwise (SQLite: [`layer`]; `rate_limit` 0: no limit).
    pub fn for_form(config: &Config) -> Option<Shared> {
        let store = config.store.postgres()?;
        if config.rate_limit == 0 {
            return None;
        }
        Some(Shared {
            store: store.clone(),
            form: config.name.clone(),
            period: Duration::from_secs(60) / config.rate_limit,
            burst: config.rate_limit,
            clients: ClientAddr {
                proxies: Arc::new(config.proxies.clone()),
            },
        })
    }
}

/// The middleware (`axum::middleware::from_fn_with_state`) of a [`Shared`] limit: a
/// request over it gets `429` with `Retry-After` (seconds); a database failure, `500`.
pub async fn shared(
    State(limit): State<Shared>,
    request: Request<Body>,
    next: Next,
) -> Response<Body> {
    let client = limit.clients.of(&request).to_string();
    match limit
        .store
        .take(&limit.form, &client, limit.period, limit.burst)
        .await
    {
        Ok(None) => next.run(request).await,
        // Whole seconds rounded down, plus one: never too early (as with governor).
        Ok(Some(wait)) => refusal(Some(wait.as_secs() + 1)),
        Err(e) => {
            tracing::error!("rate limit: {e}");
            refusal(None)
        }
    }
}

/// The layer that answers `429` with `Retry-After` to a client over `per_minute`
/// submissions; `None` when `per_minute` is 0 (no limit). The client is found through
/// `proxies`.
pub fn layer(
    per_minute: u32,
    proxies: &Proxies,
) -> Option<GovernorLayer<ClientAddr, governor::middleware::NoOpMiddleware, Body>> {
    if per_minute == 0 {
        return None;
    }
    // One cell replenished every 60/N s (at least 1 ns), a burst of N.
    let period = Duration::from_secs(60) / per_minute;
    let config = GovernorConfigBuilder::default()
        .key_extractor(ClientAddr {
            proxies: Arc::new(proxies.clone()),
        })
        .period(period.max(Duration::from_nanos(1)))
        .burst_size(per_minute)
        .finish()
        .expect("the period and the burst are not zero");
    let config = Arc::new(config);
    forget_idle_clients(&config);
    Some(GovernorLayer::new(config).error_handler(too_many))
}

/// Once a minute, drops the state of clients whose bucket is full again, so that the
/// table does not grow with every address ever seen. Ends when the layer is dropped.
fn forget_idle_clients(
    config: &Arc<
        tower_governor::governor::GovernorConfig<ClientAddr, governor::middleware::NoOpMiddleware>,
    >,
) {
    let weak = Arc::downgrade(config);
    let _ = std::thread::Builder::new()
        .name("corsform-rate-limit".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_secs(60));
            match weak.upgrade() {
                Some(config) => config.limiter().retain_recent(),
                None => return,
            }
        });
}

fn too_many(error: GovernorError) -> Response<Body> {
    match error {
        // `wait_time` is whole seconds rounded down: one more is never too early.
        GovernorError::TooManyRequests { wait_time, .. } => refusal(Some(wait_time + 1)),
        _ => refusal(None),
    }
}

/// `429` with `Retry-After: retry` seconds; `500` without `retry` (the limit failed).
fn refusal(retry: Option<u64>) -> Response<Body> {
    let status = match retry {
        Some(_) => StatusCode::TOO_MANY_REQUESTS,
        None => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let message = match retry {
        Some(_) => "too many submissions; try again later",
        None => "the rate limit failed",
    };
    let mut response = (
        status,
        Json(serde_json::json!({"ok": false, "error": message})),
    )
        .into_response();
    if let Some(seconds) = retry {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ClientAddr::key(a), ClientAddr::key(b));
        assert_ne!(ClientAddr::key(a), ClientAddr::key(c));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(ClientAddr::key(mapped), IpAddr::from([10, 0, 0, 1]));
        let v4: IpAddr = [10, 0, 0, 2].into();
        assert_eq!(ClientAddr::key(v4), v4);
    }
}
