//! Several corsform-server instances on one PostgreSQL database (issue 18): two real
//! `corsform-server serve` processes on a fresh database of the test cluster, mailing to one
//! SMTP server on loopback (`mail/sink.rs`), 32 clients spread over both, and one instance
//! killed with SIGKILL in the middle of the wave, at a moment when it has committed a
//! submission it has not answered yet. Afterwards every submission that was answered 200
//! is stored once and mailed once (a second copy only of a message the killed instance was
//! sending when it died), and a client whose answer was lost in the kill gets, from the
//! other instance, with the same `Idempotency-Key`, the id the first one stored.

mod common;
#[path = "mail/sink.rs"]
mod sink;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{header, Request, StatusCode};
use common::listening::Listening;
use corsform_server::store::{self, Location};
use corsform_server::Submission;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use sink::Sink;

const BIN: &str = env!("CARGO_BIN_EXE_corsform-server");
/// An origin the server allows by default.
const SITE: &str = "http://127.0.0.1:8080";
/// The clients, half on each instance.
const CLIENTS: usize = 32;
/// The submissions each client makes, one after the other.
const PER_CLIENT: usize = 12;
/// The bound on every wait: a broken server fails the test instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(40);
/// The outbox lease the instances run with: a row the killed instance had claimed is sent
/// by the other one after it. Long beside a message's sending on loopback (milliseconds),
/// so that no row is claimed twice while its first worker is alive.
const LEASE_SECONDS: &str = "3";
/// How often the test may freeze the instance before it finds the moment it wants.
const FREEZES: usize = 40;

/// The instances' names; each sends its mail from `forms-NAME@site.test`, which tells the
/// SMTP server which one sent a message.
const NAMES: [&str; 2] = ["a", "b"];

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// The folder of the instances' logs, `NAME.log`; printed when the test fails.
struct Logs(tempfile::TempDir);

impl Logs {
    fn of(&self, name: &str) -> std::path::PathBuf {
        self.0.path().join(format!("{name}.log"))
    }
}

impl Drop for Logs {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for name in NAMES {
                let log = std::fs::read_to_string(self.of(name)).unwrap_or_default();
                eprintln!("---- instance {name}'s log:\n{log}");
            }
        }
    }
}

/// `corsform-server serve` on a free loopback port and `db`, mailing to `sink`; its log in
/// `log`.
async fn start(name: &str, db: &str, sink: &Sink, log: std::path::PathBuf) -> Listening {
    let mut command = std::process::Command::new(BIN);
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--rate-limit", "0"])
        .args(["--db", db, "--outbox-lease", LEASE_SECONDS])
        .args(["--smtp", &sink.url(), "--mail-to", "owner@site.test"])
        .args(["--mail-from", &format!("forms-{name}@site.test")])
        .args(["--mail-retry-delay", "0.02"])
        .stderr(std::fs::File::create(log).unwrap());
    tokio::task::spawn_blocking(move || Listening::start(&mut command))
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("instance {name}: {e}"))
}

/// What a POST came to.
enum Answer {
    /// `200 {"ok":true,"id":N}`.
    Stored(i64),
    /// The connection failed or closed before an answer: the instance is gone.
    Lost,
}

/// POSTs the submission `key` (the `message` field, and the `Idempotency-Key`) to `addr`
/// as a script does. Any answer but a 200 fails the test.
async fn post(client: &HttpClient, addr: &str, key: &str) -> Answer {
    let body = format!("subject=Wave&from=visitor%40example.org&message={key}");
    let request = Request::post(format!("http://{addr}/contact"))
        .header(header::ORIGIN, SITE)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header("x-requested-with", "XMLHttpRequest")
        .header("idempotency-key", key)
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let response = match tokio::time::timeout(PATIENCE, client.request(request)).await {
        Ok(Ok(response)) => response,
        Ok(Err(_)) => return Answer::Lost,
        Err(_) => panic!("{addr} did not answer {key} within {PATIENCE:?}"),
    };
    let status = response.status();
    let Ok(body) = response.into_body().collect().await else {
        return Answer::Lost;
    };
    let body = body.to_bytes();
    assert_eq!(status, StatusCode::OK, "{key} on {addr}: {body:?}");
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    Answer::Stored(json["id"].as_i64().unwrap_or_else(|| panic!("{json}")))
}

/// What the clients saw, shared with the test.
#[derive(Default)]
struct Wave {
    /// Each key answered 200, with the id answered.
    answered: HashMap<String, i64>,
    /// The keys posted to the first instance and not answered yet.
    in_flight: HashSet<String>,
    /// The keys whose answer was lost with the first instance, retried on the second.
    retried: HashSet<String>,
}

/// One client: `PER_CLIENT` submissions, on `addrs[client % 2]`; when the first instance
/// is gone, the lost submission is posted again to the second with the same key, and the
/// rest go there too (as a load balancer would send them).
async fn client(n: usize, addrs: [String; 2], http: HttpClient, wave: Arc<Mutex<Wave>>) {
    let mut on = n % 2;
    for i in 0..PER_CLIENT {
        let key = format!("wave-{n}-{i}");
        if on == 0 {
            wave.lock().unwrap().in_flight.insert(key.clone());
        }
        let mut answer = post(&http, &addrs[on], &key).await;
        if let Answer::Lost = answer {
            assert_eq!(on, 0, "the second instance lost {key}");
            on = 1;
            wave.lock().unwrap().retried.insert(key.clone());
            answer = post(&http, &addrs[on], &key).await;
        }
        let Answer::Stored(id) = answer else {
            panic!("the second instance lost {key}");
        };
        let mut wave = wave.lock().unwrap();
        wave.in_flight.remove(&key);
        wave.answered.insert(key, id);
    }
}

