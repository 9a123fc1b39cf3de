//! `cargo xtask setup`: installs what is missing, and says what it does.

use serde::Deserialize;

use crate::config::Config;
use crate::project_root;
use crate::util::{cargo, cmd, output, run, which};

/// The wasm-bindgen version in Cargo.lock: wasm-bindgen-cli must be exactly this one.
fn locked_wasm_bindgen() -> Result<String, String> {
    #[derive(Deserialize)]
    struct Lock {
        package: Vec<Package>,
    }
    #[derive(Deserialize)]
    struct Package {
        name: String,
        version: String,
    }
    let path = project_root().join("Cargo.lock");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let lock: Lock = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    lock.package
        .into_iter()
        .find(|p| p.name == "wasm-bindgen")
        .map(|p| p.version)
        .ok_or_else(|| "Cargo.lock has no wasm-bindgen package".into())
}

/// The version a tool prints with `--version` (its second word), if it runs.
fn version_of(program: &str) -> Option<String> {
    let path = which(program)?;
    let out = output(cmd(path).arg("--version"))?;
    out.split_whitespace()
        .nth(1)
        .map(|v| v.trim_start_matches('v').to_owned())
}

fn cargo_install(krate: &str, bin: &str, version: &str, locked: bool) -> Result<(), String> {
    match version_of(bin) {
        Some(v) if v == version => {
            println!("setup: {bin} {version} ok");
            Ok(())
        }
        found => {
            let why = found.map_or("missing".to_owned(), |v| format!("{v} found"));
            println!("setup: installing {krate} {version} ({why}; about 2 minutes)");
            let mut c = cargo();
            c.args(["install", krate, "--version", version, "--force"]);
            if locked {
                c.arg("--locked");
            }
            run(&mut c)
        }
    }
}

/// Whether the xtask runs as root (`id -u` is 0).
pub fn is_root() -> bool {
    output(std::process::Command::new("id").arg("-u")).is_some_and(|o| o.trim() == "0")
}

/// What each Debian package provides, to tell whether it is installed.
fn provides(package: &str) -> &'static [&'static str] {
    match package {
        "chromium" => &["chromium"],
        "chromium-driver" => &["chromedriver"],
        "firefox-esr" => &["firefox-esr", "firefox"],
        "nodejs" => &["node"],
        "npm" => &["npm"],
        // The SMTP server the server's mail tests run against (server/tests/mail.rs).
        "python3-aiosmtpd" => &["aiosmtpd"],
        _ => &[],
    }
}

/// Whether a Debian package is installed, by what it provides. PostgreSQL's server programs
/// are not on PATH: its package is there when `/usr/lib/postgresql/VERSION/bin/initdb` is.
fn installed(package: &str) -> bool {
    match package {
        "postgresql" => crate::postgres::bin_dir().is_some(),
        _ => provides(package).iter().any(|bin| which(bin).is_some()),
    }
}

