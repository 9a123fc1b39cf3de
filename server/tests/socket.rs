//! The built binary on a real socket: a preflight and a POST byte for byte as Chrome sends
//! them, a plain form post, `kill -9` durability, `export`, and start-up errors.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod common;

use common::backend::{location_arg, Backend};
use common::listening::Listening;

const BIN: &str = env!("CARGO_BIN_EXE_corsform-server");
const SITE: &str = "http://127.0.0.1:8080";
const VALID: &str = "subject=Hi&from=a%40b.c&message=Hello+there";

/// A server on a fresh port, killed when dropped (before its folder is removed).
struct Running {
    process: Listening,
    /// `--db`'s argument: a SQLite file's path or a PostgreSQL URL.
    db: String,
    _dir: tempfile::TempDir,
}

impl Running {
    /// `127.0.0.1:PORT`.
    fn addr(&self) -> &str {
        &self.process.addr
    }
}

fn start(args: &[&str]) -> Running {
    start_in(Backend::Sqlite, args)
}

/// Starts the server on a new database of `backend`.
fn start_in(backend: Backend, args: &[&str]) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let db = match backend {
        Backend::Sqlite => dir.path().join("socket.db").to_str().unwrap().to_owned(),
        Backend::Postgres => location_arg(&backend.location_blocking(dir.path())),
    };
    start_on(dir, db, args)
}

/// Starts the server on `db` (in `dir`, kept as long as the server runs).
fn start_on(dir: tempfile::TempDir, db: String, args: &[&str]) -> Running {
    let process = Listening::start(
        Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(&db)
            .args(args)
            .stderr(Stdio::null()),
    )
    .unwrap();
    let addr = &process.addr;
    assert!(
        addr.starts_with("127.0.0.1:") && !addr.ends_with(":0"),
        "{addr}"
    );
    Running {
        process,
        db,
        _dir: dir,
    }
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Writes `request` and reads one HTTP/1.1 response (the connection stays open).
fn exchange(stream: &mut TcpStream, request: &str) -> Answer {
    stream.write_all(request.as_bytes()).unwrap();
    read_answer(stream).unwrap()
}

/// Reads one HTTP/1.1 response; an error if the connection ends first.
fn read_answer(stream: &mut TcpStream) -> std::io::Result<Answer> {
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    if reader.read_line(&mut status_line)? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    let status = status_line
        .split(' ')
        .nth(1)
        .unwrap_or_else(|| panic!("no status in {status_line:?}"))
        .parse()
        .unwrap();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Answer {
        status,
        headers,
        body: String::from_utf8(body).unwrap(),
    })
}

fn connect(addr: &str) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
}

fn chrome_post(addr: &str, body: &str) -> String {
    format!(
        "POST /contact HTTP/1.1\r\n\
         Host: {addr}\r\n\
         Connection: keep-alive\r\n\
         Content-Length: {}\r\n\
         sec-ch-ua-platform: \"Linux\"\r\n\
         X-Requested-With: XMLHttpRequest\r\n\
         User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36\r\n\
         Accept: */*\r\n\
         Content-Type: application/x-www-form-urlencoded; charset=UTF-8\r\n\
         sec-ch-ua-mobile: ?0\r\n\
         Origin: {SITE}\r\n\
         Sec-Fetch-Site: same-site\r\n\
         Sec-Fetch-Mode: cors\r\n\
         Sec-Fetch-Dest: empty\r\n\
         Referer: {SITE}/\r\n\
         Accept-Encoding: gzip, deflate, br, zstd\r\n\
         Accept-Language: en-US,en;q=0.9\r\n\
         \r\n{body}",
        body.len()
    )
}

fn export(db: impl AsRef<std::ffi::OsStr>) -> Output {
    Command::new(BIN)
        .args(["export", "--db"])
        .arg(db)
        .output()
        .unwrap()
}

