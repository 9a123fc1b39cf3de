//! TLS to PostgreSQL, against the tests' cluster, which runs with `ssl=on` and a
//! certificate for 127.0.0.1 signed by a CA made at its start (`CORSFORM_TEST_POSTGRES_CA`):
//! the store's connections are encrypted as libpq's `sslmode` says, and a certificate that
//! does not verify is refused with the host and the reason.

// This file uses `common::postgres` only.
#[allow(dead_code)]
mod common;

use common::postgres::{cluster_ca, fresh_database};
use corsform_server::store::postgres::Postgres;
use corsform_server::store::Options;

/// Whether each connection to `url`'s database (the store's pool) uses TLS, from
/// `pg_stat_ssl`, asked on a plain connection to the cluster's `postgres` database.
async fn ssl_of_connections(url: &str) -> Vec<bool> {
    let database = url.rsplit('/').next().unwrap().to_owned();
    let cluster = common::postgres::cluster_url();
    let (client, connection) = tokio_postgres::connect(&cluster, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let rows = client
        .query(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.datname = $1",
            &[&database],
        )
        .await
        .unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

fn with(url: &str, query: &str) -> String {
    format!("{url}?{query}")
}

/// Connects a store to a fresh database with `query` added to its URL and asserts that
/// its connections (one at least) use TLS exactly when `tls`; returns the database's URL.
async fn assert_store_connections(query: &str, tls: bool) -> String {
    let url = fresh_database().await;
    let store = Postgres::connect(&with(&url, query), &Options::default())
        .await
        .unwrap_or_else(|e| panic!("{query}: {}", e.0));
    let ssl = ssl_of_connections(&url).await;
    assert!(
        !ssl.is_empty() && ssl.iter().all(|&s| s == tls),
        "{query}: ssl of each connection {ssl:?}"
    );
    drop(store);
    url
}

#[tokio::test]
async fn sslmode_require_encrypts_and_disable_does_not() {
    assert_store_connections("sslmode=require", true).await;
    assert_store_connections("sslmode=disable", false).await;
    // The default, prefer: TLS, as the server offers it.
    assert_store_connections("application_name=corsform", true).await;
}

#[tokio::test]
async fn verify_full_accepts_the_right_ca_and_refuses_another() {
    let ca = cluster_ca();
    let query = format!("sslmode=verify-full&sslrootcert={ca}");
    let url = assert_store_connections(&query, true).await;

    // Another CA: the server's certificate is not signed by it.
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "another CA");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let other = params.self_signed(&key).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let other_ca = dir.path().join("other-ca.crt");
    std::fs::write(&other_ca, other.pem()).unwrap();
    for mode in ["verify-full", "verify-ca", "require"] {
        let query = format!("sslmode={mode}&sslrootcert={}", other_ca.display());
        let refused = Postgres::connect(&with(&url, &query), &Options::default()).await;
        let e = refused
            .err()
            .unwrap_or_else(|| panic!("{mode}: connected"))
            .0;
        let host = url.split('@').nth(1).unwrap().split('/').next().unwrap();
        assert!(
            e.contains(&format!("PostgreSQL at {host}: "))
                && e.contains("invalid peer certificate: UnknownIssuer")
                && e.contains("sslrootcert"),
            "{mode}: {e}"
        );
    }
}

/// `verify-full` checks that the certificate names the host; `verify-ca` only its chain.
/// The host is a name the certificate lacks, reached at 127.0.0.1 through libpq's
/// `hostaddr`.
#[tokio::test]
async fn verify_full_refuses_a_certificate_for_another_host_and_verify_ca_does_not() {
    let ca = cluster_ca();
    let url = fresh_database().await;
    let port = url::Url::parse(&url).unwrap().port().unwrap();
    let database = url.rsplit('/').next().unwrap();
    let elsewhere = format!("postgres://postgres@db.elsewhere.example:{port}/{database}");
    let query = |mode: &str| format!("hostaddr=127.0.0.1&sslmode={mode}&sslrootcert={ca}");
    let refused = Postgres::connect(
        &with(&elsewhere, &query("verify-full")),
        &Options::default(),
    )
    .await;
    let Err(e) = refused else {
        panic!("verify-full connected")
    };
    let e = e.0;
    assert!(
        e.contains(&format!("PostgreSQL at db.elsewhere.example:{port}: "))
            && e.contains("invalid peer certificate: certificate not valid for name"),
        "{e}"
    );
    let store = Postgres::connect(&with(&elsewhere, &query("verify-ca")), &Options::default())
        .await
        .unwrap_or_else(|e| panic!("verify-ca: {}", e.0));
    let ssl = ssl_of_connections(&url).await;
    assert!(
        !ssl.is_empty() && ssl.iter().all(|&s| s),
        "verify-ca: {ssl:?}"
    );
    drop(store);
}