/// The stored submissions, by the key in their `message` field.
async fn stored(db: &Location) -> HashMap<String, Vec<Submission>> {
    let mut by_key: HashMap<String, Vec<Submission>> = HashMap::new();
    for row in store::read_all(db).await.unwrap() {
        let key = row.fields.iter().find(|(name, _)| name == "message");
        let key = key.map(|(_, value)| value.clone()).unwrap_or_default();
        by_key.entry(key).or_default().push(row);
    }
    by_key
}

fn signal(process: &Listening, signal: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_raw(process.id() as i32).unwrap();
    rustix::process::kill_process(pid, signal).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_one_killed_mid_wave_store_and_mail_each_answered_submission_once() {
    let url = common::postgres::fresh_database().await;
    let db = Location::Postgres(url.clone());
    let sink = Sink::accepting().await;
    let logs = Logs(tempfile::tempdir().unwrap());
    let mut first = start(NAMES[0], &url, &sink, logs.of(NAMES[0])).await;
    let second = start(NAMES[1], &url, &sink, logs.of(NAMES[1])).await;
    let addrs = [first.addr.clone(), second.addr.clone()];
    let wave = Arc::new(Mutex::new(Wave::default()));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let http = Client::builder(TokioExecutor::new()).build_http();
            tokio::spawn(client(n, addrs.clone(), http, wave.clone()))
        })
        .collect();

    // Mid-wave: a third of the submissions answered.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while wave.lock().unwrap().answered.len() < CLIENTS * PER_CLIENT / 3 {
        assert!(tokio::time::Instant::now() < deadline, "the wave stalled");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The kill comes at a moment when a submission is committed and its answer not yet
    // written: the instance is frozen (SIGSTOP), the answers it had written are read by
    // the clients, and the database says which of the unanswered ones it had committed.
    // None: it goes on for a few milliseconds and is frozen again.
    let mut committed_unanswered: HashMap<String, i64> = HashMap::new();
    let mut freezes = 0;
    while freezes < FREEZES {
        freezes += 1;
        signal(&first, rustix::process::Signal::STOP);
        tokio::time::sleep(Duration::from_millis(250)).await;
        let in_flight = wave.lock().unwrap().in_flight.clone();
        let rows = stored(&db).await;
        committed_unanswered = in_flight
            .iter()
            .filter_map(|key| Some((key.clone(), rows.get(key)?[0].id)))
            .collect();
        if !committed_unanswered.is_empty() {
            break;
        }
        signal(&first, rustix::process::Signal::CONT);
        tokio::time::sleep(Duration::from_millis(fastrand::u64(2..20))).await;
    }
    first.kill().unwrap();
    assert!(
        !committed_unanswered.is_empty(),
        "in {FREEZES} freezes the first instance never had a committed submission unanswered"
    );
    for client in clients {
        client.await.unwrap();
    }
    let wave = std::mem::take(&mut *wave.lock().unwrap());
    assert_eq!(wave.answered.len(), CLIENTS * PER_CLIENT);

    // Stored once each, under the id answered; the lost answers retried with their key got
    // the id the killed instance had stored.
    let rows = stored(&db).await;
    for (key, id) in &wave.answered {
        let copies = rows.get(key).map_or(&[][..], Vec::as_slice);
        let ids: Vec<i64> = copies.iter().map(|r| r.id).collect();
        assert_eq!(ids, [*id], "{key} answered {id}, stored as {ids:?}");
    }
    assert_eq!(
        rows.len(),
        wave.answered.len(),
        "rows no client was answered"
    );
    for (key, id) in &committed_unanswered {
        assert!(wave.retried.contains(key), "{key} was not retried");
        assert_eq!(wave.answered[key], *id, "{key}'s retry got another id");
    }

    // Mailed once each: once the second instance has sent every row (those the killed one
    // had claimed after their lease), and a lease more for any late copy.
    let ids: HashSet<i64> = wave.answered.values().copied().collect();
    sink.wait_for(PATIENCE, |received| {
        let sent: HashSet<i64> = received.iter().map(sink::Received::submission_id).collect();
        ids.is_subset(&sent)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(
        LEASE_SECONDS.parse::<u64>().unwrap() + 1,
    ))
    .await;
    drop(second);
    let mut copies: HashMap<i64, Vec<String>> = HashMap::new();
    for message in sink.accepted() {
        copies
            .entry(message.submission_id())
            .or_default()
            .push(message.from.clone());
    }
    assert_eq!(
        copies.len(),
        ids.len(),
        "mail for rows no client was answered"
    );
    let twice: Vec<(&i64, &Vec<String>)> = copies.iter().filter(|(_, c)| c.len() > 1).collect();
    // A second copy only of a message the first instance was sending when it died: one of
    // its SMTP connections at most each, then sent again by the second.
    assert!(
        twice.len() <= corsform_server::outbox::CONNECTIONS,
        "sent twice: {twice:?}"
    );
    for (id, from) in &twice {
        assert_eq!(
            **from,
            ["forms-a@site.test", "forms-b@site.test"],
            "submission {id}"
        );
    }
    println!(
        "{} submissions, killed at freeze {freezes}, {} answers lost in the kill and \
         retried ({} of them committed by the killed instance), {} messages sent twice",
        wave.answered.len(),
        wave.retried.len(),
        committed_unanswered.len(),
        twice.len()
    );
}
