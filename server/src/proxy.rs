//! `--trusted-proxy`: the visitor's address behind a reverse proxy, for the rate limit.
//!
//! Behind nginx, Caddy or a load balancer every connection comes from the proxy, so the
//! socket address is the proxy's. The proxy appends the address it got the request from to
//! `X-Forwarded-For` (or to `Forwarded`, RFC 7239 §5.2): the list is read from the right,
//! hop by hop, while the hop is a trusted proxy; the first address that is not one is the
//! visitor's. Anything to its left was written by the visitor and is ignored. A connection
//! that does not come from a trusted proxy is its own client, whatever its headers say.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::http::HeaderMap;
use ipnet::IpNet;
use serde::Deserialize;

/// Which header the trusted proxies write the client's address to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx's `$proxy_add_x_forwarded_for`,
    /// Caddy, most load balancers).
    #[default]
    XForwardedFor,
    /// `Forwarded: for=client, for="[2001:db8::1]:4711"` (RFC 7239).
    Forwarded,
}

impl FromStr for ForwardedHeader {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(ForwardedHeader::XForwardedFor),
            "forwarded" => Ok(ForwardedHeader::Forwarded),
            _ => Err(format!("{text:?}: expected x-forwarded-for or forwarded")),
        }
    }
}

/// The trusted proxies and the header they write.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Proxies {
    /// The networks whose connections are trusted to say who their client is.
    pub trusted: Vec<IpNet>,
    /// The header they say it in.
    pub header: ForwardedHeader,
}

impl Proxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.trusted.iter().any(|net| net.contains(&ip))
    }

    /// The client's address of a request that came from `peer` with `headers`: `peer`
    /// itself unless it is trusted; else the rightmost untrusted hop of the forwarding
    /// header (or the leftmost hop when every one is trusted). An entry that is not an
    /// address (`unknown`, an obfuscated name) ends the walk at the hop to its right.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let name = match self.header {
            ForwardedHeader::XForwardedFor => "x-forwarded-for",
            ForwardedHeader::Forwarded => "forwarded",
        };
        // Several header lines are one list, in order (RFC 9110 §5.3).
        let values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let hops = values.iter().flat_map(|v| v.split(','));
        let mut client = peer;
        for hop in hops.rev() {
            let address = match self.header {
                ForwardedHeader::XForwardedFor => parse_node(hop.trim()),
                ForwardedHeader::Forwarded => forwarded_for(hop),
            };
            match address {
                Some(ip) if self.trusts(ip) => client = ip,
                Some(ip) => return ip,
                None => return client,
            }
        }
        client
    }
}

/// The `for=` node of one `Forwarded` element (`for=192.0.2.60;proto=http;by=203.0.113.43`).
fn forwarded_for(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("for")
            .then(|| parse_node(value.trim().trim_matches('"')))
            .flatten()
    })
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]` or `[2001:db8::1]:4711`.
fn parse_node(text: &str) -> Option<IpAddr> {
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| text.strip_prefix('[')?.strip_suffix(']')?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn proxies(header: ForwardedHeader) -> Proxies {
        Proxies {
            trusted: vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()],
            header,
        }
    }

    fn client(p: &Proxies, peer: &str, lines: &[&str]) -> String {
        let name = match p.header {
            ForwardedHeader::XForwardedFor => "x-forwarded-for",
            ForwardedHeader::Forwarded => "forwarded",
        };
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(name, HeaderValue::from_str(line).unwrap());
        }
        p.client(peer.parse().unwrap(), &headers).to_string()
    }

    #[test]
    fn x_forwarded_for_is_read_right_to_left_through_trusted_hops() {
        let p = proxies(ForwardedHeader::XForwardedFor);
        assert_eq!(client(&p, "10.0.0.1", &["203.0.113.7"]), "203.0.113.7");
        // The visitor wrote the leftmost entry: ignored.
        assert_eq!(
            client(&p, "10.0.0.1", &["1.2.3.4, 203.0.113.7"]),
            "203.0.113.7"
        );
        assert_eq!(
            client(&p, "10.0.0.1", &["1.2.3.4, 203.0.113.7, 10.0.0.9"]),
            "203.0.113.7"
        );
        assert_eq!(
            client(&p, "10.0.0.1", &["1.2.3.4", "203.0.113.7"]),
            "203.0.113.7"
        );
        assert_eq!(client(&p, "::1", &["[2001:db8::5]:4711"]), "2001:db8::5");
        assert_eq!(
            client(&p, "::ffff:10.0.0.1", &["198.51.100.1"]),
            "198.51.100.1"
        );
        // Every hop trusted: the leftmost; garbage: the last trusted hop; none: the peer.
        assert_eq!(client(&p, "10.0.0.1", &["10.0.0.3, 10.0.0.2"]), "10.0.0.3");
        assert_eq!(client(&p, "10.0.0.1", &["1.2.3.4, unknown"]), "10.0.0.1");
        assert_eq!(client(&p, "10.0.0.1", &[]), "10.0.0.1");
    }

    #[test]
    fn an_untrusted_peer_is_its_own_client_whatever_it_says() {
        let p = proxies(ForwardedHeader::XForwardedFor);
        assert_eq!(client(&p, "192.0.2.1", &["10.0.0.1"]), "192.0.2.1");
        assert_eq!(client(&p, "192.0.2.1", &["203.0.113.7"]), "192.0.2.1");
        let p = proxies(ForwardedHeader::Forwarded);
        assert_eq!(client(&p, "192.0.2.1", &["for=203.0.113.7"]), "192.0.2.1");
    }

    #[test]
    fn forwarded_elements_give_their_for_node() {
        let p = proxies(ForwardedHeader::Forwarded);
        assert_eq!(
            client(
                &p,
                "10.0.0.1",
                &["for=1.2.3.4, for=203.0.113.7;proto=https"]
            ),
            "203.0.113.7"
        );
        assert_eq!(
            client(&p, "10.0.0.1", &[r#"For="[2001:db8:cafe::17]:4711""#]),
            "2001:db8:cafe::17"
        );
        assert_eq!(
            client(
                &p,
                "10.0.0.1",
                &["for=203.0.113.7, by=10.0.0.1;for=10.0.0.2"]
            ),
            "203.0.113.7"
        );
        assert_eq!(client(&p, "10.0.0.1", &["for=_hidden"]), "10.0.0.1");
        // X-Forwarded-For is not read when the proxies write Forwarded.
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.7"));
        assert_eq!(
            p.client("10.0.0.1".parse().unwrap(), &headers).to_string(),
            "10.0.0.1"
        );
    }

    #[test]
    fn the_header_is_named_in_either_case() {
        assert_eq!(
            "X-Forwarded-For".parse(),
            Ok(ForwardedHeader::XForwardedFor)
        );
        assert_eq!("forwarded".parse(), Ok(ForwardedHeader::Forwarded));
        assert!("x-real-ip".parse::<ForwardedHeader>().is_err());
    }
}
