//! `cargo xtask setup|build|test|demo|bench`: the project's tasks, in Rust (the cargo-xtask
//! pattern: `cargo xtask` is an alias for `cargo run -p xtask --`, see .cargo/config.toml).
//!
//! Every task but `setup` calls `setup` first, so on a fresh machine each one installs what
//! it needs: the wasm32 target, wasm-pack, wasm-bindgen-cli, browsers and their drivers.
//! How `pkg/` is built and tested is read from `wasm-pack.toml` (config.rs).

mod bench;
mod config;
mod demo;
mod fixture;
#[path = "../../server/tests/common/listening.rs"]
mod listening;
mod mailbox;
mod postgres;
mod setup;
mod smtp_sink;
mod util;
mod weight;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use config::{Browser, Config};
use util::{cargo, cmd, npm_bin, run};

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  setup   install whatever the other tasks need and is missing (idempotent)
  build   build pkg/ (the ES module and its .wasm) and print its gzip -9 weight
  test    fmt, clippy (native and wasm32), native tests (end-to-end included, against a
          throwaway PostgreSQL), browser tests in headless Chrome and Firefox
  postgres  start a throwaway PostgreSQL on loopback and print its URL, until Ctrl-C (for
          `CORSFORM_TEST_POSTGRES_URL=URL cargo test -p corsform-server --test NAME`)
  demo    build pkg/, serve www/ on http://127.0.0.1:8080 and the API on :8081, until Ctrl-C
  weight  build pkg/ and print its weight beside the peers' and by dependency (twiggy)
  bench   weight (by dependency), time to bind, validation speed and server throughput (on
          SQLite and PostgreSQL), side by side with jQuery + jquery-validation and htmx;
          writes BENCHMARKS.md
  test-browser [-- ARGS]  only the wasm-bindgen browser suites, ARGS passed to `cargo test`
          (e.g. `-- --test browser -- lazy`); CORSFORM_BROWSERS=firefox picks browsers
";

/// The weight budget of `pkg/`: gzip -9 of the .wasm and its JS glue together, 0.74× jQuery
/// + jquery-validation. BENCHMARKS.md says where it goes.
pub const BUDGET: u64 = 28 * 1024;
/// What the card's stack should reach.
pub const AIM: u64 = 20 * 1024;

fn main() -> ExitCode {
    match try_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn try_main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((task, rest)) = args.split_first() else {
        print!("{USAGE}");
        return Ok(());
    };
    type Task = fn(&Config, &[String]) -> Result<(), String>;
    let task: Task = match task.as_str() {
        "setup" => |_, _| Ok(()),
        "build" => |c, _| build(c).map(drop),
        "test" => |c, _| test(c),
        "test-browser" => browser_tests,
        "demo" => |c, _| demo::demo(c),
        "postgres" => |_, _| postgres_task(),
        "weight" => |c, _| weight(c),
        "bench" => |c, _| bench::bench(c),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            return Ok(());
        }
        other => return Err(format!("unknown task `{other}`\n\n{USAGE}")),
    };
    if !rest.is_empty() && args[0] != "test-browser" {
        return Err(format!("`{}` takes no arguments\n\n{USAGE}", args[0]));
    }
    let config = Config::load(&project_root().join("wasm-pack.toml"))?;
    setup::setup(&config)?;
    task(&config, rest)
}

/// The repository root (this crate is its `xtask/` folder).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ is in the root")
        .to_owned()
}

/// What `wasm-pack build` writes: the module and its JS glue.
pub struct Package {
    /// `NAME_bg.wasm`.
    pub wasm: PathBuf,
    /// `NAME.js`, the ES module a page imports.
    pub js: PathBuf,
}

impl Package {
    fn in_dir(c: &Config, out_dir: &Path) -> Package {
        let name = &c.build.out_name;
        Package {
            wasm: out_dir.join(format!("{name}_bg.wasm")),
            js: out_dir.join(format!("{name}.js")),
        }
    }

    /// gzip -9 of the .wasm and of the glue, in bytes.
    pub fn weight(&self) -> Result<(u64, u64), String> {
        Ok((util::gzip_size(&self.wasm)?, util::gzip_size(&self.js)?))
    }
}

