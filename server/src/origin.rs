//! Checking the `--allow-origin` and `--redirect` values at start-up.
//!
//! An allowed origin is compared byte for byte with the `Origin` header, so it must be
//! written exactly as a browser serializes an origin: lowercase `http` or `https`, `://`,
//! a lowercase ASCII host, a port only if not the default one, and nothing after.

use std::net::{Ipv4Addr, Ipv6Addr};

use axum::http::HeaderValue;

use crate::ConfigError;

fn bad(text: &str, why: &str) -> ConfigError {
    ConfigError(format!("--allow-origin {text:?}: {why}"))
}

/// Checks one `--allow-origin` value and returns it as a header value.
pub fn parse_origin(text: &str) -> Result<HeaderValue, ConfigError> {
    match text {
        "*" => return Err(bad(text, "a wildcard is never allowed; list each origin")),
        "null" => {
            return Err(bad(
                text,
                "the opaque origin `null` (sandboxed frames, file: pages) cannot be allowed",
            ))
        }
        _ => {}
    }
    let form = "must be scheme://host[:port], e.g. http://localhost:8080";
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err(bad(text, form));
    };
    let default_port = match scheme {
        "http" => "80",
        "https" => "443",
        _ if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") => {
            return Err(bad(
                text,
                "write the scheme in lowercase, as browsers send it",
            ))
        }
        _ => return Err(bad(text, "the scheme must be http or https")),
    };
    if rest.contains(['/', '?', '#']) {
        return Err(bad(
            text,
            "an origin has no path, query or fragment (not even a trailing slash)",
        ));
    }
    if rest.contains('@') {
        return Err(bad(text, "an origin has no user name or password"));
    }
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let Some((addr, after)) = v6.split_once(']') else {
            return Err(bad(text, "unclosed [ in an IPv6 host"));
        };
        let ip: Ipv6Addr = addr
            .parse()
            .map_err(|_| bad(text, "not a valid IPv6 address"))?;
        if ip.to_string() != addr {
            return Err(bad(text, &format!("write the IPv6 address as [{ip}]")));
        }
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| bad(text, "expected :port after the IPv6 address"))?,
            ),
        };
        (&rest[..addr.len() + 2], port)
    } else {
        match rest.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if !host.starts_with('[') {
        check_host(text, host)?;
    }
    if let Some(port) = port {
        let ok = !port.is_empty()
            && port.bytes().all(|b| b.is_ascii_digit())
            && !port.starts_with('0')
            && port.parse::<u16>().is_ok();
        if !ok {
            return Err(bad(text, "the port must be a number from 1 to 65535"));
        }
        if port == default_port {
            return Err(bad(
                text,
                &format!("browsers omit the default port: write {scheme}://{host}"),
            ));
        }
    }
    HeaderValue::from_str(text).map_err(|_| bad(text, form))
}

fn check_host(text: &str, host: &str) -> Result<(), ConfigError> {
    if host.is_empty() {
        return Err(bad(text, "the host is missing"));
    }
    if !host.is_ascii() {
        return Err(bad(
            text,
            "write an international domain name in its ASCII (xn--) form",
        ));
    }
    if host.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(bad(
            text,
            &format!(
                "browsers send the host in lowercase: {}",
                host.to_ascii_lowercase()
            ),
        ));
    }
    let labels_ok = host.split('.').all(|label| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    });
    if !labels_ok {
        return Err(bad(text, "not a valid host name"));
    }
    // Browsers rewrite numeric hosts (`127.1`) to dotted quads; only that form can match.
    let last = host.rsplit('.').next().unwrap_or("");
    if last.bytes().all(|b| b.is_ascii_digit()) {
        match host.parse::<Ipv4Addr>() {
            Ok(ip) if ip.to_string() == host => {}
            _ => return Err(bad(text, "not a valid IPv4 address")),
        }
    }
    Ok(())
}

/// Checks a `--redirect`/`--redirect-invalid` value: a path on this server (`/thanks`) or an
/// absolute http(s) URL.
pub fn parse_redirect(flag: &str, text: &str) -> Result<HeaderValue, ConfigError> {
    let bad = |why: &str| ConfigError(format!("{flag} {text:?}: {why}"));
    let absolute = ["http://", "https://"]
        .iter()
        .any(|s| text.len() > s.len() && text[..s.len()].eq_ignore_ascii_case(s));
    let path = text.starts_with('/') && !text.starts_with("//") && !text.starts_with("/\\");
    if !absolute && !path {
        return Err(bad("must be a path such as /thanks or an http(s):// URL"));
    }
    if text
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err(bad("must not contain spaces or control characters"));
    }
    HeaderValue::from_str(text).map_err(|_| bad("must be ASCII (percent-encode the rest)"))
}