fn exported(db: impl AsRef<std::ffi::OsStr>) -> Vec<serde_json::Value> {
    let output = export(db);
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn chrome_preflight_then_post_on_one_connection() {
    let server = start(&[]);
    let mut stream = connect(server.addr());
    let preflight = format!(
        "OPTIONS /contact HTTP/1.1\r\n\
         Host: {}\r\n\
         Connection: keep-alive\r\n\
         Accept: */*\r\n\
         Access-Control-Request-Method: POST\r\n\
         Access-Control-Request-Headers: x-requested-with\r\n\
         Origin: {SITE}\r\n\
         User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36\r\n\
         Sec-Fetch-Mode: cors\r\n\
         Sec-Fetch-Site: same-site\r\n\
         Sec-Fetch-Dest: empty\r\n\
         Referer: {SITE}/\r\n\
         Accept-Encoding: gzip, deflate, br, zstd\r\n\
         Accept-Language: en-US,en;q=0.9\r\n\
         \r\n",
        server.addr()
    );
    let answer = exchange(&mut stream, &preflight);
    assert!((200..300).contains(&answer.status), "{}", answer.status);
    assert_eq!(answer.header("access-control-allow-origin"), Some(SITE));
    let allowed = answer.header("access-control-allow-headers").unwrap();
    assert!(
        allowed
            .split(',')
            .any(|h| h.trim().eq_ignore_ascii_case("x-requested-with")),
        "{allowed}"
    );
    assert!(answer
        .header("access-control-allow-methods")
        .unwrap()
        .contains("POST"));
    let max_age: u32 = answer
        .header("access-control-max-age")
        .unwrap()
        .parse()
        .unwrap();
    assert!(max_age <= 7200);
    assert!(answer
        .headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("vary") && v.to_ascii_lowercase().contains("origin")));

    let answer = exchange(&mut stream, &chrome_post(server.addr(), VALID));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.header("access-control-allow-origin"), Some(SITE));
    assert_eq!(answer.body, r#"{"ok":true,"id":1}"#);

    let answer = exchange(&mut stream, &chrome_post(server.addr(), "subject=&from=x"));
    assert_eq!(answer.status, 422);
    assert_eq!(answer.header("access-control-allow-origin"), Some(SITE));
}

fn plain_form_post_is_303_and_export_lists_it(backend: Backend) {
    let server = start_in(backend, &["--redirect", "https://example.com/merci"]);
    let body = "subject=Bonjour&from=a%40b.c&message=l1%0D%0Al2&topic=a&topic=b";
    let request = format!(
        "POST /contact HTTP/1.1\r\n\
         Host: {}\r\n\
         Content-Length: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\
         Origin: {SITE}\r\n\
         Sec-Fetch-Mode: navigate\r\n\
         Sec-Fetch-Dest: document\r\n\
         Referer: {SITE}/\r\n\
         \r\n{body}",
        server.addr(),
        body.len()
    );
    let answer = exchange(&mut connect(server.addr()), &request);
    assert_eq!(answer.status, 303);
    assert_eq!(answer.header("location"), Some("https://example.com/merci"));

    let rows = exported(&server.db);
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row["id"], 1);
    assert_eq!(row["origin"], SITE);
    assert_eq!(
        row["fields"],
        serde_json::json!({"subject": "Bonjour", "from": "a@b.c", "message": "l1\r\nl2", "topic": ["a", "b"]})
    );
    let keys: Vec<&String> = row.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["id", "form", "received", "origin", "delivery", "fields"]
    );
    assert_eq!(row["form"], "contact");
    // Stored with mail off: no notification.
    assert_eq!(row["delivery"], serde_json::Value::Null);
}

fn every_answered_submission_survives_kill_9(backend: Backend) {
    let server = start_in(backend, &["--rate-limit", "0"]);
    let answered = Arc::new(Mutex::new(Vec::<u64>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    // Four clients keep posting while the server is killed, so some requests are in flight.
    let clients: Vec<_> = (0..4)
        .map(|client| {
            let (addr, answered, stop) = (server.addr().to_owned(), answered.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut stream = connect(&addr);
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    let body = format!("{VALID}&client={client}&n={n}");
                    let request = chrome_post(&addr, &body);
                    let Ok(answer) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        exchange(&mut stream, &request)
                    })) else {
                        return; // the server is gone
                    };
                    assert_eq!(answer.status, 200, "{}", answer.body);
                    let json: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
                    answered.lock().unwrap().push(json["id"].as_u64().unwrap());
                }
            })
        })
        .collect();
    let mut server = server;
    while answered.lock().unwrap().len() < 200 {
        std::thread::sleep(Duration::from_millis(1));
    }
    server.process.kill().unwrap(); // SIGKILL
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    let stored: Vec<u64> = exported(&server.db)
        .iter()
        .map(|row| row["id"].as_u64().unwrap())
        .collect();
    assert!(answered.len() >= 200);
    let missing: Vec<&u64> = answered.iter().filter(|id| !stored.contains(id)).collect();
    assert!(missing.is_empty(), "answered 200 but lost: {missing:?}");
}