/// `cargo xtask build`: `pkg/` as `wasm-pack build --target web` makes it, then wasm-opt on
/// the .wasm and terser on the JS glue; prints the weight.
pub fn build(c: &Config) -> Result<Package, String> {
    let out_dir = project_root().join(&c.build.out_dir);
    let package = compile(c, &out_dir, false)?;
    terser(c, &package.js)?;
    write_locales(&out_dir.join("locales"))?;
    let (wasm, js) = package.weight()?;
    println!(
        "weight (gzip -9): {} {wasm} B + {} {js} B = {} B ({:.1} KiB; budget {} KiB, aim {} KiB)",
        package.wasm.file_name().unwrap().to_string_lossy(),
        package.js.file_name().unwrap().to_string_lossy(),
        wasm + js,
        (wasm + js) as f64 / 1024.0,
        BUDGET / 1024,
        AIM / 1024,
    );
    if wasm + js > BUDGET {
        println!("xtask: over the budget of {BUDGET} B");
    }
    Ok(package)
}

/// The ready tables of default messages, one ES module per language beside the package
/// (`pkg/locales/de.js`: `export default {"required": "…", …};`), so that only a page that
/// imports one downloads it: `setDefaults({messages: de})`. Written from the core's tables,
/// which the server uses for its 422 messages too.
fn write_locales(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for lang in corsform::messages::Lang::ALL {
        let file = dir.join(format!("{}.js", lang.code()));
        std::fs::write(&file, locale_module(lang))
            .map_err(|e| format!("{}: {e}", file.display()))?;
    }
    Ok(())
}

/// The ES module of `lang`'s table: every method, `{0}`/`{1}` kept.
fn locale_module(lang: corsform::messages::Lang) -> String {
    let table: serde_json::Map<String, serde_json::Value> = corsform::Method::all()
        .map(|m| {
            let text = corsform::messages::default_message(m, lang);
            (m.name().to_owned(), serde_json::Value::from(text))
        })
        .collect();
    format!(
        "// corsform's default messages in {} (generated by `cargo xtask build`).\nexport default {};\n",
        lang.code(),
        serde_json::Value::Object(table)
    )
}

/// wasm-pack, then wasm-opt: the package in `out_dir`. With `keep_names`, the functions keep
/// their names (for twiggy, see weight.rs): the same code, built in a target directory of its
/// own so the shipped build's cache stays.
pub fn compile(c: &Config, out_dir: &Path, keep_names: bool) -> Result<Package, String> {
    wasm_pack_build(c, out_dir, keep_names)?;
    let package = Package::in_dir(c, out_dir);
    wasm_opt(c, &package.wasm, keep_names)?;
    Ok(package)
}

/// `wasm-pack build`, with the nightly `-Zbuild-std` build when its toolchain is ready
/// (wasm-pack.toml says why), on stable otherwise.
fn wasm_pack_build(c: &Config, out_dir: &Path, keep_names: bool) -> Result<(), String> {
    let b = &c.build;
    let mut wasm_pack = cmd("wasm-pack");
    wasm_pack
        .args(["build", "--target", &b.target, "--out-dir"])
        .arg(out_dir)
        .args(["--out-name", &b.out_name, "--no-pack", "--no-opt"])
        .args(["--profile", &b.profile]);
    let mut target_dir = None;
    if keep_names {
        let profile = b.profile.to_uppercase().replace('-', "_");
        wasm_pack.env(format!("CARGO_PROFILE_{profile}_STRIP"), "false");
        target_dir = Some("target/named");
    }
    match setup::nightly_ready(c) {
        Some(toolchain) => {
            println!("build: {toolchain} with -Zbuild-std and panic=immediate-abort");
            wasm_pack
                .env("RUSTUP_TOOLCHAIN", &toolchain)
                .env("RUSTFLAGS", b.nightly_rustflags.join(" "))
                .args([".", "--"])
                .args(&b.nightly_cargo_args);
            target_dir = Some(match keep_names {
                true => "target/nightly-named",
                false => "target/nightly",
            });
        }
        None => println!(
            "build: no {} toolchain with rust-src and wasm32: stable, a heavier pkg/",
            b.nightly_toolchain
        ),
    }
    if let Some(dir) = target_dir {
        wasm_pack.env("CARGO_TARGET_DIR", project_root().join(dir));
    }
    run(&mut wasm_pack)
}

