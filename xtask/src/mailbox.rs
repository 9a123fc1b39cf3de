//! The demo's mail: a local SMTP server that keeps every message, so a newcomer sees the
//! notification of each submission arrive. It is aiosmtpd (`cargo xtask setup` installs
//! Debian's python3-aiosmtpd) with its Maildir handler: each message becomes one file in
//! `target/demo-mail/new/`, and this prints its path as it arrives.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::util::{cmd, which};

/// Where the demo's SMTP server listens.
pub const SMTP: &str = "127.0.0.1:2525";

/// The running SMTP server, stopped when dropped.
pub struct Mailbox {
    child: Child,
    /// The Maildir the messages go to.
    pub dir: PathBuf,
}

impl Mailbox {
    /// Starts aiosmtpd on [`SMTP`] writing to `target/demo-mail`, waits until it accepts
    /// connections, and watches the folder. `None` (and why, printed) when aiosmtpd is
    /// missing or does not start: the demo then runs without mail.
    pub fn start() -> Option<Mailbox> {
        let Some(aiosmtpd) = which("aiosmtpd") else {
            println!(
                "xtask: no aiosmtpd (`cargo xtask setup` installs it): the demo runs without mail"
            );
            return None;
        };
        let dir = crate::project_root().join("target/demo-mail");
        let child = cmd(aiosmtpd)
            .args(["-n", "-l", SMTP, "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&dir)
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| println!("xtask: aiosmtpd: {e}; the demo runs without mail"))
            .ok()?;
        let mailbox = Mailbox { child, dir };
        let up = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(50));
            std::net::TcpStream::connect(SMTP).is_ok()
        });
        if !up {
            println!("xtask: aiosmtpd did not start on {SMTP}; the demo runs without mail");
            return None;
        }
        watch(mailbox.dir.join("new"));
        Some(mailbox)
    }

    /// The `corsform-server serve` flags that mail each submission here.
    pub fn serve_args() -> [String; 6] {
        [
            "--smtp".into(),
            format!("smtp://{SMTP}"),
            "--mail-from".into(),
            "forms@example.org".into(),
            "--mail-to".into(),
            "you@example.org".into(),
        ]
    }
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Prints each file that appears in `dir` (checked twice a second), for as long as the demo
/// runs.
fn watch(dir: PathBuf) {
    let names = |dir: &Path| -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
    };
    std::thread::spawn(move || {
        let mut seen = names(&dir);
        loop {
            std::thread::sleep(Duration::from_millis(500));
            for file in names(&dir) {
                if !seen.contains(&file) {
                    println!("mail: a message arrived: {}", file.display());
                    seen.push(file);
                }
            }
        }
    });
}
