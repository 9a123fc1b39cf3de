//! What the end-to-end tests run: the real corsform-server, a static server for www/ and
//! pkg/ on another loopback origin, a redirecting endpoint, and a headless browser behind
//! its WebDriver (chromedriver or geckodriver, spawned on a free port).

use std::future::Future;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::common::listening::Listening;

const BIN: &str = env!("CARGO_BIN_EXE_corsform-server");

/// The port www/index.html's form posts to; the static server rewrites it to the test's API.
const DEMO_API: &str = "http://127.0.0.1:8081";

/// How long a state the page should reach may take (the machine may be busy).
pub const PATIENCE: Duration = Duration::from_secs(20);
/// How long a browser may take to start.
const STARTUP: Duration = Duration::from_secs(60);
/// How long one scenario may take, start-up excluded.
const SCENARIO: Duration = Duration::from_secs(90);

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("server/ is in the root")
        .to_owned()
}

/// pkg/, which must have been built: a missing package is a failure, never a skip.
pub fn pkg_dir() -> PathBuf {
    let pkg = root().join("pkg");
    for file in ["corsform.js", "corsform_bg.wasm"] {
        assert!(
            pkg.join(file).is_file(),
            "{} is missing: run `cargo xtask build` first (the end-to-end tests load pkg/)",
            pkg.join(file).display()
        );
    }
    pkg
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, what: &str) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < PATIENCE,
            "{what} did not listen on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------------------
// The API: the real corsform-server binary.

/// A running corsform-server, killed when dropped (`process` is dropped before `_dir`).
pub struct Api {
    process: Option<Listening>,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// Its database.
    pub db: PathBuf,
    args: Vec<String>,
    _dir: Arc<tempfile::TempDir>,
}

impl Api {
    /// Starts the server on a free port with a fresh database and `args` after `serve`.
    pub fn start(args: &[&str]) -> Api {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let db = dir.path().join("e2e.db");
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let mut api = Api {
            process: None,
            addr: "127.0.0.1:0".into(),
            db,
            args,
            _dir: dir,
        };
        api.restart();
        api
    }

    /// `http://127.0.0.1:PORT/contact`.
    pub fn contact_url(&self) -> String {
        format!("http://{}/contact", self.addr)
    }

    /// Kills the server (as a crash or an outage would).
    pub fn stop(&mut self) {
        self.process = None;
    }

    /// Starts it again on the same address, with the same database and flags.
    pub fn restart(&mut self) {
        self.stop();
        let process = Listening::start(
            Command::new(BIN)
                .args(["serve", "--listen", &self.addr, "--db"])
                .arg(&self.db)
                .args(&self.args)
                .stderr(Stdio::null()),
        )
        .unwrap_or_else(|e| panic!("corsform-server did not start: {e}"));
        self.addr = process.addr.clone();
        self.process = Some(process);
    }

    /// Every stored submission, from `corsform-server export`.
    pub fn export(&self) -> Vec<Value> {
        let out = Command::new(BIN)
            .args(["export", "--db"])
            .arg(&self.db)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "export failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// Small HTTP servers in threads: the static site and the redirecting endpoint.

struct Request {
    method: String,
    path: String,
}

struct Reply {
    status: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

fn read_request(stream: &TcpStream) -> std::io::Result<Request> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut length = 0;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = header.split_once(':') {
            if k.trim().eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let mut parts = line.split_whitespace();
    Ok(Request {
        method: parts.next().unwrap_or("").to_owned(),
        path: parts.next().unwrap_or("").to_owned(),
    })
}

fn write_reply(mut stream: TcpStream, reply: Reply) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {}\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n",
        reply.status,
        reply.body.len()
    );
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(&reply.body)?;
    stream.flush()
}

/// Serves `handle` on a free loopback port in a thread; returns `http://127.0.0.1:PORT`.
fn http_server(handle: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = Arc::new(handle);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let handle = handle.clone();
            std::thread::spawn(move || {
                if let Ok(request) = read_request(&stream) {
                    let _ = write_reply(stream, handle(&request));
                }
            });
        }
    });
    url
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

