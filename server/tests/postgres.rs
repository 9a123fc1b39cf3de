//! The PostgreSQL the tests run against (`common/postgres.rs`, on the cluster
//! `cargo xtask test` starts): each test gets a database of its own, empty and writable.

// This file uses `common::postgres` only.
#[allow(dead_code)]
mod common;

use common::postgres::fresh_database;
use tokio_postgres::{Client, NoTls};

async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

/// The tables of the database's `public` schema.
async fn tables(client: &Client) -> Vec<String> {
    let rows = client
        .query(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = 'public' ORDER BY table_name",
            &[],
        )
        .await
        .unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

#[tokio::test]
async fn a_fresh_database_takes_a_table_and_a_row() {
    let url = fresh_database().await;
    let client = connect(&url).await;
    assert_eq!(tables(&client).await, Vec::<String>::new());
    client
        .batch_execute("CREATE TABLE submission (id bigserial PRIMARY KEY, body text NOT NULL)")
        .await
        .unwrap();
    let id: i64 = client
        .query_one(
            "INSERT INTO submission (body) VALUES ($1) RETURNING id",
            &[&"subject=Hello"],
        )
        .await
        .unwrap()
        .get(0);
    let row = client
        .query_one("SELECT id, body FROM submission", &[])
        .await
        .unwrap();
    assert_eq!(
        (row.get::<_, i64>(0), row.get::<_, String>(1)),
        (id, "subject=Hello".into())
    );
    let name: String = client
        .query_one("SELECT current_database()::text", &[])
        .await
        .unwrap()
        .get(0);
    assert!(url.ends_with(&format!("/{name}")), "{url} is {name}");
}

#[tokio::test]
async fn each_test_sees_only_its_own_database() {
    let (first, second) = (fresh_database().await, fresh_database().await);
    assert_ne!(first, second);
    let first = connect(&first).await;
    first
        .batch_execute("CREATE TABLE mine (x int)")
        .await
        .unwrap();
    assert_eq!(tables(&first).await, ["mine"]);
    assert_eq!(tables(&connect(&second).await).await, Vec::<String>::new());
}
