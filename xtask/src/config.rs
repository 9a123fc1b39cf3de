//! `wasm-pack.toml`: a small reader for the flat subset of TOML that file uses
//! (`[section]`, `key = "string"`, `key = ["array", "of", "strings"]`, `#` comments).

use std::collections::BTreeMap;
use std::path::Path;

/// Settings by `section.key`.
pub struct Config {
    values: BTreeMap<String, Vec<String>>,
}

fn strings(raw: &str) -> Result<Vec<String>, String> {
    let raw = raw.trim();
    let inner = match raw.strip_prefix('[') {
        Some(rest) => rest.strip_suffix(']').ok_or("an array must end with ]")?,
        None => raw,
    };
    // Split on the commas between strings, not those inside one.
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, ch) in inner.char_indices() {
        match ch {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .map(str::to_owned)
                .ok_or_else(|| format!("expected a quoted string, found {s}"))
        })
        .collect()
}

impl Config {
    /// Reads `path`.
    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut values = BTreeMap::new();
        let mut section = String::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.trim().to_owned();
                continue;
            }
            let (key, value) = line
                .split_once('=')
                .ok_or_else(|| format!("{}:{}: expected key = value", path.display(), n + 1))?;
            let value = strings(value).map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
            values.insert(format!("{section}.{}", key.trim()), value);
        }
        Ok(Config { values })
    }

    /// The strings of `key` (`section.name`).
    pub fn list(&self, key: &str) -> &[String] {
        self.values.get(key).map_or(&[], Vec::as_slice)
    }

    /// The single string of `key`; a missing key is a bug in wasm-pack.toml.
    pub fn get(&self, key: &str) -> &str {
        match self.list(key) {
            [one] => one,
            _ => panic!("wasm-pack.toml: {key} must be one string"),
        }
    }
}