#[test]
fn configuration_errors_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let db = db.to_str().unwrap();
    for (args, needle) in [
        (
            vec!["--allow-origin", "http://127.0.0.1:8080/"],
            "--allow-origin",
        ),
        (vec!["--allow-origin", "*"], "wildcard"),
        (vec!["--allow-origin", "null"], "null"),
        (vec!["--rules", "/nonexistent/rules.json"], "--rules"),
        (vec!["--redirect", "//evil.example"], "--redirect"),
        (
            vec!["--db", "/nonexistent/dir/x.db"],
            "/nonexistent/dir/x.db",
        ),
    ] {
        let output = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(if args.contains(&"--db") {
                vec![]
            } else {
                vec!["--db", db]
            })
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("corsform-server: ") && stderr.contains(needle),
            "{stderr}"
        );
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn export_of_a_missing_database_exits_2() {
    let output = export("/nonexistent/corsform.db");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("/nonexistent/corsform.db"), "{stderr}");
}

/// A POST's head announcing `length` body bytes.
fn post_head(addr: &str, length: usize) -> String {
    format!(
        "POST /contact HTTP/1.1\r\n\
         Host: {addr}\r\n\
         Content-Length: {length}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\
         X-Requested-With: XMLHttpRequest\r\n\
         Origin: {SITE}\r\n\
         \r\n"
    )
}

#[test]
fn a_stalled_or_trickled_body_gets_408_while_others_are_served() {
    let server = start(&["--timeout", "3", "--rate-limit", "0"]);
    // Stalled: the head and 10 of 100 bytes, then nothing.
    let started = std::time::Instant::now();
    let mut stalled = connect(server.addr());
    stalled
        .write_all(format!("{}subject=Hi", post_head(server.addr(), 100)).as_bytes())
        .unwrap();
    // Trickled: one byte every 200 ms, never finishing within the 3 s.
    let addr = server.addr().to_owned();
    let trickler = std::thread::spawn(move || {
        let mut stream = connect(&addr);
        stream.write_all(post_head(&addr, 100).as_bytes()).unwrap();
        for _ in 0..100 {
            std::thread::sleep(Duration::from_millis(200));
            if stream.write_all(b"a").is_err() {
                break; // the server has answered and closed
            }
        }
        (read_answer(&mut stream).unwrap(), started.elapsed())
    });
    // Meanwhile other clients are served at once.
    for _ in 0..5 {
        let answer = exchange(
            &mut connect(server.addr()),
            &chrome_post(server.addr(), VALID),
        );
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    assert!(started.elapsed() < Duration::from_millis(2500));

    let answer = read_answer(&mut stalled).unwrap();
    assert_eq!(answer.status, 408);
    assert_eq!(answer.header("access-control-allow-origin"), Some(SITE));
    let (answer, elapsed) = trickler.join().unwrap();
    assert_eq!(answer.status, 408);
    assert!(elapsed < Duration::from_secs(6), "{elapsed:?}");
    // The server is unharmed.
    let answer = exchange(
        &mut connect(server.addr()),
        &chrome_post(server.addr(), VALID),
    );
    assert_eq!(answer.status, 200);
    assert_eq!(exported(&server.db).len(), 6);
}

#[test]
fn oversized_request_headers_get_431_and_the_server_goes_on() {
    let server = start(&[]);
    let mut stream = connect(server.addr());
    let huge = format!(
        "POST /contact HTTP/1.1\r\nHost: {}\r\nX-Padding: {}\r\nContent-Length: 0\r\n\r\n",
        server.addr(),
        "a".repeat(1024 * 1024)
    );
    // The server may stop reading (and close) before the whole head is written.
    let _ = stream.write_all(huge.as_bytes());
    let answer = read_answer(&mut stream).unwrap();
    assert_eq!(answer.status, 431);

    let answer = exchange(
        &mut connect(server.addr()),
        &chrome_post(server.addr(), VALID),
    );
    assert_eq!(answer.status, 200);
}

fn rate_limit_over_a_socket_is_429_with_retry_after_and_cors(backend: Backend) {
    let server = start_in(backend, &["--rate-limit", "3"]);
    let mut stream = connect(server.addr());
    for _ in 0..3 {
        let answer = exchange(&mut stream, &chrome_post(server.addr(), VALID));
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    // Another connection from the same address shares the budget.
    let answer = exchange(
        &mut connect(server.addr()),
        &chrome_post(server.addr(), VALID),
    );
    assert_eq!(answer.status, 429);
    let retry: u64 = answer.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry), "{retry}");
    assert_eq!(answer.header("access-control-allow-origin"), Some(SITE));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&answer.body).unwrap()["ok"],
        false
    );
    assert_eq!(exported(&server.db).len(), 3);
}

