//! An HTTP fixture on loopback for the browser tests: the replies a real API can give
//! that corsform-server never does (redirects, 500s, stalls, no CORS), and an echo of
//! what the browser actually sent. Plain std: one thread per connection, one request
//! per connection.
//!
//! Routes (POST; `OPTIONS` answers the preflight for the allowed origin):
//! - `/echo/ID` — 200 `{"ok":true,"body":…,"xrw":…,"type":…}` and counts requests per ID
//! - `/count/ID` (GET) — `{"count":N}`
//! - `/slow/ID` — like echo, after 1.5 s
//! - `/stall` — answers after 10 s
//! - `/redirect` — 303 to `/echo/redirected`
//! - `/status/500` — 500 JSON
//! - `/reject` — 422 `{"ok":false,"errors":{"subject":"Server says no","nope":"x"}}`
//! - `/nocors` — 200 without `Access-Control-Allow-Origin`
//! - `/drop` — reads the request, then closes the connection without an answer (a server
//!   killed mid-request)
//! - `/remote/ID?QUERY` (GET) — jquery-validation's `remote`: records the query and the
//!   `Accept` and `X-Requested-With` headers under ID, and answers by the value in the
//!   query (POST `/remote/ID`: the same with the body, recorded as `POST TYPE BODY`, TYPE
//!   the `Content-Type`): `=taken` the message `"That name is taken."`, `=nope` `false`, `=strtrue` the
//!   string `"true"`, `=slow` `true` after 0.7 s (unless the client closes the connection
//!   meanwhile: an aborted request, recorded under `ID/aborted`), anything else `true`
//! - `/seen/ID` (GET) — what `/remote/ID` recorded: `[[query, accept, xrw], …]`;
//!   `/seen/ID/aborted` the `=slow` requests aborted, `[[query, "", ""], …]`

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Counts = Arc<Mutex<HashMap<String, u32>>>;
/// What `/remote/ID` was asked, by ID.
type Seen = Arc<Mutex<HashMap<String, Vec<[String; 3]>>>>;

/// Starts the fixture; returns its base URL.
pub fn start(allowed_origin: &str) -> Result<String, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("fixture: {e}"))?;
    let url = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let allowed = allowed_origin.to_owned();
    let counts: Counts = Arc::default();
    let seen: Seen = Arc::default();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (allowed, counts, seen) = (allowed.clone(), counts.clone(), seen.clone());
            std::thread::spawn(move || {
                let _ = serve(stream, &allowed, &counts, &seen);
            });
        }
    });
    println!("xtask: fixture at {url}");
    Ok(url)
}

/// `/remote/ID`: records what was `asked` (the query, `Accept`, `X-Requested-With`) under
/// `id`, and answers by the value in the query; `None` when the client closed the
/// connection of a `=slow` request before its answer (recorded under `ID/aborted`).
fn remote(stream: &TcpStream, seen: &Seen, id: String, asked: [String; 3]) -> Option<&'static str> {
    let query = asked[0].clone();
    seen.lock()
        .unwrap()
        .entry(id.clone())
        .or_default()
        .push(asked);
    let reply = match query.as_str() {
        q if q.contains("=taken") => "\"That name is taken.\"",
        q if q.contains("=nope") => "false",
        q if q.contains("=strtrue") => "\"true\"",
        q if q.contains("=slow") && closed_within(stream, Duration::from_millis(700)) => {
            let aborted = [query, String::new(), String::new()];
            let key = [id.as_str(), "/aborted"].concat();
            seen.lock().unwrap().entry(key).or_default().push(aborted);
            return None;
        }
        _ => "true",
    };
    Some(reply)
}

