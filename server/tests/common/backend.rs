//! The two stores the storage tests run on: SQLite in a temporary folder, and PostgreSQL
//! in a fresh database of the test cluster ([`super::postgres`]). A test written as
//! `async fn NAME(backend: Backend)` and listed in [`on_both_stores!`] runs as
//! `sqlite::NAME` and `postgres::NAME`.
// Each test file uses a part of `common`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use corsform_server::store::{self, Location, Options};
use corsform_server::Store;

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary folder.
    Sqlite,
    /// A fresh database on the test cluster (`CORSFORM_TEST_POSTGRES_URL`).
    Postgres,
}

/// A test's database: where it is, and the store opened on it.
pub struct Database {
    /// `--db`'s value for it.
    pub location: Location,
    /// The store, opened (PostgreSQL: connected, tables created).
    pub store: Store,
    dir: tempfile::TempDir,
}

/// The options the tests open PostgreSQL stores with: a small pool (many tests run at
/// once on one cluster).
pub fn test_options() -> Options {
    Options {
        pool_size: 4,
        ..Options::default()
    }
}

impl Backend {
    /// A new empty database with the store opened on it.
    pub async fn database(self) -> Database {
        let dir = tempfile::tempdir().unwrap();
        let location = self.location(dir.path()).await;
        let store = Store::connect(&location, &test_options()).await.unwrap();
        Database {
            location,
            store,
            dir,
        }
    }

    /// [`Backend::location`] for a test without a runtime.
    pub fn location_blocking(self, dir: &Path) -> Location {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(self.location(dir))
    }

    /// Where a new empty database is, not opened: `dir/test.db`, or a fresh PostgreSQL
    /// database.
    pub async fn location(self, dir: &Path) -> Location {
        match self {
            Backend::Sqlite => Location::Sqlite(dir.join("test.db")),
            Backend::Postgres => Location::Postgres(super::postgres::fresh_database().await),
        }
    }
}

impl Database {
    /// The temporary folder (logs, certificates, the SQLite file).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `--db`'s argument.
    pub fn arg(&self) -> String {
        location_arg(&self.location)
    }

    /// Another store on the same database, as a second instance opens it.
    pub async fn open_again(&self) -> Store {
        Store::connect(&self.location, &test_options())
            .await
            .unwrap()
    }

    /// A file in the temporary folder.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Every stored submission, as `export` reads them.
    pub async fn rows(&self) -> Vec<corsform_server::Submission> {
        store::read_all(&self.location).await.unwrap()
    }
}

/// `--db`'s argument for `location`.
pub fn location_arg(location: &Location) -> String {
    match location {
        Location::Sqlite(path) => path.to_str().unwrap().to_owned(),
        Location::Postgres(url) => url.clone(),
    }
}

/// Runs each listed `async fn NAME(backend: Backend)` of the test file on SQLite and on
/// PostgreSQL, as `sqlite::NAME` and `postgres::NAME`.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::Backend::Sqlite).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::Backend::Postgres).await
                }
            )+
        }
    };
}

/// [`on_both_stores!`] for plain `#[test]` functions, `fn NAME(backend: Backend)`.
#[macro_export]
macro_rules! on_both_stores_blocking {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name(super::Backend::Sqlite)
                }
            )+
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    super::$name(super::Backend::Postgres)
                }
            )+
        }
    };
}