fn a_filled_honeypot_over_a_socket_is_200_and_not_exported(backend: Backend) {
    let server = start_in(backend, &[]);
    let mut stream = connect(server.addr());
    let answer = exchange(&mut stream, &chrome_post(server.addr(), VALID));
    assert_eq!(answer.body, r#"{"ok":true,"id":1}"#);
    let bot = format!("{VALID}&_gotcha=http%3A%2F%2Fspam.example");
    let answer = exchange(&mut stream, &chrome_post(server.addr(), &bot));
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, r#"{"ok":true,"id":2}"#);
    let rows = exported(&server.db);
    assert_eq!(rows.len(), 1);
    assert!(rows[0]["fields"].get("_gotcha").is_none());
}

const CLIENTS: usize = 32;
const EACH: usize = 50;

/// One client's `n`th submission: tells apart every row of a load test.
fn numbered(wave: usize, client: usize, n: usize) -> String {
    format!("{VALID}&wave={wave}&client={client}&n={n}")
}

/// `CLIENTS` keep-alive connections posting `EACH` submissions each (fewer if the server
/// dies); every answer must be 200. Returns `(id, body)` for each answered submission.
fn wave(addr: &str, wave: usize, count: &Arc<AtomicUsize>) -> Vec<(u64, String)> {
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (addr, count) = (addr.to_owned(), count.clone());
            std::thread::spawn(move || {
                let mut stream = connect(&addr);
                let mut answered = Vec::new();
                for n in 0..EACH {
                    let body = numbered(wave, client, n);
                    if stream
                        .write_all(chrome_post(&addr, &body).as_bytes())
                        .is_err()
                    {
                        break;
                    }
                    let Ok(answer) = read_answer(&mut stream) else {
                        break; // the server is gone
                    };
                    assert_eq!(answer.status, 200, "{}", answer.body);
                    let json: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
                    answered.push((json["id"].as_u64().unwrap(), body));
                    count.fetch_add(1, Ordering::SeqCst);
                }
                answered
            })
        })
        .collect();
    clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect()
}

/// Every `(id, body)` is in the export, under that id, with that body's fields.
fn assert_stored(db: &str, answered: &[(u64, String)]) {
    let rows: std::collections::HashMap<u64, serde_json::Value> = exported(db)
        .into_iter()
        .map(|row| (row["id"].as_u64().unwrap(), row["fields"].clone()))
        .collect();
    for (id, body) in answered {
        let fields = rows
            .get(id)
            .unwrap_or_else(|| panic!("answered 200 as id {id} but lost: {body}"));
        for (name, value) in corsform::decode(body.as_bytes()).unwrap() {
            assert_eq!(fields[&name], value, "id {id}");
        }
    }
}

fn thirty_two_keep_alive_clients_get_200_and_everything_is_stored(backend: Backend) {
    let server = start_in(backend, &["--rate-limit", "0"]);
    let started = std::time::Instant::now();
    let answered = wave(server.addr(), 1, &Arc::default());
    assert_eq!(answered.len(), CLIENTS * EACH);
    let mut ids: Vec<u64> = answered.iter().map(|(id, _)| *id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), CLIENTS * EACH, "an id was answered twice");
    assert_stored(&server.db, &answered);
    assert_eq!(exported(&server.db).len(), CLIENTS * EACH);
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "{:?}",
        started.elapsed()
    );
}

fn kill_9_in_the_middle_of_a_second_wave_loses_no_answered_submission(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = match backend {
        Backend::Sqlite => dir.path().join("crash.db").to_str().unwrap().to_owned(),
        Backend::Postgres => location_arg(&backend.location_blocking(dir.path())),
    };
    let mut server = start_on(dir, db.clone(), &["--rate-limit", "0"]);
    let first = wave(server.addr(), 1, &Arc::default());
    assert_eq!(first.len(), CLIENTS * EACH);

    // The second wave, killed once a quarter of it has been answered.
    let count = Arc::new(AtomicUsize::new(0));
    let (addr, counter) = (server.addr().to_owned(), count.clone());
    let second = std::thread::spawn(move || wave(&addr, 2, &counter));
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while count.load(Ordering::SeqCst) < CLIENTS * EACH / 4 && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(1));
    }
    server.process.kill().unwrap(); // SIGKILL
    let second = second.join().unwrap();
    assert!(
        !second.is_empty() && second.len() < CLIENTS * EACH,
        "the kill did not land mid-wave: {} answered",
        second.len()
    );

    // Restarted on the same database: everything answered is there, and it goes on.
    let dir = tempfile::tempdir().unwrap();
    let restarted = start_on(dir, db.clone(), &["--rate-limit", "0"]);
    assert_stored(&db, &first);
    assert_stored(&db, &second);
    let answer = exchange(
        &mut connect(restarted.addr()),
        &chrome_post(restarted.addr(), VALID),
    );
    assert_eq!(answer.status, 200);
    let id: u64 = serde_json::from_str::<serde_json::Value>(&answer.body).unwrap()["id"]
        .as_u64()
        .unwrap();
    assert!(second.iter().all(|(answered, _)| *answered < id));
}

