//! `wasm-pack.toml`, read with the `toml` crate into typed structs. A key this file does not
//! know is refused (`deny_unknown_fields`), so a typo fails loudly instead of being ignored.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// How `pkg/` is built.
    pub build: Build,
    /// How the browser suites run.
    pub test: Test,
    /// What `setup` installs.
    pub tools: Tools,
}

/// `[build]`: `cargo xtask build`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Build {
    /// wasm-pack's `--target` (`web`: an ES module, no bundler).
    pub target: String,
    /// The package's folder, relative to the repository root.
    pub out_dir: PathBuf,
    /// The files' stem: `NAME.js`, `NAME_bg.wasm`, `NAME.d.ts`.
    pub out_name: String,
    /// The cargo profile wasm-pack builds with.
    pub profile: String,
    /// The toolchain of the `-Zbuild-std` build, used when it has rust-src and wasm32.
    pub nightly_toolchain: String,
    /// RUSTFLAGS for the nightly build.
    pub nightly_rustflags: Vec<String>,
    /// Extra cargo arguments for the nightly build.
    pub nightly_cargo_args: Vec<String>,
    /// wasm-opt's arguments, run on the .wasm after wasm-pack.
    pub wasm_opt: Vec<String>,
    /// terser's arguments, run on the JS glue.
    pub terser: Vec<String>,
}

/// `[test]`: `cargo xtask test`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Test {
    /// The browsers the wasm-bindgen suites run in, in order.
    pub browsers: Vec<Browser>,
}

/// A browser wasm-pack can drive headless.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Browser {
    /// Chromium, through chromedriver.
    Chrome,
    /// Firefox ESR, through geckodriver.
    Firefox,
}

impl Browser {
    /// Its name in wasm-pack's flags (`--chrome`) and in `CORSFORM_BROWSERS`.
    pub fn name(self) -> &'static str {
        match self {
            Browser::Chrome => "chrome",
            Browser::Firefox => "firefox",
        }
    }

    /// The WebDriver server that drives it.
    pub fn driver(self) -> &'static str {
        match self {
            Browser::Chrome => "chromedriver",
            Browser::Firefox => "geckodriver",
        }
    }
}

/// `[tools]`: pinned versions `setup` installs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Tools {
    /// `cargo install wasm-pack --version`.
    pub wasm_pack: String,
    /// `cargo install geckodriver --version`.
    pub geckodriver: String,
    /// `cargo install twiggy --version`.
    pub twiggy: String,
    /// Debian packages, installed with apt-get.
    pub debian: Vec<String>,
}

impl Config {
    /// Reads and checks `path`; the error names the file, the line and what is wrong.
    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Config::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Reads the text of a `wasm-pack.toml`.
    pub fn parse(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::{Browser, Config};

    #[test]
    fn the_repository_file_is_read() {
        let c = Config::load(&crate::project_root().join("wasm-pack.toml")).unwrap();
        assert_eq!(c.build.target, "web");
        assert_eq!(c.test.browsers, [Browser::Chrome, Browser::Firefox]);
    }

    const MINIMAL: &str = r#"
        [build]
        target = "web"   # an inline comment
        out-dir = "pkg"
        out-name = "corsform"
        profile = "wasm-release"
        nightly-toolchain = "nightly"
        nightly-rustflags = []
        nightly-cargo-args = []
        wasm-opt = [
            "-Oz",  # a multi-line array, commented
            "--strip-debug",
        ]
        terser = ["--module"]
        [test]
        browsers = ["firefox"]
        [tools]
        wasm-pack = "0.15.1"
        geckodriver = "0.37.1"
        twiggy = "0.8.0"
        debian = []
    "#;

    #[test]
    fn inline_comments_and_multi_line_arrays_are_toml() {
        let c = Config::parse(MINIMAL).unwrap();
        assert_eq!(c.build.wasm_opt, ["-Oz", "--strip-debug"]);
        assert_eq!(c.build.target, "web");
    }

    #[test]
    fn unknown_keys_and_browsers_are_refused_by_name() {
        let typo = MINIMAL.replace("out-name", "out-nmae");
        let e = Config::parse(&typo).unwrap_err();
        assert!(e.contains("unknown field `out-nmae`"), "{e}");
        let browser = MINIMAL.replace(r#"["firefox"]"#, r#"["safari"]"#);
        let e = Config::parse(&browser).unwrap_err();
        assert!(e.contains("unknown variant `safari`"), "{e}");
        let e = Config::parse(&format!("{MINIMAL}\n[extra]\n")).unwrap_err();
        assert!(e.contains("unknown field `extra`"), "{e}");
    }
}