/// wasm-opt on the .wasm in place, with `build.wasm-opt`; with `keep_names`, the names
/// section is kept (`-g`) rather than stripped. The binaryen from npm that `setup` installs:
/// Debian's (108) breaks wasm-bindgen's externref table (the module then fails in the
/// browser with "WebAssembly.Table.set(): Argument 1 is invalid").
fn wasm_opt(c: &Config, wasm: &Path, keep_names: bool) -> Result<(), String> {
    let passes = c.build.wasm_opt.iter();
    run(cmd(npm_bin("wasm-opt"))
        .args(passes.filter(|a| !keep_names || *a != "--strip-debug"))
        .args(keep_names.then_some("-g"))
        .arg(wasm)
        .arg("-o")
        .arg(wasm))
}

/// terser on the JS glue in place, with `build.terser`.
fn terser(c: &Config, js: &Path) -> Result<(), String> {
    run(cmd(npm_bin("terser"))
        .arg(js)
        .args(&c.build.terser)
        .arg("--output")
        .arg(js))
}

/// `cargo xtask weight`: `build`, then the weight beside the peers' and by dependency.
fn weight(c: &Config) -> Result<(), String> {
    let package = build(c)?;
    print!("{}", weight::report(c, &package)?);
    Ok(())
}

/// `cargo xtask test`: everything CI runs.
fn test(c: &Config) -> Result<(), String> {
    // The end-to-end tests (server/tests/e2e.rs) load pkg/.
    build(c)?;
    typecheck()?;
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    clippy(&["--workspace", "--all-targets"])?;
    clippy(&[
        "-p",
        "corsform",
        "--lib",
        "--tests",
        "--target",
        "wasm32-unknown-unknown",
    ])?;
    native_tests()?;
    browser_tests(c, &[])
}

/// The JavaScript API as the README documents it (tests/typescript/api.ts) type-checked
/// against the `pkg/corsform.d.ts` that `build` generated, by TypeScript's
/// `tsc --noEmit --strict`: each documented shape accepted, each `@ts-expect-error` line
/// refused.
fn typecheck() -> Result<(), String> {
    println!("xtask: type-checking tests/typescript/api.ts against pkg/corsform.d.ts");
    run(cmd(npm_bin("tsc"))
        .args([
            "--noEmit", "--strict", "--target", "es2022", "--module", "es2022",
        ])
        .args(["--moduleResolution", "bundler", "--lib", "es2022,dom"])
        .arg("tests/typescript/api.ts")
        .current_dir(project_root()))
}

/// `cargo test --workspace`, with a throwaway PostgreSQL cluster for the server's tests
/// (its URL in `CORSFORM_TEST_POSTGRES_URL`), or the one that variable already names.
fn native_tests() -> Result<(), String> {
    let mut tests = cargo();
    tests.args(["test", "--workspace"]);
    if let Some(url) = std::env::var(postgres::URL_VAR)
        .ok()
        .filter(|u| !u.is_empty())
    {
        println!(
            "xtask: the PostgreSQL tests use {url} ({} is set)",
            postgres::URL_VAR
        );
        return run(&mut tests);
    }
    postgres::ignore_interrupts();
    let cluster = postgres::Cluster::start(&std::env::temp_dir(), &postgres::TEST_SETTINGS, true)?;
    tests.env(postgres::URL_VAR, &cluster.url);
    if let Some(ca) = &cluster.ca {
        tests.env(postgres::CA_VAR, ca);
    }
    let result = run(&mut tests);
    drop(cluster);
    result
}

/// `cargo xtask postgres`: a throwaway cluster, until Ctrl-C.
fn postgres_task() -> Result<(), String> {
    postgres::ignore_interrupts();
    let cluster = postgres::Cluster::start(&std::env::temp_dir(), &postgres::TEST_SETTINGS, true)?;
    println!();
    println!("  export {}={}", postgres::URL_VAR, cluster.url);
    if let Some(ca) = &cluster.ca {
        println!("  export {}={}", postgres::CA_VAR, ca.display());
    }
    println!();
    println!("Ctrl-C stops it and removes its folder.");
    postgres::wait_for_interrupt();
    Ok(())
}