/// Reads until the server closes `stream`; false if it is still open at `deadline`.
fn closed_by(stream: &mut TcpStream, deadline: std::time::Instant) -> bool {
    let mut buf = [0; 1024];
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        stream
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .unwrap();
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

/// r17: thousands of connections that send half a request head and then nothing neither
/// keep a visitor out nor stay open past the header timeout.
#[test]
fn r17_half_open_connections_starve_nobody_and_are_closed_after_the_header_timeout() {
    // Scaled to this machine: a quarter of this process's descriptors, at most 2,000;
    // twice the server's cap, so that it has to make room.
    let limit = corsform_server::connections::fd_limit().unwrap_or(4096);
    let n = usize::try_from(limit / 4).unwrap_or(2000).clamp(64, 2000);
    let cap = (n / 2).to_string();
    let server = start(&[
        "--header-timeout",
        "2",
        "--max-connections",
        &cap,
        "--rate-limit",
        "0",
    ]);
    let mut half_open: Vec<TcpStream> = (0..n)
        .map(|_| {
            let mut stream = TcpStream::connect(server.addr()).unwrap();
            // The server may already have closed the oldest to make room.
            let _ = stream.write_all(b"POST /contact HTTP/1.1\r\nHost: x\r\nContent-Le");
            stream
        })
        .collect();
    let started = std::time::Instant::now();
    let answer = exchange(
        &mut connect(server.addr()),
        &chrome_post(server.addr(), VALID),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    // Generous: the answer comes in milliseconds; a stalled server would never answer.
    assert!(started.elapsed() < Duration::from_secs(10));

    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let open = half_open
        .iter_mut()
        .map(|stream| closed_by(stream, deadline))
        .filter(|closed| !closed)
        .count();
    assert_eq!(open, 0, "of {n} half-open connections, still open");
    assert_eq!(exported(&server.db).len(), 1);
}

/// r17: a keep-alive connection left idle after its answer is closed after the header
/// timeout too.
#[test]
fn r17_an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let server = start(&["--header-timeout", "1"]);
    let mut stream = connect(server.addr());
    let answer = exchange(&mut stream, &chrome_post(server.addr(), VALID));
    assert_eq!(answer.status, 200);
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    assert!(closed_by(&mut stream, deadline));
}

#[test]
fn r17_max_connections_over_the_descriptor_limit_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.path().join("x.db"))
        .args(["--max-connections", "0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("--max-connections must be from 1 to"),
        "{stderr}"
    );
}

/// A valid script POST that a proxy forwarded for `forwarded_for`.
fn forwarded_post(addr: &str, forwarded_for: &str) -> String {
    chrome_post(addr, VALID).replacen(
        "Origin:",
        &format!("X-Forwarded-For: {forwarded_for}\r\nOrigin:"),
        1,
    )
}

/// r17: behind a trusted proxy every visitor has a rate limit of its own, keyed by the
/// address the proxy appended (the rightmost), not by one the visitor wrote.
fn r17_behind_a_trusted_proxy_each_visitor_has_its_own_rate_limit(backend: Backend) {
    let server = start_in(
        backend,
        &["--rate-limit", "2", "--trusted-proxy", "127.0.0.0/8"],
    );
    let mut proxy = connect(server.addr());
    for _ in 0..2 {
        let answer = exchange(&mut proxy, &forwarded_post(server.addr(), "203.0.113.7"));
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    // The same visitor, which also wrote an address of its own to the left.
    let spoofed = forwarded_post(server.addr(), "198.51.100.1, 203.0.113.7");
    assert_eq!(exchange(&mut proxy, &spoofed).status, 429);
    // Another visitor through the same proxy.
    let other = forwarded_post(server.addr(), "203.0.113.8");
    assert_eq!(exchange(&mut proxy, &other).status, 200);
    assert_eq!(exported(&server.db).len(), 3);
}

/// r17: a peer that is not a trusted proxy is rate-limited by its own address, whatever
/// forwarding header it sends.
#[test]
fn r17_forwarding_headers_from_an_untrusted_peer_are_ignored() {
    let server = start(&["--rate-limit", "2", "--trusted-proxy", "10.0.0.0/8"]);
    let mut stream = connect(server.addr());
    for visitor in ["203.0.113.1", "203.0.113.2"] {
        let answer = exchange(&mut stream, &forwarded_post(server.addr(), visitor));
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    let answer = exchange(&mut stream, &forwarded_post(server.addr(), "203.0.113.3"));
    assert_eq!(answer.status, 429);
    let health = exchange(
        &mut stream,
        &format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr()),
    );
    assert_eq!(
        (health.status, health.body.as_str()),
        (200, r#"{"ok":true}"#)
    );
}

/// A script POST of `body` to `path` from `origin`, with `extra` header lines.
fn form_post(addr: &str, path: &str, origin: &str, extra: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nX-Requested-With: XMLHttpRequest\r\n\
         Origin: {origin}\r\n{extra}\r\n{body}",
        body.len()
    )
}

const SHOP: &str = "http://shop.example:8080";

/// Starts the server with `toml` as its `--config` (and a fresh `--db`).
fn start_with_config(toml: &str, args: &[&str]) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("corsform.toml");
    std::fs::write(&config, toml).unwrap();
    let db = dir.path().join("socket.db").to_str().unwrap().to_owned();
    let config = config.to_str().unwrap().to_owned();
    let mut all = vec!["--config", config.as_str()];
    all.extend_from_slice(args);
    start_on(dir, db, &all)
}

