//! Running commands, finding programs, measuring files, background servers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A command run from the repository root.
pub fn cmd(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = Command::new(program);
    c.current_dir(crate::root());
    c
}

fn describe(c: &Command) -> String {
    let mut s = c.get_program().to_string_lossy().into_owned();
    for a in c.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs `c`, its output going to ours; a non-zero exit is an error naming the command.
pub fn run(c: &mut Command) -> Result<(), String> {
    println!("$ {}", describe(c));
    let status = c
        .status()
        .map_err(|e| format!("cannot start `{}`: {e}", describe(c)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(c)))
    }
}

/// Runs `c` and returns its stdout, or `None` if it cannot start or fails.
pub fn output(c: &mut Command) -> Option<String> {
    let out = c.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The path of `program` on PATH (or in ~/.cargo/bin).
pub fn which(program: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(Path::new(&home).join(".cargo/bin"));
    }
    dirs.into_iter()
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// The size of `path` after `gzip -9`.
pub fn gzip_size(path: &Path) -> Result<u64, String> {
    let out = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .output()
        .map_err(|e| format!("cannot run gzip: {e}"))?;
    if !out.status.success() {
        return Err(format!("gzip {} failed", path.display()));
    }
    Ok(out.stdout.len() as u64)
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot bind loopback: {e}"))?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// A fresh directory under target/ for a task's files.
pub fn temp_dir(name: &str) -> Result<PathBuf, String> {
    let dir = crate::root()
        .join("target/xtask")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

/// A corsform-server running in the background, killed when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`, as it printed.
    pub url: String,
}

impl Server {
    /// Starts `c` and waits for its `listening on http://…` line.
    pub fn start(c: &mut Command) -> Result<Server, String> {
        println!("$ {} &", describe(c));
        let mut child = c
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start `{}`: {e}", describe(c)))?;
        let mut lines = BufReader::new(child.stdout.take().expect("piped"));
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
                let _ = child.wait();
                return Err(format!("`{}` exited before listening", describe(c)));
            }
            if let Some(at) = line.find("listening on ") {
                let url = line[at + "listening on ".len()..].trim().to_owned();
                // Keep draining its stdout so it never blocks on a full pipe.
                std::thread::spawn(move || {
                    let mut sink = Vec::new();
                    let _ = lines.read_to_end(&mut sink);
                });
                println!("xtask: server at {url}");
                let _ = std::io::stdout().flush();
                return Ok(Server { child, url });
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