fn serve(stream: TcpStream, allowed: &str, counts: &Counts, seen: &Seen) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_owned(),
        parts.next().unwrap_or("").to_owned(),
    );
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    if std::env::var_os("CORSFORM_FIXTURE_LOG").is_some() {
        eprintln!("fixture: {method} {path}");
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    let body = String::from_utf8_lossy(&body).into_owned();

    let origin = headers.get("origin").cloned().unwrap_or_default();
    let cors = origin == allowed && path != "/nocors";
    let mut extra = String::new();
    if cors {
        extra.push_str(&format!(
            "Access-Control-Allow-Origin: {origin}\r\nVary: Origin\r\n"
        ));
    }
    let header = |name: &str| headers.get(name).map_or("", String::as_str);
    let id = |prefix: &str| path.strip_prefix(prefix).unwrap_or("").to_owned();
    let echo = |counts: &Counts, key: String| {
        *counts.lock().unwrap().entry(key).or_default() += 1;
        let reply = serde_json::json!({
            "ok": true,
            "body": body,
            "xrw": header("x-requested-with"),
            "type": header("content-type"),
            "key": header("idempotency-key"),
        });
        reply.to_string()
    };
    if method == "POST" && path == "/drop" {
        return Ok(()); // the connection closes with no answer
    }
    let (status, location, reply) = match (method.as_str(), path.as_str()) {
        ("OPTIONS", _) => {
            if cors {
                extra.push_str("Access-Control-Allow-Methods: POST\r\n");
                let asked = headers
                    .get("access-control-request-headers")
                    .cloned()
                    .unwrap_or_default();
                extra.push_str(&format!("Access-Control-Allow-Headers: {asked}\r\n"));
            }
            ("204 No Content", None, String::new())
        }
        ("GET", p) if p.starts_with("/count/") => {
            let n = counts
                .lock()
                .unwrap()
                .get(&id("/count/"))
                .copied()
                .unwrap_or(0);
            ("200 OK", None, format!("{{\"count\":{n}}}"))
        }
        (verb @ ("GET" | "POST"), p) if p.starts_with("/remote/") => {
            let (id, query) = match verb {
                "GET" => id("/remote/")
                    .split_once('?')
                    .map(|(i, q)| (i.to_owned(), q.to_owned()))
                    .unwrap_or_default(),
                _ => {
                    let query = ["POST ", header("content-type"), " ", &body].concat();
                    (id("/remote/"), query)
                }
            };
            let asked = [
                query,
                header("accept").into(),
                header("x-requested-with").into(),
            ];
            match remote(&stream, seen, id, asked) {
                Some(reply) => ("200 OK", None, reply.to_owned()),
                None => return Ok(()),
            }
        }
        ("GET", p) if p.starts_with("/seen/") => {
            let seen = seen.lock().unwrap().get(&id("/seen/")).cloned();
            (
                "200 OK",
                None,
                serde_json::json!(seen.unwrap_or_default()).to_string(),
            )
        }
        ("POST", p) if p.starts_with("/echo/") => ("200 OK", None, echo(counts, id("/echo/"))),
        ("POST", p) if p.starts_with("/slow/") => {
            std::thread::sleep(Duration::from_millis(1500));
            ("200 OK", None, echo(counts, id("/slow/")))
        }
        // A 500 whose body is the echo: what a failed attempt sent.
        ("POST", p) if p.starts_with("/fail/") => (
            "500 Internal Server Error",
            None,
            echo(counts, id("/fail/")),
        ),
        ("POST", "/stall") => {
            std::thread::sleep(Duration::from_secs(10));
            ("200 OK", None, "{\"ok\":true}".to_owned())
        }
        ("POST", "/redirect") => ("303 See Other", Some("/echo/redirected"), String::new()),
        ("POST", "/status/500") => (
            "500 Internal Server Error",
            None,
            "{\"ok\":false,\"error\":\"boom\"}".to_owned(),
        ),
        ("POST", "/reject") => (
            "422 Unprocessable Entity",
            None,
            "{\"ok\":false,\"errors\":{\"subject\":\"Server says no\",\"nope\":\"x\"}}".to_owned(),
        ),
        ("POST", "/nocors") => ("200 OK", None, "{\"ok\":true}".to_owned()),
        _ => ("404 Not Found", None, "{\"ok\":false}".to_owned()),
    };
    if let Some(l) = location {
        extra.push_str(&format!("Location: {l}\r\n"));
    }
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{reply}",
        reply.len()
    )?;
    out.flush()
}

/// Waits up to `wait` for the client to close the connection, as a browser does when it
/// aborts a request still unanswered: whether it did.
fn closed_within(stream: &TcpStream, wait: Duration) -> bool {
    let end = std::time::Instant::now() + wait;
    if stream
        .set_read_timeout(Some(Duration::from_millis(20)))
        .is_err()
    {
        return false;
    }
    let mut byte = [0u8; 1];
    while std::time::Instant::now() < end {
        match (&*stream).read(&mut byte) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return true,
        }
    }
    false
}
