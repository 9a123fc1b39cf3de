//! A throwaway PostgreSQL cluster for a task's run: Debian's server binaries
//! (`/usr/lib/postgresql/VERSION/bin`, installed by `setup`), `initdb` into a new folder
//! (`corsform-postgres-PID`, in the system's temporary directory for the tests, beside the
//! SQLite file on the disk for `bench`), the `postgres` server listening on 127.0.0.1 only, on a free port, its unix
//! socket in that folder, loopback trusted (no password); for the tests, with `ssl=on` and a
//! certificate signed by a CA made at its start ([`write_certificates`]). Stopped and the folder removed when
//! the [`Cluster`] is dropped, also when the tests fail; Ctrl-C stops the tests, then the
//! cluster (see [`ignore_interrupts`]). A folder left by an xtask that was killed is removed
//! by the next one.
//!
//! PostgreSQL refuses to run as root: when the xtask does, the cluster runs as `nobody`
//! (`setpriv`, util-linux), in a folder given to it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::util::{describe, free_port};

/// The variable the server's tests read the cluster's URL from
/// (`server/tests/common/postgres.rs`).
pub const URL_VAR: &str = "CORSFORM_TEST_POSTGRES_URL";

/// The variable naming the PEM file of the certificate authority that signed the cluster's
/// server certificate (when it was started with TLS).
pub const CA_VAR: &str = "CORSFORM_TEST_POSTGRES_CA";

/// The prefix of the clusters' folders, `corsform-postgres-PID` (PID being the xtask's).
const PREFIX: &str = "corsform-postgres-";

/// How long the server may take to accept connections.
const START_PATIENCE: Duration = Duration::from_secs(60);

/// The server settings of the tests' cluster: room for every test's pools at once (two
/// servers of the multi-instance test, the store tests running in parallel).
pub const TEST_SETTINGS: [(&str, &str); 1] = [("max_connections", "200")];

/// The settings `bench` measures with, each PostgreSQL's default, written out: every
/// commit flushed to the disk (fdatasync on Linux) before it returns, as SQLite's
/// `synchronous=FULL`.
pub const DURABLE_SETTINGS: [(&str, &str); 3] = [
    ("fsync", "on"),
    ("synchronous_commit", "on"),
    ("full_page_writes", "on"),
];

/// The unprivileged account the cluster runs as when the xtask runs as root.
const USER: &str = "nobody";

/// The folder of the newest PostgreSQL server installed from Debian's packages
/// (`/usr/lib/postgresql/VERSION/bin`, with `initdb` in it), if any.
pub fn bin_dir() -> Option<PathBuf> {
    let versions = std::fs::read_dir("/usr/lib/postgresql").ok()?;
    versions
        .flatten()
        .filter_map(|v| {
            let major: u32 = v.file_name().to_str()?.parse().ok()?;
            let bin = v.path().join("bin");
            bin.join("initdb").is_file().then_some((major, bin))
        })
        .max()
        .map(|(_, bin)| bin)
}

/// A running cluster; dropping it stops the server and removes its folder.
pub struct Cluster {
    /// `postgres://postgres@127.0.0.1:PORT/postgres`: the superuser `postgres`, no password.
    pub url: String,
    /// The server's major version (`15`).
    pub version: String,
    /// With TLS (`ssl=on`): the PEM file of the certificate authority that signed the
    /// server's certificate, for `127.0.0.1` and `localhost`.
    pub ca: Option<PathBuf>,
    /// The temporary folder: `data/` (the cluster), `postgres.log`, the unix socket.
    dir: PathBuf,
    bin: PathBuf,
    server: Child,
    as_user: Option<Account>,
}

/// The account the cluster's programs run as (when the xtask is root).
#[derive(Clone, Copy)]
struct Account {
    uid: u32,
    gid: u32,
}