fn debian(packages: &[String]) -> Result<(), String> {
    let missing: Vec<&str> = packages
        .iter()
        .map(String::as_str)
        .filter(|p| !installed(p))
        .collect();
    if missing.is_empty() {
        println!("setup: {} ok", packages.join(", "));
        return Ok(());
    }
    if !is_root() {
        return Err(format!(
            "missing Debian packages: {m}; install them with `sudo apt-get install {m}`",
            m = missing.join(" ")
        ));
    }
    println!("setup: installing {} with apt-get", missing.join(", "));
    run(cmd("apt-get")
        .arg("update")
        .env("DEBIAN_FRONTEND", "noninteractive"))?;
    run(cmd("apt-get")
        .args(["install", "-y", "--no-install-recommends"])
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// The nightly toolchain `build` prefers (`build.nightly-toolchain`), when it is installed
/// with what `-Zbuild-std` needs: rust-src and the wasm32 target.
pub fn nightly_ready(c: &Config) -> Option<String> {
    let toolchain = &c.build.nightly_toolchain;
    let sysroot = output(
        cmd("rustc")
            .arg(format!("+{toolchain}"))
            .args(["--print", "sysroot"]),
    )?;
    let lib = std::path::Path::new(sysroot.trim()).join("lib/rustlib");
    let ready =
        lib.join("src/rust/library").is_dir() && lib.join("wasm32-unknown-unknown").is_dir();
    ready.then(|| toolchain.clone())
}

/// When the nightly toolchain is installed, adds rust-src and the wasm32 target to it.
/// Never fails: without them `build` falls back to stable (and says so).
fn nightly_setup(c: &Config) {
    let toolchain = c.build.nightly_toolchain.as_str();
    let installed = output(cmd("rustup").args(["toolchain", "list"])).unwrap_or_default();
    if !installed.lines().any(|l| l.starts_with(toolchain)) {
        println!("setup: no {toolchain} toolchain; `build` will use stable (a heavier pkg/)");
        return;
    }
    if nightly_ready(c).is_some() {
        println!("setup: {toolchain} with rust-src and wasm32-unknown-unknown ok");
        return;
    }
    println!("setup: adding rust-src and wasm32-unknown-unknown to {toolchain}");
    let added = run(cmd("rustup").args(["component", "add", "rust-src", "--toolchain", toolchain]))
        .and_then(|()| {
            run(cmd("rustup").args([
                "target",
                "add",
                "wasm32-unknown-unknown",
                "--toolchain",
                toolchain,
            ]))
        });
    if let Err(e) = added {
        println!("setup: {e}; `build` will use stable (a heavier pkg/)");
    }
}

/// The wasm32 target, rustfmt and clippy (`cargo xtask test` runs both), on the toolchain
/// running the xtask: a minimal rustup profile has neither component.
fn rust_toolchain() -> Result<(), String> {
    let targets = output(cmd("rustup").args(["target", "list", "--installed"]));
    if targets
        .unwrap_or_default()
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        println!("setup: wasm32-unknown-unknown ok");
    } else {
        println!("setup: adding the wasm32-unknown-unknown target");
        run(cmd("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    let components = output(cmd("rustup").args(["component", "list", "--installed"]));
    let components = components.unwrap_or_default();
    let missing: Vec<&str> = ["rustfmt", "clippy"]
        .into_iter()
        .filter(|c| !components.lines().any(|l| l.starts_with(&format!("{c}-"))))
        .collect();
    if missing.is_empty() {
        println!("setup: rustfmt, clippy ok");
        return Ok(());
    }
    println!("setup: adding {}", missing.join(", "));
    run(cmd("rustup").args(["component", "add"]).args(&missing))
}

/// Installs whatever is missing; quick when everything is there.
pub fn setup(c: &Config) -> Result<(), String> {
    rust_toolchain()?;
    nightly_setup(c);
    debian(&c.tools.debian)?;
    cargo_install("wasm-pack", "wasm-pack", &c.tools.wasm_pack, true)?;
    // Its locked dependencies are not all on the registry here: no --locked.
    cargo_install(
        "wasm-bindgen-cli",
        "wasm-bindgen",
        &locked_wasm_bindgen()?,
        false,
    )?;
    cargo_install("geckodriver", "geckodriver", &c.tools.geckodriver, true)?;
    cargo_install("twiggy", "twiggy", &c.tools.twiggy, true)?;
    npm_ci()
}

/// The npm packages, from xtask/npm/package-lock.json: axe-core for the end-to-end tests,
/// binaryen's wasm-opt and terser for `build`, TypeScript for `test`'s type check, and the peers `bench` measures corsform
/// against (jQuery 3.7.1 + jquery-validation 1.22.1, htmx 2).
fn npm_ci() -> Result<(), String> {
    let dir = project_root().join("xtask/npm");
    let installed = [
        "axe-core/axe.min.js",
        ".bin/wasm-opt",
        ".bin/terser",
        ".bin/tsc",
        "jquery/dist/jquery.min.js",
        "jquery-validation/dist/jquery.validate.min.js",
        "htmx.org/dist/htmx.min.js",
    ];
    if installed
        .iter()
        .all(|f| dir.join("node_modules").join(f).is_file())
    {
        println!("setup: xtask/npm/node_modules ok");
        return Ok(());
    }
    debian(&["nodejs".to_owned(), "npm".to_owned()])?;
    println!("setup: installing xtask/npm (axe-core, binaryen, terser, typescript, jquery, jquery-validation, htmx) with npm ci");
    run(cmd("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir))
}
