//! Running commands, finding programs, measuring files.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::project_root;

/// A command run from the repository root.
pub fn cmd(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = Command::new(program);
    c.current_dir(project_root());
    c
}

/// The cargo that runs this xtask (`$CARGO`, set by cargo for what it runs), so the tasks
/// use the same toolchain as `cargo xtask` itself; `cargo` on PATH only when run otherwise.
pub fn cargo() -> Command {
    cmd(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// `c` as a shell would show it.
pub fn describe(c: &Command) -> String {
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

/// A file of the npm packages `setup` installs in xtask/npm (`npm ci`).
pub fn npm_file(path: &str) -> PathBuf {
    project_root().join("xtask/npm/node_modules").join(path)
}

/// A program of those packages: wasm-opt, terser.
pub fn npm_bin(program: &str) -> PathBuf {
    npm_file(&format!(".bin/{program}"))
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
    let dir = project_root()
        .join("target/xtask")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

/// Starts a corsform-server (`c`, a `serve` command) and waits until it listens.
pub fn start_server(c: &mut Command) -> Result<crate::listening::Listening, String> {
    println!("$ {} &", describe(c));
    let server = crate::listening::Listening::start(c)?;
    println!("xtask: server at http://{}", server.addr);
    Ok(server)
}

/// Builds corsform-server (`--release` with `release`) and returns the binary's path.
pub fn build_server(release: bool) -> Result<PathBuf, String> {
    let mut c = cargo();
    c.args(["build", "-p", "corsform-server"]);
    if release {
        c.arg("--release");
    }
    run(&mut c)?;
    let profile = if release { "release" } else { "debug" };
    Ok(project_root()
        .join("target")
        .join(profile)
        .join("corsform-server"))
}