fn not_found() -> Reply {
    Reply {
        status: "404 Not Found",
        headers: vec![("Content-Type", "text/plain".into())],
        body: b"not found".to_vec(),
    }
}

/// The page without its `<script type="module">`: the form as a browser without
/// JavaScript sees it.
fn without_script(html: &str) -> String {
    let start = html.find("<script").expect("index.html has a script");
    let end = html
        .find("</script>")
        .expect("index.html closes its script")
        + "</script>".len();
    format!("{}{}", &html[..start], &html[end..])
}

/// Records the page's uncaught errors and unhandled rejections from its first script on
/// (the `error` and `unhandledrejection` events of `window`), for [`Page::assert_no_page_errors`].
const ERROR_RECORDER: &str = r#"<script>
window.__pageErrors = [];
(() => {
  const text = (x) => String(x) + ((x && x.stack) ? "\n" + x.stack : "");
  addEventListener("error", (e) => __pageErrors.push("uncaught: " + text(e.error ?? e.message)));
  addEventListener("unhandledrejection", (e) => __pageErrors.push("unhandled rejection: " + text(e.reason)));
})();
</script>"#;

/// The page with [`ERROR_RECORDER`] as the first thing in its `<head>`.
fn with_error_recorder(html: &str) -> String {
    let at = html.find("<head>").expect("index.html has a <head>") + "<head>".len();
    format!("{}{ERROR_RECORDER}{}", &html[..at], &html[at..])
}

/// The demo site: www/ at `/`, pkg/ at `/pkg/`, with the form's `action` pointed at `api`
/// (`http://127.0.0.1:PORT`), and `/nojs.html`, the same page without its script.
pub struct Site {
    /// `http://127.0.0.1:PORT`, the page's origin.
    pub origin: String,
}

impl Site {
    /// Serves the site; the API's base URL is only known once the site's origin is (the API
    /// allows it), so the site reads it from `api` on each request.
    pub fn start(api: Arc<std::sync::Mutex<String>>) -> Site {
        let (www, pkg) = (root().join("www"), pkg_dir());
        let origin = http_server(move |req| {
            if req.method != "GET" {
                return Reply {
                    status: "405 Method Not Allowed",
                    headers: vec![],
                    body: vec![],
                };
            }
            let path = req.path.split(['?', '#']).next().unwrap_or("");
            let rel = path.trim_start_matches('/');
            let (base, rel, nojs) = match rel {
                "" | "index.html" => (&www, "index.html", false),
                "nojs.html" => (&www, "index.html", true),
                _ => match rel.strip_prefix("pkg/") {
                    Some(rest) => (&pkg, rest, false),
                    None => (&www, rel, false),
                },
            };
            let rel = Path::new(rel);
            if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
                return not_found();
            }
            let file = base.join(rel);
            let Ok(mut body) = std::fs::read(&file) else {
                return not_found();
            };
            if file.ends_with("www/index.html") {
                let api = api.lock().unwrap().clone();
                let mut html = String::from_utf8(body).unwrap();
                assert!(
                    html.contains(DEMO_API),
                    "www/index.html posts to {DEMO_API}"
                );
                html = html.replace(DEMO_API, &api);
                if nojs {
                    html = without_script(&html);
                } else {
                    html = with_error_recorder(&html);
                }
                body = html.into_bytes();
            }
            Reply {
                status: "200 OK",
                headers: vec![("Content-Type", content_type(&file).into())],
                body,
            }
        });
        Site { origin }
    }
}

