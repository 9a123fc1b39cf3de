//! Several instances on one PostgreSQL database (issue 18), each a `Store` of its own on
//! a fresh database of the test cluster: the outbox's claims (`FOR UPDATE SKIP LOCKED`
//! and leases), the shared rate limit and idempotency keys, and migrating at start.

// This file uses `common::backend` (and `postgres` through it) only.
#[allow(dead_code)]
mod common;
#[path = "mail/sink.rs"]
mod sink;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use common::backend::{test_options, Backend, Database};
use corsform_server::store::{now_ms, Location, Mark, NewSubmission, Options};
use corsform_server::{app, Config, Delivery, Outbox, Rules, Store};
use http_body_util::BodyExt;
use sink::Sink;
use tower::ServiceExt;

const SITE: &str = "http://127.0.0.1:8080";
const PATIENCE: Duration = Duration::from_secs(30);

async fn database() -> Database {
    Backend::Postgres.database().await
}

/// Another instance's store on `db`, with `lease`.
async fn instance(db: &Database, lease: Duration) -> Store {
    let options = Options {
        lease,
        ..test_options()
    };
    Store::connect(&db.location, &options).await.unwrap()
}

fn submission(n: usize) -> NewSubmission {
    NewSubmission {
        form: "contact".into(),
        fields: vec![("message".into(), format!("m{n}"))],
        notify: true,
        ..NewSubmission::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_by_four_workers_never_overlap() {
    let db = database().await;
    for n in 0..120 {
        db.store.insert(submission(n)).await.unwrap();
    }
    let mut workers = Vec::new();
    for _ in 0..4 {
        let store = instance(&db, Duration::from_secs(30)).await;
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let claimed = store.claim(now_ms(), 4).await.unwrap();
                if claimed.is_empty() {
                    return mine;
                }
                mine.extend(claimed.iter().map(|p| p.submission.id));
                assert!(mine.len() <= 120, "rows claimed again: {mine:?}");
            }
        }));
    }
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let unique: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), 120, "each row claimed once: {all:?}");
    assert_eq!(unique.len(), 120);
}

#[tokio::test]
async fn an_expired_lease_is_claimed_again_and_the_late_outcome_ignored() {
    let db = database().await;
    let lease = Duration::from_millis(800);
    let (dead, alive) = (instance(&db, lease).await, instance(&db, lease).await);
    let id = dead.insert(submission(0)).await.unwrap();
    let claimed = dead.claim(now_ms(), 4).await.unwrap();
    assert_eq!(claimed.len(), 1);
    // Leased: nobody else gets it, however often they look.
    assert!(alive.claim(now_ms(), 4).await.unwrap().is_empty());
    assert!(dead.claim(now_ms(), 4).await.unwrap().is_empty());
    tokio::time::sleep(lease + Duration::from_millis(300)).await;
    let again = alive.claim(now_ms(), 4).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].submission.id, id);
    // The first worker comes back too late: its outcome is not the row's any more.
    dead.mark(&claimed[0], Mark::Sent).await.unwrap();
    let rows = db.rows().await;
    assert_eq!(
        rows[0].delivery,
        Some(Delivery::Pending {
            attempts: 0,
            error: None
        })
    );
    alive.mark(&again[0], Mark::Sent).await.unwrap();
    let rows = db.rows().await;
    assert!(
        matches!(rows[0].delivery, Some(Delivery::Sent { attempts: 1, .. })),
        "{rows:?}"
    );
}

