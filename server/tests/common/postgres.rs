//! A fresh, empty PostgreSQL database for each test, on the throwaway cluster that
//! `cargo xtask test` starts (xtask/src/postgres.rs) and names in
//! `CORSFORM_TEST_POSTGRES_URL` (`postgres://postgres@127.0.0.1:PORT/postgres`, a superuser
//! on loopback). To run one test file by hand: `cargo xtask postgres` in another terminal,
//! then `CORSFORM_TEST_POSTGRES_URL=… CORSFORM_TEST_POSTGRES_CA=… cargo test -p
//! corsform-server --test NAME`. The cluster runs with `ssl=on` (the CA that signed its
//! certificate in `CORSFORM_TEST_POSTGRES_CA`).
//!
//! Each test gets a database of its own (`CREATE DATABASE`), so tests run in parallel and
//! see nothing of each other; the cluster is removed after the run, and them with it.
// Each test file uses a part of `common`.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

/// The variable naming the cluster.
pub const URL_VAR: &str = "CORSFORM_TEST_POSTGRES_URL";

/// The cluster's URL, from `CORSFORM_TEST_POSTGRES_URL`; panics, saying how to get one,
/// when it is not set (or empty).
pub fn cluster_url() -> String {
    let url = std::env::var(URL_VAR).ok().filter(|url| !url.is_empty());
    url.unwrap_or_else(|| {
        panic!(
            "{URL_VAR} is not set: run the tests through `cargo xtask test` (which starts a \
             throwaway PostgreSQL), or start one with `cargo xtask postgres` and set \
             {URL_VAR} to the URL it prints"
        )
    })
}

/// Creates an empty database no other test uses and returns its URL: the cluster's, with
/// the database's name as its path (`postgres://postgres@127.0.0.1:PORT/corsform_test_…`).
/// Panics when the cluster can't be reached.
pub async fn fresh_database() -> String {
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let cluster = cluster_url();
    let (client, connection) = tokio_postgres::connect(&cluster, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {cluster} ({URL_VAR}): {e}"));
    let connection = tokio::spawn(connection);
    // The process and a counter tell apart the tests of one run; the random part, the runs
    // of a cluster that outlives them (one started by hand).
    let name = format!(
        "corsform_test_{}_{}_{:08x}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed),
        fastrand::u32(..)
    );
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name} on {cluster}: {}", describe(&e)));
    drop(client);
    let _ = connection.await;
    let mut url = url::Url::parse(&cluster)
        .unwrap_or_else(|e| panic!("{URL_VAR}={cluster} is not a URL: {e}"));
    url.set_path(&name);
    url.into()
}

/// `e` with the server's message when there is one (tokio-postgres' `Display` says only
/// "db error" for an error the server reported).
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{e}: {db}"),
        None => e.to_string(),
    }
}

/// The variable naming the PEM file of the CA that signed the cluster's certificate.
pub const CA_VAR: &str = "CORSFORM_TEST_POSTGRES_CA";

/// The cluster's CA (`CORSFORM_TEST_POSTGRES_CA`, set by `cargo xtask test` and printed by
/// `cargo xtask postgres`, which start the cluster with `ssl=on`); panics when it is not set.
pub fn cluster_ca() -> String {
    let ca = std::env::var(CA_VAR).ok().filter(|ca| !ca.is_empty());
    ca.unwrap_or_else(|| {
        panic!(
            "{CA_VAR} is not set: run the tests through `cargo xtask test`, or set it to the \
             path `cargo xtask postgres` prints"
        )
    })
}