/// An endpoint that answers every POST with `302 Found` (CORS allowed for `origin`), as
/// an API behind a misconfigured proxy might; counts the POSTs.
pub fn redirector(origin: &str, location: &str) -> (String, Arc<AtomicUsize>) {
    let (origin, location) = (origin.to_owned(), location.to_owned());
    let posts = Arc::new(AtomicUsize::new(0));
    let counter = posts.clone();
    let url = http_server(move |req| {
        let cors = vec![
            ("Access-Control-Allow-Origin", origin.clone()),
            ("Access-Control-Allow-Methods", "POST".into()),
            (
                "Access-Control-Allow-Headers",
                "x-requested-with,content-type,idempotency-key".into(),
            ),
            ("Vary", "Origin".into()),
        ];
        match req.method.as_str() {
            "OPTIONS" => Reply {
                status: "204 No Content",
                headers: cors,
                body: vec![],
            },
            "POST" => {
                counter.fetch_add(1, Ordering::SeqCst);
                let mut headers = cors;
                headers.push(("Location", location.clone()));
                Reply {
                    status: "302 Found",
                    headers,
                    body: vec![],
                }
            }
            _ => not_found(),
        }
    });
    (url, posts)
}

/// The API and the site on two loopback origins, the API allowing the site.
pub struct Setup {
    /// The API.
    pub api: Api,
    /// The site.
    pub site: Site,
}

impl Setup {
    /// Starts both; `extra` goes to `corsform-server serve` (e.g. `--rules FILE`).
    pub fn start(extra: &[&str]) -> Setup {
        let api_base = Arc::new(std::sync::Mutex::new(String::new()));
        let site = Site::start(api_base.clone());
        let thanks = format!("{}/thanks.html", site.origin);
        let mut args = vec!["--allow-origin", &site.origin, "--redirect", &thanks];
        args.extend_from_slice(extra);
        let api = Api::start(&args);
        *api_base.lock().unwrap() = format!("http://{}", api.addr);
        Setup { api, site }
    }

    /// Starts the site and an API that allows only some other origin.
    pub fn start_with_other_origin() -> Setup {
        let api_base = Arc::new(std::sync::Mutex::new(String::new()));
        let site = Site::start(api_base.clone());
        let api = Api::start(&["--allow-origin", "http://127.0.0.1:9"]);
        *api_base.lock().unwrap() = format!("http://{}", api.addr);
        Setup { api, site }
    }

    /// The demo page's URL.
    pub fn page(&self) -> String {
        format!("{}/index.html", self.site.origin)
    }
}

// ---------------------------------------------------------------------------------------
// Browsers.

/// Which browser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Headless Chromium through chromedriver.
    Chromium,
    /// Headless Firefox through geckodriver.
    Firefox,
}

fn which(program: &str) -> Option<PathBuf> {
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

fn find(programs: &[&str]) -> PathBuf {
    programs.iter().find_map(|p| which(p)).unwrap_or_else(|| {
        panic!(
            "none of {programs:?} is installed: run `cargo xtask setup` (the end-to-end \
                 tests need headless Chromium and Firefox with their WebDriver servers)"
        )
    })
}

/// Chromium's flags: headless, no sandbox (root), no traffic to the outside world.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--disable-default-apps",
    "--disable-extensions",
    "--window-size=1000,1000",
];

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn open(kind: Kind, javascript: bool) -> (Client, Driver) {
    let port = free_port();
    let (driver, caps) = match kind {
        Kind::Chromium => {
            let mut prefs = json!({});
            if !javascript {
                prefs = json!({"profile.managed_default_content_settings.javascript": 2});
            }
            let driver = Command::new(find(&["chromedriver"]))
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let caps = json!({
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": find(&["chromium", "chromium-browser", "google-chrome"]),
                    "args": CHROMIUM_ARGS,
                    "prefs": prefs,
                }
            });
            (driver, caps)
        }
        Kind::Firefox => {
            let driver = Command::new(find(&["geckodriver"]))
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let caps = json!({
                "browserName": "firefox",
                "moz:firefoxOptions": {
                    "binary": find(&["firefox-esr", "firefox"]),
                    "args": ["-headless", "--width=1000", "--height=900"],
                    "prefs": {
                        "javascript.enabled": javascript,
                        "app.update.enabled": false,
                        "browser.shell.checkDefaultBrowser": false,
                        "network.captive-portal-service.enabled": false,
                        "network.connectivity-service.enabled": false,
                        "browser.safebrowsing.malware.enabled": false,
                        "browser.safebrowsing.phishing.enabled": false,
                        "datareporting.policy.dataSubmissionEnabled": false,
                        "toolkit.telemetry.enabled": false,
                    },
                }
            });
            (driver, caps)
        }
    };
    let driver = Driver(driver);
    wait_for_port(port, "the WebDriver server");
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .unwrap_or_else(|e| panic!("cannot start headless {kind:?}: {e}"));
    (client, driver)
}