#[tokio::test]
async fn a_retry_waits_for_its_due_time_on_every_instance() {
    let db = database().await;
    let other = instance(&db, Duration::from_secs(30)).await;
    db.store.insert(submission(0)).await.unwrap();
    let claimed = db.store.claim(now_ms(), 4).await.unwrap();
    let due = now_ms() + 60_000;
    let retry = Mark::Retry {
        due,
        error: "451 later".into(),
    };
    db.store.mark(&claimed[0], retry).await.unwrap();
    assert!(other.claim(now_ms(), 4).await.unwrap().is_empty());
    assert_eq!(other.next_due().await.unwrap(), Some(due));
    let later = other.claim(due, 4).await.unwrap();
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].attempts, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_outbox_workers_on_one_database_send_each_message_once() {
    let db = database().await;
    let sink = Sink::accepting().await;
    let mail = Arc::new(sink::test_mail(&sink.url()));
    let other = instance(&db, Duration::from_secs(30)).await;
    let first = Outbox::start(db.store.clone(), mail.clone(), Rules::seed())
        .await
        .unwrap();
    let second = Outbox::start(other.clone(), mail, Rules::seed())
        .await
        .unwrap();
    // Committed on both instances while both workers run.
    let mut ids = Vec::new();
    for n in 0..60 {
        let store = if n % 2 == 0 { &db.store } else { &other };
        ids.push(store.insert(submission(n)).await.unwrap());
    }
    sink.wait_for(PATIENCE, |received| received.len() >= ids.len())
        .await;
    // Anything sent twice would arrive meanwhile.
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.stop().await;
    second.stop().await;
    let mut mailed: Vec<i64> = sink
        .received()
        .iter()
        .map(sink::Received::submission_id)
        .collect();
    mailed.sort_unstable();
    ids.sort_unstable();
    assert_eq!(mailed, ids, "each message once");
    let rows = db.rows().await;
    assert!(rows
        .iter()
        .all(|r| matches!(r.delivery, Some(Delivery::Sent { attempts: 1, .. }))));
}

#[tokio::test]
async fn a_worker_is_woken_by_a_commit_on_another_instance() {
    let db = database().await;
    let sink = Sink::accepting().await;
    let worker = Outbox::start(
        db.store.clone(),
        Arc::new(sink::test_mail(&sink.url())),
        Rules::seed(),
    )
    .await
    .unwrap();
    let other = instance(&db, Duration::from_secs(30)).await;
    // Let the worker fall asleep with nothing due, and LISTEN.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = tokio::time::Instant::now();
    other.insert(submission(0)).await.unwrap();
    sink.wait_for(PATIENCE, |received| received.len() == 1)
        .await;
    worker.stop().await;
    // Well before the worker's poll (IDLE_POLL, 5 s) would have found it.
    assert!(
        started.elapsed() < corsform_server::outbox::IDLE_POLL / 2,
        "{:?}",
        started.elapsed()
    );
}

fn post(ip: [u8; 4], key: Option<&str>) -> Request<Body> {
    let mut request = Request::post("/contact")
        .header("origin", SITE)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-requested-with", "XMLHttpRequest");
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let mut request = request
        .body(Body::from("subject=Hi&from=a%40b.c&message=Hello+there"))
        .unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((ip, 40000))));
    request
}

/// The status and the JSON answer.
async fn send(app: &axum::Router, request: Request<Body>) -> (StatusCode, serde_json::Value) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap())
}

/// Two instances of the app, each with its own store on `db`.
async fn two_apps(db: &Database, rate_limit: u32) -> (axum::Router, axum::Router) {
    let mut first = Config::new(db.store.clone());
    first.rate_limit = rate_limit;
    let mut second = Config::new(instance(db, Duration::from_secs(30)).await);
    second.rate_limit = rate_limit;
    (app(first), app(second))
}

