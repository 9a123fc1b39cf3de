//! `--rate-limit`: submissions per minute per client address, with tower_governor (a
//! GCRA token bucket from the `governor` crate): a client may send `N` at once, then one
//! more every `60/N` seconds.
//!
//! The key is the client's address: the socket's, or behind a trusted proxy the one it
//! forwards ([`crate::proxy`]). IPv6 clients are keyed by their /64, since one host
//! usually owns a whole /64. A request without `ConnectInfo` (tests driving the router
//! with `oneshot`) comes from 0.0.0.0, which is trusted only if a proxy range covers it.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, Request, Response, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};

use crate::proxy::Proxies;

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
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4([0, 0, 0, 0].into()), |ConnectInfo(addr)| {
                addr.ip()
            });
        Ok(ClientAddr::key(self.proxies.client(peer, req.headers())))
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
    let (status, retry) = match error {
        // `wait_time` is whole seconds rounded down: one more is never too early.
        GovernorError::TooManyRequests { wait_time, .. } => {
            (StatusCode::TOO_MANY_REQUESTS, Some(wait_time + 1))
        }
        _ => (StatusCode::INTERNAL_SERVER_ERROR, None),
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