/// Runs `scenario` in a fresh headless `kind` and closes the browser whatever happens.
pub fn run<F, Fut>(kind: Kind, javascript: bool, scenario: F)
where
    F: FnOnce(Page) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    pkg_dir();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (client, driver) = tokio::time::timeout(STARTUP, open(kind, javascript))
            .await
            .unwrap_or_else(|_| panic!("headless {kind:?} did not start within {STARTUP:?}"));
        let task = tokio::spawn(scenario(Page {
            client: client.clone(),
            kind,
        }));
        let abort = task.abort_handle();
        let outcome = tokio::time::timeout(SCENARIO, task).await;
        abort.abort();
        // Whatever the scenario did last, the page must not have thrown meanwhile.
        let page = Page {
            client: client.clone(),
            kind,
        };
        let page_errors = match outcome {
            Ok(Ok(())) => page.take_page_errors().await,
            _ => None,
        };
        let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
        drop(driver);
        match outcome {
            Err(_) => panic!("{kind:?}: the scenario took more than {SCENARIO:?}"),
            Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Ok(Err(e)) => panic!("{kind:?}: {e}"),
            Ok(Ok(())) => {}
        }
        if let Some(errors) = page_errors {
            panic!("{kind:?}: the page reported errors: {errors:#?}");
        }
    });
}

/// The browser, with what a test does on the page.
#[derive(Clone)]
pub struct Page {
    /// The WebDriver session.
    pub client: Client,
    /// Which browser.
    pub kind: Kind,
}

/// The state of the demo page, for assertion messages.
const STATE_JS: &str = r##"
const seen = (el) => !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
const q = (s) => document.querySelector(s);
const panels = {};
for (const p of ["main", "sending", "success", "error"]) panels[p] = seen(q("#contact-popup > ." + p));
const errors = {};
for (const l of document.querySelectorAll("label.error")) if (seen(l)) errors[l.id] = l.textContent;
const values = {};
for (const f of ["subject", "from", "message"]) { const el = q("#" + f); if (el) values[f] = el.value; }
return { url: location.href, bound: !!(q("#contact") && q("#contact").noValidate), panels, errors, values,
         focus: document.activeElement && (document.activeElement.id || document.activeElement.className || document.activeElement.tagName) };
"##;

impl Page {
    /// Opens `url` and, when the page runs scripts, waits until corsform has bound the form.
    pub async fn open(&self, url: &str) {
        self.assert_no_page_errors().await;
        self.client.goto(url).await.unwrap();
        self.until("corsform bound the form", "return document.querySelector('#contact') !== null && document.querySelector('#contact').noValidate === true").await;
    }

    /// The uncaught errors and unhandled rejections the page reported since the last call
    /// (`None` when there were none, or the page has no recorder: not the demo page).
    pub async fn take_page_errors(&self) -> Option<Vec<String>> {
        let js =
            "const e = window.__pageErrors; if (!Array.isArray(e)) return []; return e.splice(0);";
        let errors = self.client.execute(js, vec![]).await.ok()?;
        let errors: Vec<String> = serde_json::from_value(errors).unwrap_or_default();
        (!errors.is_empty()).then_some(errors)
    }

    /// Fails if the page reported an uncaught error or an unhandled rejection: every
    /// scenario checks this before it leaves a page and when it ends.
    pub async fn assert_no_page_errors(&self) {
        if let Some(errors) = self.take_page_errors().await {
            panic!("{:?}: the page reported errors: {errors:#?}", self.kind);
        }
    }

    /// Opens `url` without waiting for any script.
    pub async fn open_plain(&self, url: &str) {
        self.assert_no_page_errors().await;
        self.client.goto(url).await.unwrap();
    }

