//! `cargo xtask setup|build|test|demo|bench`: the project's tasks, in Rust.
//!
//! Every task but `setup` calls `setup` first, so on a fresh machine each one installs what
//! it needs: the wasm32 target, wasm-pack, wasm-bindgen-cli, browsers and their drivers.

mod bench;
mod config;
mod demo;
mod fixture;
mod glue;
mod mailbox;
mod minify;
mod setup;
mod smtp_sink;
mod util;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use config::Config;
use util::{cmd, run, Server};

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  setup   install whatever the other tasks need and is missing (idempotent)
  build   build pkg/ (the ES module and its .wasm) and print its gzip -9 weight
  test    fmt, clippy (native and wasm32), native tests, browser tests in headless Chrome and Firefox
  demo    build pkg/, serve www/ on http://127.0.0.1:8080 and the API on :8081, until Ctrl-C
  bench   weight, time to bind, validation speed and server throughput, side by side with
          jQuery + jquery-validation and htmx; writes BENCHMARKS.md
  test-browser [-- ARGS]  only the wasm-bindgen browser suites, ARGS passed to `cargo test`
          (e.g. `-- --test browser -- lazy`); CORSFORM_BROWSERS=firefox picks browsers
";

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ is in the root")
        .to_owned()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => config().and_then(|c| setup::setup(&c)),
        Some("build") => config().and_then(|c| setup::setup(&c).and_then(|()| build(&c))),
        Some("test") => config().and_then(|c| setup::setup(&c).and_then(|()| test(&c))),
        Some("demo") => config().and_then(|c| setup::setup(&c).and_then(|()| demo::demo(&c))),
        Some("test-browser") => {
            config().and_then(|c| setup::setup(&c).and_then(|()| browser_tests(&c, &args[1..])))
        }
        Some("bench") => config().and_then(|c| setup::setup(&c).and_then(|()| bench::bench(&c))),
        Some("-h" | "--help" | "help") | None => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown task `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn config() -> Result<Config, String> {
    Config::load(&root().join("wasm-pack.toml"))
}

/// `cargo xtask build`: pkg/ with the size-tuned profile, then wasm-opt, short import and
/// export names, terser on the JS glue, then the weight.
pub fn build(c: &Config) -> Result<(), String> {
    let out_dir = c.get("build.out-dir");
    let wasm = compile(c, &root().join(out_dir), false)?;
    // Then, alone (the passes above could repeat it), the renaming: wasm-opt prints its mapping
    // on stdout, for minify.rs.
    let mut opt = cmd(wasm_opt());
    opt.args(
        c.list("build.wasm-opt")
            .iter()
            .filter(|a| a.starts_with("--enable-")),
    )
    .arg("--minify-imports-and-exports-and-modules")
    .arg(&wasm)
    .arg("-o")
    .arg(&wasm);
    println!("$ {opt:?}");
    let out = opt
        .output()
        .map_err(|e| format!("cannot start wasm-opt: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "wasm-opt failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let renames = minify::Renames::parse(&String::from_utf8_lossy(&out.stdout))?;
    let bytes = std::fs::read(&wasm).map_err(|e| format!("{}: {e}", wasm.display()))?;
    let modules = minify::import_modules(&bytes)?;
    let [new_module] = modules.as_slice() else {
        return Err(format!(
            "minified .wasm imports from {modules:?}, not one module"
        ));
    };
    let name = c.get("build.out-name");
    let js = root().join(out_dir).join(format!("{name}.js"));
    // The glue shortened while it is still wasm-bindgen's text, then the renames applied.
    let glue = std::fs::read_to_string(&js).map_err(|e| format!("{}: {e}", js.display()))?;
    let glue = glue::shorten(&glue, &format!("{name}_bg.wasm"))
        .map_err(|e| format!("{}: {e}", js.display()))?;
    std::fs::write(&js, glue).map_err(|e| format!("{}: {e}", js.display()))?;
    minify::rewrite(
        &renames,
        &js,
        &root().join(out_dir).join(format!("{name}.d.ts")),
        &format!("./{name}_bg.js"),
        new_module,
    )?;
    minify_glue(c, &js)?;
    let (w, j) = (util::gzip_size(&wasm)?, util::gzip_size(&js)?);
    println!(
        "weight (gzip -9): {} {w} B + {} {j} B = {} B ({:.1} KiB; budget 20 KiB)",
        wasm.file_name().unwrap().to_string_lossy(),
        js.file_name().unwrap().to_string_lossy(),
        w + j,
        (w + j) as f64 / 1024.0
    );
    Ok(())
}

/// wasm-pack, then the `build.wasm-opt` passes: the .wasm (and its JS glue) in `out_dir`.
/// With `named`, the functions keep their names (for twiggy): the same code, built in a
/// target directory of its own.
pub fn compile(c: &Config, out_dir: &Path, named: bool) -> Result<PathBuf, String> {
    let mut wasm_pack = cmd("wasm-pack");
    wasm_pack
        .args(["build", "--target", c.get("build.target"), "--out-dir"])
        .arg(out_dir)
        .args([
            "--out-name",
            c.get("build.out-name"),
            "--no-pack",
            "--no-opt",
            "--profile",
            c.get("build.profile"),
        ]);
    let suffix = if named { "-named" } else { "" };
    if named {
        wasm_pack.env("CARGO_PROFILE_WASM_RELEASE_STRIP", "false");
    }
    // Nightly rebuilds std for the size profile and aborts on panic without formatting
    // anything: no core::fmt, no panic messages or locations in the .wasm (see
    // wasm-pack.toml). Its own target directory keeps the stable builds' cache intact.
    match setup::nightly_ready(c) {
        Some(toolchain) => {
            println!("build: {toolchain} with -Zbuild-std and panic=immediate-abort");
            wasm_pack
                .env("RUSTUP_TOOLCHAIN", &toolchain)
                .env("RUSTFLAGS", c.list("build.nightly-rustflags").join(" "))
                .env(
                    "CARGO_TARGET_DIR",
                    root().join(format!("target/nightly{suffix}")),
                )
                .args([".", "--"])
                .args(c.list("build.nightly-cargo-args"));
        }
        None => {
            println!(
                "build: no {} toolchain with rust-src and wasm32: stable, a heavier pkg/",
                c.get("build.nightly-toolchain")
            );
            if named {
                wasm_pack.env("CARGO_TARGET_DIR", root().join("target/named"));
            }
        }
    }
    run(&mut wasm_pack)?;
    let wasm = out_dir.join(format!("{}_bg.wasm", c.get("build.out-name")));
    // The same passes; with `named`, the names section kept (-g) rather than stripped.
    let passes = c.list("build.wasm-opt");
    let passes = passes.iter().filter(|a| !named || *a != "--strip-debug");
    run(cmd(wasm_opt())
        .args(passes)
        .args(named.then_some("-g"))
        .arg(&wasm)
        .arg("-o")
        .arg(&wasm))?;
    Ok(wasm)
}

/// Debian's binaryen 108 breaks wasm-bindgen's externref table (the module then fails in
/// the browser with "WebAssembly.Table.set(): Argument 1 is invalid"): prefer the binaryen
/// from npm that `setup` installs in xtask/npm.
fn wasm_opt() -> PathBuf {
    let npm_opt = root().join("xtask/npm/node_modules/.bin/wasm-opt");
    if npm_opt.is_file() {
        npm_opt
    } else {
        "wasm-opt".into()
    }
}

/// Minifies the JS glue in place with terser, with the `build.terser` flags. terser drops
/// the comments, among them the first line's `/* @ts-self-types="./NAME.d.ts" */` that
/// Deno reads to find the .d.ts: that line is put back on top.
fn minify_glue(c: &Config, js: &Path) -> Result<(), String> {
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let glue = read(js)?;
    let header = glue
        .lines()
        .next()
        .filter(|l| l.starts_with("/* @ts-self-types="));
    let tmp = util::temp_dir("terser")?;
    let out = tmp.join(js.file_name().expect("a file name"));
    run(cmd(root().join("xtask/npm/node_modules/.bin/terser"))
        .arg(js)
        .args(c.list("build.terser"))
        .arg("--output")
        .arg(&out))?;
    let mut minified = read(&out)?;
    if let Some(header) = header.filter(|h| !minified.starts_with(h)) {
        minified.insert_str(0, &format!("{header}\n"));
    }
    std::fs::write(js, minified).map_err(|e| format!("{}: {e}", js.display()))?;
    let _ = std::fs::remove_dir_all(tmp);
    Ok(())
}

/// `cargo xtask test`.
fn test(c: &Config) -> Result<(), String> {
    // The end-to-end tests (server/tests/e2e.rs) load pkg/.
    build(c)?;
    // pkg/'s loader (xtask/src/glue.rs) in node: every way to call init() and initSync().
    run(cmd("node")
        .arg(root().join("xtask/loader-test.mjs"))
        .arg(root().join(c.get("build.out-dir"))))?;
    run(cmd("cargo").args(["fmt", "--all", "--", "--check"]))?;
    run(cmd("cargo").args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cmd("cargo").args([
        "clippy",
        "-p",
        "corsform",
        "--lib",
        "--tests",
        "--target",
        "wasm32-unknown-unknown",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cmd("cargo").args(["test", "--workspace"]))?;
    browser_tests(c, &[])
}

/// The wasm-bindgen-test suites, in each browser, against a real corsform-server and the
/// HTTP fixture, both on loopback and on origins other than the test page's.
fn browser_tests(c: &Config, extra: &[String]) -> Result<(), String> {
    run(cmd("cargo").args(["build", "-p", "corsform-server"]))?;
    let page_port = util::free_port()?;
    let page_origin = format!("http://127.0.0.1:{page_port}");
    let tmp = util::temp_dir("browser-tests")?;
    let server = Server::start(
        cmd(root().join("target/debug/corsform-server"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--allow-origin",
                &page_origin,
                // The suites post a dozen times a minute from one address; the limit has
                // tests of its own (server/tests).
                "--rate-limit",
                "0",
                "--db",
            ])
            .arg(tmp.join("browser-tests.db")),
    )?;
    let fixture = fixture::start(&page_origin)?;
    // A loopback port with nothing on it: the "server is down" case.
    let closed_port = util::free_port()?;
    let only = std::env::var("CORSFORM_BROWSERS").ok();
    let chosen = c.list("test.browsers").iter().filter(|b| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|x| x == b.as_str()))
    });
    let mut failed: Vec<&str> = Vec::new();
    for browser in chosen {
        let driver = match browser.as_str() {
            "chrome" => "chromedriver",
            "firefox" => "geckodriver",
            other => return Err(format!("wasm-pack.toml: unknown browser {other}")),
        };
        let driver_path =
            util::which(driver).ok_or_else(|| format!("{driver} is not installed"))?;
        println!("xtask: browser tests in headless {browser}");
        let result = run(cmd("wasm-pack")
            .args(["test", "--headless", &format!("--{browser}")])
            .arg(format!("--{driver}"))
            .arg(driver_path)
            .args(extra)
            .env(
                "WASM_BINDGEN_TEST_ADDRESS",
                format!("127.0.0.1:{page_port}"),
            )
            .env("WASM_BINDGEN_TEST_TIMEOUT", "40")
            .env("CORSFORM_TEST_API", format!("{}/contact", server.url))
            .env("CORSFORM_TEST_FIXTURE", &fixture)
            .env(
                "CORSFORM_TEST_CLOSED",
                format!("http://127.0.0.1:{closed_port}"),
            ));
        if let Err(e) = result {
            eprintln!("xtask: {e}");
            failed.push(browser.as_str());
        }
    }
    drop(server);
    match failed.is_empty() {
        true => Ok(()),
        false => Err(format!("browser tests failed in {}", failed.join(", "))),
    }
}