/// `cargo clippy ARGS -- -D warnings`.
fn clippy(args: &[&str]) -> Result<(), String> {
    run(cargo()
        .arg("clippy")
        .args(args)
        .args(["--", "-D", "warnings"]))
}

/// The browsers to run the suites in: `test.browsers`, or those of them named in
/// `CORSFORM_BROWSERS` (comma-separated).
fn chosen_browsers(c: &Config) -> Result<Vec<Browser>, String> {
    let Ok(only) = std::env::var("CORSFORM_BROWSERS") else {
        return Ok(c.test.browsers.clone());
    };
    let mut chosen = Vec::new();
    for name in only.split(',').map(str::trim) {
        let browser = c.test.browsers.iter().find(|b| b.name() == name);
        chosen.push(*browser.ok_or_else(|| {
            format!("CORSFORM_BROWSERS: {name:?} is not one of test.browsers in wasm-pack.toml")
        })?);
    }
    Ok(chosen)
}

/// The wasm-bindgen-test suites, in each browser, against a real corsform-server and the
/// HTTP fixture, both on loopback and on origins other than the test page's.
fn browser_tests(c: &Config, extra: &[String]) -> Result<(), String> {
    let browsers = chosen_browsers(c)?;
    let server_bin = util::build_server(false)?;
    let page_port = util::free_port()?;
    let page_origin = format!("http://127.0.0.1:{page_port}");
    let tmp = util::temp_dir("browser-tests")?;
    let server = util::start_server(
        cmd(server_bin)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(["--allow-origin", &page_origin])
            // The suites post a dozen times a minute from one address; the limit has tests
            // of its own (server/tests).
            .args(["--rate-limit", "0"])
            .arg("--db")
            .arg(tmp.join("browser-tests.db")),
    )?;
    let fixture = fixture::start(&page_origin)?;
    // A loopback port with nothing on it: the "server is down" case.
    let closed_port = util::free_port()?;
    let mut failed = Vec::new();
    for browser in browsers {
        let driver = browser.driver();
        let driver_path =
            util::which(driver).ok_or_else(|| format!("{driver} is not installed"))?;
        println!("xtask: browser tests in headless {}", browser.name());
        let result = run(cmd("wasm-pack")
            .args(["test", "--headless", &format!("--{}", browser.name())])
            .arg(format!("--{driver}"))
            .arg(driver_path)
            .args(extra)
            .env(
                "WASM_BINDGEN_TEST_ADDRESS",
                format!("127.0.0.1:{page_port}"),
            )
            .env("WASM_BINDGEN_TEST_TIMEOUT", "40")
            .env(
                "CORSFORM_TEST_API",
                format!("http://{}/contact", server.addr),
            )
            .env("CORSFORM_TEST_FIXTURE", &fixture)
            .env(
                "CORSFORM_TEST_CLOSED",
                format!("http://127.0.0.1:{closed_port}"),
            ));
        if let Err(e) = result {
            eprintln!("xtask: {e}");
            failed.push(browser.name());
        }
    }
    drop(server);
    match failed.is_empty() {
        true => Ok(()),
        false => Err(format!("browser tests failed in {}", failed.join(", "))),
    }
}

#[cfg(test)]
mod locale_tests {
    use super::locale_module;
    use corsform::messages::{default_message, Lang};

    /// Each pkg/locales module exports every method's message of its table, as JSON.
    #[test]
    fn a_locale_module_exports_the_whole_table() {
        for lang in Lang::ALL {
            let module = locale_module(lang);
            let json = module
                .split_once("export default ")
                .and_then(|(_, rest)| rest.trim_end().strip_suffix(';'))
                .expect("export default {...};");
            let table: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(json).unwrap();
            for m in corsform::Method::all() {
                assert_eq!(table[m.name()], default_message(m, lang), "{m:?}");
            }
        }
    }
}