    /// Runs `js` (a function body) with `args`.
    pub async fn js(&self, js: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(js, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{js}"))
    }

    /// What the page shows, as JSON.
    pub async fn state(&self) -> Value {
        self.js(STATE_JS, vec![]).await
    }

    /// Waits until the script `js` returns true; fails with `what` and the page's state.
    pub async fn until(&self, what: &str, js: &str) {
        let start = Instant::now();
        loop {
            if let Ok(Value::Bool(true)) = self.client.execute(js, vec![]).await {
                return;
            }
            if start.elapsed() > PATIENCE {
                let state = self.client.execute(STATE_JS, vec![]).await;
                panic!(
                    "{:?}: waited {PATIENCE:?} for: {what}\npage state: {state:?}",
                    self.kind
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until exactly the named panels of `#contact-popup` are visible.
    pub async fn panels(&self, visible: &[&str]) {
        let want: Vec<String> = ["main", "sending", "success", "error"]
            .iter()
            .map(|p| {
                let seen = visible.contains(p);
                format!("seen(q('#contact-popup > .{p}')) === {seen}")
            })
            .collect();
        let js = format!(
            "const seen = (el) => !!el && el.getClientRects().length > 0; \
             const q = (s) => document.querySelector(s); return {};",
            want.join(" && ")
        );
        self.until(&format!("exactly the panels {visible:?} visible"), &js)
            .await;
    }

    /// Waits until the field's error message is visible with `text`, or hidden when `None`.
    pub async fn field_error(&self, field: &str, text: Option<&str>) {
        let js = match text {
            Some(t) => format!(
                "const l = document.getElementById({id}); return !!l && l.getClientRects().length > 0 \
                 && l.textContent === {t} && document.getElementById({f}).getAttribute('aria-invalid') === 'true';",
                id = json!(format!("{field}-error")),
                t = json!(t),
                f = json!(field)
            ),
            None => format!(
                "const l = document.getElementById({id}); return (!l || l.getClientRects().length === 0) \
                 && document.getElementById({f}).getAttribute('aria-invalid') !== 'true';",
                id = json!(format!("{field}-error")),
                f = json!(field)
            ),
        };
        let what = match text {
            Some(t) => format!("the error {t:?} on {field}"),
            None => format!("no error on {field}"),
        };
        self.until(&what, &js).await;
    }

    /// Types `text` into the field `#id` with WebDriver's send_keys.
    pub async fn type_into(&self, id: &str, text: &str) {
        self.client
            .find(Locator::Id(id))
            .await
            .unwrap()
            .send_keys(text)
            .await
            .unwrap();
    }

    /// Clears the field `#id`.
    pub async fn clear(&self, id: &str) {
        self.client
            .find(Locator::Id(id))
            .await
            .unwrap()
            .clear()
            .await
            .unwrap();
    }

    /// Presses keys on whatever has the focus (keyboard only: no element is targeted).
    pub async fn keys(&self, keys: &str) {
        let mut actions = KeyActions::new("keyboard".into());
        for c in keys.chars() {
            actions = actions
                .then(KeyAction::Down { value: c })
                .then(KeyAction::Up { value: c });
        }
        self.client.perform_actions(actions).await.unwrap();
    }

    /// Clicks the submit button.
    pub async fn click_send(&self) {
        self.client
            .find(Locator::Css("#contact button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    /// Fills the three fields with valid values.
    pub async fn fill_valid(&self, message: &str) {
        self.type_into("subject", "Hello from the e2e test").await;
        self.type_into("from", "visitor@example.com").await;
        self.type_into("message", message).await;
    }

    /// The `id` of the focused element.
    pub async fn focused(&self) -> String {
        self.js(
            "return document.activeElement ? document.activeElement.id || document.activeElement.className : ''",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or("")
        .to_owned()
    }

    /// Points the form at another endpoint (the page's `action`).
    pub async fn set_action(&self, url: &str) {
        self.js(
            "document.querySelector('#contact').action = arguments[0];",
            vec![json!(url)],
        )
        .await;
    }
}

/// Waits (without a browser) until `f` is true.
pub async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < PATIENCE,
            "waited {PATIENCE:?} for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
