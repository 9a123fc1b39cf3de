//! `cargo xtask demo`: the API and the static site on two loopback origins, until Ctrl-C.
//!
//! The static server is a few lines of std (one thread per connection, GET and HEAD
//! only): the demo needs nothing more, and the xtask stays quick to compile.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use crate::config::Config;
use crate::util::{build_server, cmd, start_server};

/// Where the demo site is served.
pub const SITE: &str = "127.0.0.1:8080";
/// Where the API listens (the form's `action` in www/index.html).
pub const API: &str = "127.0.0.1:8081";

/// Builds pkg/ and the server, starts both, and serves until interrupted.
pub fn demo(c: &Config) -> Result<(), String> {
    crate::build(c)?;
    let server_bin = build_server(false)?;
    let listener = TcpListener::bind(SITE).map_err(|e| format!("cannot listen on {SITE}: {e}"))?;
    let site = format!("http://{SITE}");
    let mailbox = crate::mailbox::Mailbox::start();
    let _api = start_server(
        cmd(server_bin)
            .args(["serve", "--listen", API, "--allow-origin", &site])
            .args(["--redirect", &format!("{site}/thanks.html")])
            .args(["--db", "corsform.db"])
            .args(
                mailbox
                    .iter()
                    .flat_map(|_| crate::mailbox::Mailbox::serve_args()),
            ),
    )?;
    println!();
    println!("  the site: {site}/");
    println!("  the API:  http://{API}/contact  (submissions in corsform.db:");
    println!("            cargo run -p corsform-server -- export --db corsform.db)");
    if let Some(mailbox) = &mailbox {
        println!(
            "  the mail: each submission is mailed to smtp://{} and lands in {}/new/",
            crate::mailbox::SMTP,
            mailbox.dir.display()
        );
    }
    println!();
    println!("Ctrl-C stops them all.");
    serve(listener, crate::project_root());
    Ok(())
}

/// Serves `root/www` at `/` and `root/pkg` at `/pkg/` forever.
pub fn serve(listener: TcpListener, root: PathBuf) {
    for stream in listener.incoming().flatten() {
        let root = root.clone();
        std::thread::spawn(move || {
            let _ = answer(stream, &root);
        });
    }
}

/// The Content-Type for a file name.
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "txt" | "ts" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The file a URL path names: `/pkg/…` in `root/pkg`, anything else in `root/www`; `None`
/// for a path that tries to leave them.
pub fn file_for(root: &Path, url_path: &str) -> Option<PathBuf> {
    let path = url_path.split(['?', '#']).next().unwrap_or("");
    let rel = path.strip_prefix('/')?;
    let (base, rel) = match rel.strip_prefix("pkg/") {
        Some(rest) => (root.join("pkg"), rest),
        None => (root.join("www"), rel),
    };
    let rel = Path::new(rel);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    let mut file = base.join(rel);
    if file.is_dir() {
        file.push("index.html");
    }
    Some(file)
}

fn answer(stream: TcpStream, root: &Path) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut out = stream;
    if method != "GET" && method != "HEAD" {
        return reply(
            &mut out,
            "405 Method Not Allowed",
            "text/plain",
            b"GET only\n",
            true,
        );
    }
    let body = file_for(root, path).and_then(|f| Some((std::fs::read(&f).ok()?, f)));
    let Some((bytes, file)) = body else {
        return reply(
            &mut out,
            "404 Not Found",
            "text/plain",
            b"not found\n",
            true,
        );
    };
    println!("site: {method} {path}");
    reply(
        &mut out,
        "200 OK",
        content_type(&file),
        &bytes,
        method == "GET",
    )
}

fn reply(
    out: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
    with_body: bool,
) -> std::io::Result<()> {
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if with_body {
        out.write_all(body)?;
    }
    out.flush()
}