#[tokio::test]
async fn the_rate_limit_is_shared_by_two_instances() {
    let db = database().await;
    let (a, b) = two_apps(&db, 3).await;
    let client = [10, 0, 0, 1];
    assert_eq!(send(&a, post(client, None)).await.0, StatusCode::OK);
    assert_eq!(send(&b, post(client, None)).await.0, StatusCode::OK);
    assert_eq!(send(&a, post(client, None)).await.0, StatusCode::OK);
    // The allowance (3 at once) is used up, whichever instance is asked.
    for app in [&b, &a] {
        let response = app.clone().oneshot(post(client, None)).await.unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry = common::retry_after(response.headers());
        // One more every 20 s.
        assert!((1..=21).contains(&retry), "{retry}");
        assert_eq!(response.headers()["access-control-allow-origin"], SITE);
    }
    // Another client has its own.
    assert_eq!(send(&b, post([10, 0, 0, 2], None)).await.0, StatusCode::OK);
    assert_eq!(db.rows().await.len(), 4);
}

#[tokio::test]
async fn the_shared_limit_refills_at_its_rate_across_instances() {
    let db = database().await;
    // 60 a minute: 60 at once, then one a second, whichever instance is asked.
    let (a, b) = two_apps(&db, 60).await;
    let client = [10, 0, 0, 3];
    let started = tokio::time::Instant::now();
    let mut allowed = 0;
    while send([&a, &b][allowed % 2], post(client, None)).await.0 == StatusCode::OK {
        allowed += 1;
        assert!(allowed <= 200, "never refused");
    }
    let refilled = started.elapsed().as_secs() as usize + 1;
    assert!(
        (60..=60 + refilled).contains(&allowed),
        "{allowed} allowed in {:?}",
        started.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut again = 0;
    while send([&b, &a][again % 2], post(client, None)).await.0 == StatusCode::OK {
        again += 1;
        assert!(again <= 5, "never refused");
    }
    assert!((1..=2).contains(&again), "{again} allowed a second later");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_gets_the_same_id_on_another_instance() {
    let db = database().await;
    let (a, b) = two_apps(&db, 0).await;
    let (status, first) = send(&a, post([10, 0, 0, 1], Some("fill-1"))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, again) = send(&b, post([10, 0, 0, 1], Some("fill-1"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["id"], first["id"]);
    // The same keys sent to both at once: one row each, both answered its id.
    let racing: Vec<_> = (0..20)
        .map(|n| {
            let (a, b) = (a.clone(), b.clone());
            tokio::spawn(async move {
                let key = format!("race-{n}");
                let (x, y) = tokio::join!(
                    send(&a, post([10, 0, 0, 1], Some(&key))),
                    send(&b, post([10, 0, 0, 1], Some(&key)))
                );
                assert_eq!((x.0, y.0), (StatusCode::OK, StatusCode::OK));
                assert_eq!(x.1["id"], y.1["id"], "{key}");
            })
        })
        .collect();
    for race in racing {
        race.await.unwrap();
    }
    assert_eq!(db.rows().await.len(), 21);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_at_once_migrate_once() {
    let url = common::postgres::fresh_database().await;
    let location = Location::Postgres(url.clone());
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let location = location.clone();
            tokio::spawn(async move { Store::connect(&location, &test_options()).await })
        })
        .collect();
    for start in starts {
        start.await.unwrap().unwrap();
    }
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let versions: Vec<i32> = client
        .query(
            "SELECT version FROM corsform_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    let expected: Vec<i32> =
        (1..=corsform_server::store::postgres::MIGRATIONS.len() as i32).collect();
    assert_eq!(versions, expected);
    // A schema from a newer corsform-server is refused, saying so.
    client
        .execute(
            "INSERT INTO corsform_migrations (version) VALUES (999)",
            &[],
        )
        .await
        .unwrap();
    let error = Store::connect(&location, &test_options())
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("newer corsform-server"), "{error}");
}

/// A client on `db`'s database, for what the tests change behind the server's back.
async fn sql(db: &Database) -> tokio_postgres::Client {
    let Location::Postgres(url) = &db.location else {
        unreachable!("a PostgreSQL database")
    };
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// `corsform-server delete --db URL ARGS`: exit code, stdout, stderr.
async fn delete(db: &Database, args: &[&str]) -> (Option<i32>, String, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_corsform-server"));
    command.args(["delete", "--db", &db.arg()]).args(args);
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (
        output.status.code(),
        text(output.stdout),
        text(output.stderr),
    )
}

#[tokio::test]
async fn retention_deletion_and_the_idempotency_window_on_postgres() {
    let db = database().await;
    for from in [
        "old@example.org",
        "Visitor@Example.org",
        "other@example.org",
    ] {
        let new = NewSubmission {
            fields: vec![
                ("from".into(), from.into()),
                // Kept as sent, NUL included (which PostgreSQL's text refuses as is).
                ("message".into(), "a\0b".into()),
            ],
            ..submission(0)
        };
        db.store.insert(new).await.unwrap();
    }
    let client = sql(&db).await;
    client
        .execute(
            "UPDATE submissions SET received = now() - interval '40 days' WHERE id = 1",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(db.store.expire("contact", 30).await.unwrap(), 1);
    let ids = |rows: Vec<corsform_server::Submission>| -> Vec<i64> {
        rows.iter().map(|r| r.id).collect()
    };
    let rows = db.rows().await;
    assert_eq!(rows[0].fields[1].1, "a\0b");
    assert_eq!(ids(rows), [2, 3]);
    assert_eq!(
        db.store.counts().await.unwrap(),
        (2, 0),
        "with its notification"
    );

    let (code, stdout, _) = delete(&db, &["--email", " visitor@example.ORG "]).await;
    assert_eq!(code, Some(0));
    assert_eq!(
        stdout,
        "corsform-server: 1 submission deleted: 2, with 1 notification\n"
    );
    assert_eq!(ids(db.rows().await), [3]);
    assert_eq!(delete(&db, &["--id", "3"]).await.0, Some(0));
    assert!(db.rows().await.is_empty());
    assert_eq!(db.store.counts().await.unwrap(), (0, 0));
    let (code, _, stderr) = delete(&db, &["--id", "3"]).await;
    assert_eq!(code, Some(2));
    assert!(stderr.contains("no submission with id 3"), "{stderr}");

    // A key is the first submission's for a day, then new again.
    let keyed = || NewSubmission {
        idempotency_key: Some("fill-1".into()),
        ..submission(0)
    };
    let first = db.store.insert(keyed()).await.unwrap();
    assert_eq!(db.store.insert(keyed()).await.unwrap(), first);
    client
        .execute("UPDATE idempotency SET at = at - 86400001", &[])
        .await
        .unwrap();
    let later = db.store.insert(keyed()).await.unwrap();
    assert_ne!(later, first);
    assert_eq!(db.store.insert(keyed()).await.unwrap(), later);
    assert_eq!(db.rows().await.len(), 2);
}

#[tokio::test]
async fn a_bad_url_is_refused_naming_it_without_its_password() {
    let refused = |url: &'static str| async move {
        Store::connect(&Location::parse(url), &test_options())
            .await
            .unwrap_err()
            .to_string()
    };
    let error = refused("postgres://app:s3cret@127.0.0.1:1/forms?bogus=1").await;
    assert_eq!(
        error,
        "database postgres://app:***@127.0.0.1:1/forms?bogus=1: PostgreSQL URL: \
         invalid connection string: unknown option `bogus`"
    );
    let error = refused("postgresql://app@127.0.0.1:1/forms?sslmode=allow").await;
    assert!(error.contains("sslmode=allow is not supported"), "{error}");
    let error = refused(
        "postgres://app@127.0.0.1:1/forms?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
    )
    .await;
    assert!(
        error.contains("sslrootcert /nonexistent/ca.pem: "),
        "{error}"
    );
    let error = refused("postgres://app:s3cret@127.0.0.1:1/forms").await;
    assert!(error.contains("PostgreSQL at 127.0.0.1:1: "), "{error}");
    assert!(error.contains("Connection refused"), "{error}");
    assert!(!error.contains("s3cret"), "{error}");
}