fn export_with(db: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(["export", "--db"])
        .arg(db)
        .args(args)
        .output()
        .unwrap()
}

/// r17: two forms from one config file, each with its own origins and rules, over a real
/// socket; the first also answers /contact; `export --form` lists one form's rows.
#[test]
fn r17_two_forms_each_with_its_origins_and_rules() {
    let server = start_with_config(
        &format!(
            "[forms.contact]\nallow-origin = [\"{SITE}\"]\n\n\
             [forms.quote]\nallow-origin = [\"{SHOP}\"]\nrules = {{ company = \"required\" }}\n\
             messages = {{ company = \"Which company?\" }}\n"
        ),
        &[],
    );
    let addr = server.addr();
    let mut stream = connect(addr);
    let mut post = |path: &str, origin: &str, body: &str| {
        exchange(&mut stream, &form_post(addr, path, origin, "", body))
    };
    assert_eq!(post("/contact", SITE, VALID).status, 200);
    assert_eq!(post("/f/contact", SITE, VALID).status, 200);
    assert_eq!(post("/f/contact", SHOP, VALID).status, 403);
    assert_eq!(post("/f/quote", SITE, "company=ACME").status, 403);
    let invalid = post("/f/quote", SHOP, "company=");
    assert_eq!(invalid.status, 422);
    assert_eq!(
        invalid.body,
        r#"{"ok":false,"errors":{"company":"Which company?"}}"#
    );
    let stored = post("/f/quote", SHOP, "company=ACME");
    assert_eq!(stored.status, 200);
    assert_eq!(stored.header("access-control-allow-origin"), Some(SHOP));

    let preflight = |origin: &str| {
        format!(
            "OPTIONS /f/quote HTTP/1.1\r\nHost: {addr}\r\nOrigin: {origin}\r\n\
             Access-Control-Request-Method: POST\r\n\
             Access-Control-Request-Headers: x-requested-with, idempotency-key\r\n\r\n"
        )
    };
    let answer = exchange(&mut connect(addr), &preflight(SHOP));
    assert_eq!(answer.header("access-control-allow-origin"), Some(SHOP));
    let allowed = answer.header("access-control-allow-headers").unwrap();
    assert!(allowed.contains("idempotency-key"), "{allowed}");
    let answer = exchange(&mut connect(addr), &preflight(SITE));
    assert_eq!(answer.header("access-control-allow-origin"), None);

    let forms: Vec<String> = exported(&server.db)
        .iter()
        .map(|row| row["form"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(forms, ["contact", "contact", "quote"]);
    let quote = export_with(&server.db, &["--form", "quote"]);
    let lines: Vec<&str> = std::str::from_utf8(&quote.stdout)
        .unwrap()
        .lines()
        .collect();
    assert_eq!(lines.len(), 1);
    assert!(lines[0].contains(r#""company":"ACME""#), "{}", lines[0]);

    // An idempotency key is the form's own: the same key on another form is stored.
    let key = "Idempotency-Key: same-key\r\n";
    let contact = exchange(
        &mut connect(addr),
        &form_post(addr, "/f/contact", SITE, key, VALID),
    );
    let quote = exchange(
        &mut connect(addr),
        &form_post(addr, "/f/quote", SHOP, key, "company=B"),
    );
    assert_eq!(contact.body, r#"{"ok":true,"id":4}"#);
    assert_eq!(quote.body, r#"{"ok":true,"id":5}"#);
}

/// r17: a retry with the same idempotency key (header or hidden field) within a day gets
/// the first one's id and is stored once; the key is per form and never stored.
#[test]
fn r17_a_retry_with_the_same_idempotency_key_is_stored_once() {
    let server = start(&["--rate-limit", "0"]);
    let addr = server.addr();
    let mut stream = connect(addr);
    let mut post = |extra: &str, body: &str| {
        exchange(&mut stream, &form_post(addr, "/contact", SITE, extra, body))
    };
    let first = post("Idempotency-Key: fill-1\r\n", VALID);
    assert_eq!(first.body, r#"{"ok":true,"id":1}"#);
    let again = post("Idempotency-Key: fill-1\r\n", VALID);
    assert_eq!(again.body, r#"{"ok":true,"id":1}"#);
    let field = format!("{VALID}&_idempotency_key=fill-2");
    assert_eq!(post("", &field).body, r#"{"ok":true,"id":2}"#);
    assert_eq!(post("", &field).body, r#"{"ok":true,"id":2}"#);
    assert_eq!(post("", VALID).body, r#"{"ok":true,"id":3}"#);
    assert_eq!(post("Idempotency-Key: \r\n", VALID).status, 400);
    // A day later the key is new again.
    let conn = rusqlite::Connection::open(&server.db).unwrap();
    conn.execute(
        "UPDATE idempotency SET at = at - 86400001 WHERE key = 'fill-1'",
        [],
    )
    .unwrap();
    drop(conn);
    let later = post("Idempotency-Key: fill-1\r\n", VALID);
    assert_eq!(later.body, r#"{"ok":true,"id":4}"#);
    let rows = exported(&server.db);
    assert_eq!(rows.len(), 4);
    assert!(rows
        .iter()
        .all(|row| row["fields"].get("_idempotency_key").is_none()));
}

/// The rows of a database, opened beside the server.
fn count(db: &str, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
        row.get(0)
    })
    .unwrap()
}

/// r17: `--retain-days` deletes old submissions and their notifications at start;
/// `delete --email` and `delete --id` remove what they say, on a real database.
#[test]
fn r17_retention_and_deletion_on_a_real_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("socket.db").to_str().unwrap().to_owned();
    {
        let server = start_on(tempfile::tempdir().unwrap(), db.clone(), &[]);
        let mut stream = connect(server.addr());
        for from in [
            "old%40example.org",
            "Visitor%40Example.org",
            "other%40example.org",
        ] {
            let body = format!("subject=Hi&from={from}&message=Hello");
            let answer = exchange(&mut stream, &chrome_post(server.addr(), &body));
            assert_eq!(answer.status, 200);
        }
    }
    // Submission 1 is 40 days old; each has a notification (resend makes one).
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE submissions SET received = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-40 days') WHERE id = 1",
        [],
    )
    .unwrap();
    drop(conn);
    for id in ["1", "2", "3"] {
        let resent = Command::new(BIN)
            .args(["resend", "--db"])
            .arg(&db)
            .args(["--id", id])
            .output()
            .unwrap();
        assert!(resent.status.success(), "{resent:?}");
    }
    assert_eq!(count(&db, "outbox"), 3);

    let server = start_on(dir, db.clone(), &["--retain-days", "30"]);
    let ids = |db: &str| -> Vec<i64> {
        exported(db)
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while ids(&db) != [2, 3] && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(ids(&db), [2, 3], "the 40-day-old one is deleted at start");
    assert_eq!(count(&db, "outbox"), 2, "with its notification");

    let delete = |args: &[&str]| {
        Command::new(BIN)
            .args(["delete", "--db"])
            .arg(&db)
            .args(args)
            .output()
            .unwrap()
    };
    let erased = delete(&["--email", " visitor@example.ORG "]);
    assert!(erased.status.success(), "{erased:?}");
    assert_eq!(
        String::from_utf8(erased.stdout).unwrap(),
        "corsform-server: 1 submission deleted: 2, with 1 notification\n"
    );
    assert_eq!(ids(&db), [3]);
    let erased = delete(&["--id", "3"]);
    assert!(erased.status.success());
    assert!(ids(&db).is_empty());
    assert_eq!(count(&db, "outbox"), 0);
    let missing = delete(&["--id", "3"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8(missing.stderr)
        .unwrap()
        .contains("no submission with id 3"));
    let none = delete(&["--email", "nobody@example.org"]);
    assert_eq!(
        String::from_utf8(none.stdout).unwrap(),
        "corsform-server: 0 submissions deleted, with 0 notifications\n"
    );
    drop(server);
}

/// r17: `export --format csv` read back by the csv crate's reader: one column per field
/// name seen, quoting kept, formulas made harmless.
#[test]
fn r17_csv_export_reads_back_with_a_csv_parser() {
    let server = start(&["--rate-limit", "0"]);
    let mut stream = connect(server.addr());
    for body in [
        "subject=%3DHYPERLINK(%22http%3A%2F%2Fevil%22)&from=a%40b.c&message=l1%0D%0Al2%2C+%22q%22",
        "subject=Hi&from=%2B1%40b.c&message=-2&topic=a&topic=b",
    ] {
        let answer = exchange(&mut stream, &chrome_post(server.addr(), body));
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    let output = export_with(&server.db, &["--format", "csv"]);
    assert!(output.status.success(), "{output:?}");
    let mut reader = csv::Reader::from_reader(output.stdout.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        ["id", "form", "received", "origin", "delivery", "subject", "from", "message", "topic"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][0], "1");
    assert_eq!(&rows[0][1], "contact");
    assert_eq!(&rows[0][3], SITE);
    assert_eq!(&rows[0][5], "'=HYPERLINK(\"http://evil\")");
    assert_eq!(&rows[0][7], "l1\r\nl2, \"q\"");
    assert_eq!(&rows[0][8], "");
    assert_eq!(&rows[1][6], "'+1@b.c");
    assert_eq!(&rows[1][7], "'-2");
    assert_eq!(&rows[1][8], "a\nb");
}

#[test]
fn r17_config_file_errors_exit_2_with_one_line_naming_the_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("corsform.toml");
    let db = dir.path().join("x.db");
    for (toml, args, needle) in [
        (
            "[forms.contact]\nrate-limt = 3\n",
            vec![],
            "corsform.toml:2:1: forms.contact.rate-limt: unknown field",
        ),
        (
            "[forms.contact]\nallow-origin = [\"null\"]\n",
            vec![],
            "corsform.toml:2:16: forms.contact.allow-origin: ",
        ),
        (
            "[forms.contact]\n",
            vec!["--rules", "x.json"],
            "do not go with --config",
        ),
    ] {
        std::fs::write(&config, toml).unwrap();
        let output = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(&db)
            .arg("--config")
            .arg(&config)
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{toml}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{stderr}");
    }
}

/// `export`, `resend` and `delete` open the database `serve`'s `--config` file names (`db`
/// for SQLite, `url` in `[store]` for PostgreSQL), `--db` overriding it; a file giving both
/// is refused.
fn export_resend_and_delete_read_the_database_from_config(backend: Backend) {
    let server = start_in(backend, &[]);
    let answer = exchange(
        &mut connect(server.addr()),
        &chrome_post(server.addr(), VALID),
    );
    assert_eq!(answer.status, 200);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("corsform.toml");
    let table = match backend {
        Backend::Sqlite => format!("db = {:?}\n", server.db),
        Backend::Postgres => format!("[store]\nurl = {:?}\n", server.db),
    };
    std::fs::write(
        &config,
        format!("{table}\n[forms.contact]\nallow-origin = [\"{SITE}\"]\n"),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let output = Command::new(BIN)
            .args(args)
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        (output.status.code(), stdout, stderr)
    };
    let (code, stdout, stderr) = run(&["export"]);
    assert_eq!(code, Some(0), "{stderr}");
    let row: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        (row["id"].as_i64(), row["form"].as_str()),
        (Some(1), Some("contact"))
    );
    let (code, stdout, stderr) = run(&["resend", "--id", "1"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "corsform-server: 1 notification queued\n");
    // --db wins over the file.
    let (code, _, stderr) = run(&["export", "--db", "/nonexistent/corsform.db"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("/nonexistent/corsform.db"), "{stderr}");
    let (code, stdout, stderr) = run(&["delete", "--id", "1"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout,
        "corsform-server: 1 submission deleted: 1, with 1 notification\n"
    );
    assert!(exported(&server.db).is_empty());

    std::fs::write(
        &config,
        format!("db = \"x.db\"\n[store]\nurl = {:?}\n", server.db),
    )
    .unwrap();
    let (code, _, stderr) = run(&["export"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("db and [store] url: give one"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

on_both_stores_blocking!(
    export_resend_and_delete_read_the_database_from_config,
    plain_form_post_is_303_and_export_lists_it,
    every_answered_submission_survives_kill_9,
    rate_limit_over_a_socket_is_429_with_retry_after_and_cors,
    a_filled_honeypot_over_a_socket_is_200_and_not_exported,
    thirty_two_keep_alive_clients_get_200_and_everything_is_stored,
    kill_9_in_the_middle_of_a_second_wave_loses_no_answered_submission,
    r17_behind_a_trusted_proxy_each_visitor_has_its_own_rate_limit,
);