impl Cluster {
    /// `initdb` into a new folder in `parent`, then `postgres` in the background; returns
    /// once it accepts connections. `settings` are extra `-c NAME=VALUE` server settings.
    /// With `tls`, a new certificate authority and a server certificate it signs are made
    /// (see [`write_certificates`]) and the server runs with `ssl=on`; clients still choose
    /// (libpq's `sslmode`). The error says what failed and shows the server's log.
    pub fn start(parent: &Path, settings: &[(&str, &str)], tls: bool) -> Result<Cluster, String> {
        let bin = bin_dir().ok_or(
            "no PostgreSQL server in /usr/lib/postgresql/*/bin (Debian's `postgresql` \
             package; `cargo xtask setup` installs it)",
        )?;
        remove_stale(parent);
        let dir = parent.join(format!("{PREFIX}{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let as_user = match crate::setup::is_root() {
            true => {
                let account = account(USER)?;
                std::os::unix::fs::chown(&dir, Some(account.uid), Some(account.gid))
                    .map_err(|e| format!("cannot give {} to {USER}: {e}", dir.display()))?;
                Some(account)
            }
            false => None,
        };
        let port = free_port()?;
        let log = dir.join("postgres.log");
        let data = dir.join("data");
        let initdb = Command::new(bin.join("initdb"))
            .args(["--auth=trust", "--username=postgres", "--encoding=UTF8"])
            .args(["--locale=C", "--no-instructions", "--pgdata"])
            .arg(&data)
            .as_user(as_user)
            .current_dir(&dir)
            .output()
            .map_err(|e| format!("cannot run initdb: {e}"))?;
        if !initdb.status.success() {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(format!(
                "initdb failed ({}):\n{}{}",
                initdb.status,
                String::from_utf8_lossy(&initdb.stdout),
                String::from_utf8_lossy(&initdb.stderr)
            ));
        }
        let ca = match tls {
            true => Some(write_certificates(&dir, &data, as_user)?),
            false => None,
        };
        let log_file =
            std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let mut postgres = Command::new(bin.join("postgres"));
        postgres
            .arg("-D")
            .arg(&data)
            .args(["-c", "listen_addresses=127.0.0.1", "-p", &port.to_string()])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", dir.display()))
            .args(["-c", if tls { "ssl=on" } else { "ssl=off" }])
            .args(
                settings
                    .iter()
                    .flat_map(|(k, v)| ["-c".into(), format!("{k}={v}")]),
            )
            .as_user(as_user)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
            .stderr(log_file);
        println!("$ {} &", describe(&postgres));
        let server = postgres
            .spawn()
            .map_err(|e| format!("cannot start postgres: {e}"))?;
        let version = bin.parent().and_then(Path::file_name);
        let mut cluster = Cluster {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            version: version.map_or_else(String::new, |v| v.to_string_lossy().into_owned()),
            ca,
            dir,
            bin,
            server,
            as_user,
        };
        cluster.wait_ready(port)?;
        println!("xtask: PostgreSQL at {}", cluster.url);
        Ok(cluster)
    }

    /// Polls `pg_isready` until the server accepts connections; an error with its log if it
    /// exits or takes longer than [`START_PATIENCE`].
    fn wait_ready(&mut self, port: u16) -> Result<(), String> {
        let deadline = Instant::now() + START_PATIENCE;
        loop {
            if let Ok(Some(status)) = self.server.try_wait() {
                return Err(format!(
                    "postgres exited ({status}) before accepting connections; its log:\n{}",
                    self.log()
                ));
            }
            let ready = Command::new(self.bin.join("pg_isready"))
                .args(["--host=127.0.0.1", "--quiet", "--dbname=postgres"])
                .arg(format!("--port={port}"))
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "postgres did not accept connections on 127.0.0.1:{port} within {}s; \
                     its log:\n{}",
                    START_PATIENCE.as_secs(),
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Creates the database `name` (`createdb`) and returns its URL.
    pub fn create_database(&self, name: &str) -> Result<String, String> {
        let server = self
            .url
            .strip_suffix("/postgres")
            .expect("the URL ends in /postgres");
        let url = format!("{server}/{name}");
        crate::util::run(Command::new(self.bin.join("createdb")).args([
            "--maintenance-db",
            &self.url,
            name,
        ]))?;
        Ok(url)
    }

    /// The server's log so far.
    fn log(&self) -> String {
        let path = self.dir.join("postgres.log");
        std::fs::read_to_string(&path).unwrap_or_else(|e| format!("({}: {e})", path.display()))
    }
}

impl Drop for Cluster {
    /// `pg_ctl stop` (fast shutdown: sessions ended, no checkpoint wait), the server
    /// awaited, the folder removed.
    fn drop(&mut self) {
        // Unless it has exited already (it failed to start, or Ctrl-C reached it too).
        if let Ok(None) = self.server.try_wait() {
            let stopped = Command::new(self.bin.join("pg_ctl"))
                .args(["stop", "--mode=fast", "--wait", "--silent", "--pgdata"])
                .arg(self.dir.join("data"))
                .as_user(self.as_user)
                .current_dir(&self.dir)
                .status()
                .is_ok_and(|s| s.success());
            if !stopped {
                let _ = self.server.kill();
            }
        }
        let _ = self.server.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
        println!("xtask: PostgreSQL stopped");
    }
}

/// Makes a certificate authority (`ca.crt` in `dir`, returned) and a server certificate it
/// signs for `127.0.0.1` and `localhost` (`server.crt` and `server.key` in `data`, where
/// PostgreSQL's `ssl_cert_file` and `ssl_key_file` look by default); the key is mode 0600
/// and owned by the cluster's account, as the server requires (rcgen, ECDSA P-256).
fn write_certificates(
    dir: &Path,
    data: &Path,
    as_user: Option<Account>,
) -> Result<PathBuf, String> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let failed = |what: &str| {
        let what = what.to_owned();
        move |e: rcgen::Error| format!("cannot make the test cluster's {what}: {e}")
    };
    let ca_key = rcgen::KeyPair::generate().map_err(failed("CA key"))?;
    let mut ca = rcgen::CertificateParams::new(Vec::new()).map_err(failed("CA"))?;
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "corsform test CA");
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = rcgen::CertifiedIssuer::self_signed(ca, ca_key).map_err(failed("CA"))?;
    let key = rcgen::KeyPair::generate().map_err(failed("server key"))?;
    let server = rcgen::CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
        .map_err(failed("server certificate"))?
        .signed_by(&key, &ca)
        .map_err(failed("server certificate"))?;
    let write = |path: &Path, text: String, mode: u32| -> Result<(), String> {
        let err = |e: std::io::Error| format!("{}: {e}", path.display());
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(path)
            .map_err(err)?;
        std::io::Write::write_all(&mut file, text.as_bytes()).map_err(err)?;
        file.set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(err)?;
        if let Some(account) = as_user {
            std::os::unix::fs::chown(path, Some(account.uid), Some(account.gid)).map_err(err)?;
        }
        Ok(())
    };
    let ca_path = dir.join("ca.crt");
    write(&ca_path, ca.pem(), 0o644)?;
    write(&data.join("server.crt"), server.pem(), 0o644)?;
    write(&data.join("server.key"), key.serialize_pem(), 0o600)?;
    Ok(ca_path)
}

/// Runs a command as `account`, when there is one.
trait AsUser {
    fn as_user(&mut self, account: Option<Account>) -> &mut Self;
}

impl AsUser for Command {
    fn as_user(&mut self, account: Option<Account>) -> &mut Self {
        use std::os::unix::process::CommandExt;
        if let Some(Account { uid, gid }) = account {
            self.uid(uid).gid(gid).env("HOME", "/");
        }
        self
    }
}

/// `user`'s uid and primary gid (`id -u`, `id -g`).
fn account(user: &str) -> Result<Account, String> {
    let id = |flag: &str| {
        crate::util::output(Command::new("id").args([flag, user]))
            .and_then(|o| o.trim().parse().ok())
            .ok_or_else(|| format!("no user {user:?} to run PostgreSQL as (it refuses root)"))
    };
    Ok(Account {
        uid: id("-u")?,
        gid: id("-g")?,
    })
}

/// Removes the folders of clusters whose xtask is gone (killed before it could clean up),
/// stopping their server first if it still runs.
fn remove_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)) else {
            continue;
        };
        if Path::new("/proc").join(pid).exists() {
            continue;
        }
        let data = entry.path().join("data");
        if let Some(server) = std::fs::read_to_string(data.join("postmaster.pid"))
            .ok()
            .and_then(|p| p.lines().next().map(str::to_owned))
        {
            // The server outlived its xtask: SIGQUIT is PostgreSQL's immediate shutdown.
            let _ = Command::new("kill").args(["-QUIT", &server]).status();
            std::thread::sleep(Duration::from_millis(500));
        }
        println!(
            "xtask: removing {}, left by an earlier run",
            entry.path().display()
        );
        let _ = std::fs::remove_dir_all(entry.path());
    }
}

/// Set once Ctrl-C was pressed (after [`ignore_interrupts`]).
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// From now on, Ctrl-C no longer kills the xtask itself: the programs it runs, in the same
/// process group, are interrupted, and the xtask then cleans up what it started (a
/// [`Cluster`] is dropped) and exits with their failure.
pub fn ignore_interrupts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            eprintln!("xtask: interrupted; stopping what was started");
            INTERRUPTED.store(true, Ordering::SeqCst);
        });
    });
}

/// Returns once Ctrl-C was pressed (after [`ignore_interrupts`]).
pub fn wait_for_interrupt() {
    while !INTERRUPTED.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(200));
    }
}
