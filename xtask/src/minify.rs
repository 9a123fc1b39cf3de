//! Short import and export names for pkg/: wasm-bindgen names each import
//! `__wbg_NAME_<16 hex digits>`, and those hashes appear in both the .wasm and the JS glue,
//! where gzip cannot compress them (about 3 KB of the gzipped weight). wasm-opt's
//! `--minify-imports-and-exports-and-modules` renames them in the .wasm and prints the
//! mapping; this module applies the mapping to `corsform.js` and `corsform.d.ts`.
//!
//! Every rename is checked: an import the JS does not name exactly once, or a module key
//! that is not where wasm-bindgen writes it, fails the build rather than ship a broken pkg/.

use std::path::Path;

/// The mapping wasm-opt printed: `(old, new)` import names, `(old, new)` export names.
pub struct Renames {
    imports: Vec<(String, String)>,
    exports: Vec<(String, String)>,
}

/// The quoted strings of one line of wasm-opt's JSON mapping (`["a", "b", "c"],`).
fn quoted(line: &str) -> Vec<String> {
    line.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

impl Renames {
    /// Reads wasm-opt's printed mapping: an `"imports"` list of `[module, old, new]` and an
    /// `"exports"` list of `[old, new]`.
    pub fn parse(map: &str) -> Result<Renames, String> {
        let (mut imports, mut exports) = (Vec::new(), Vec::new());
        let mut section = "";
        for line in map.lines().map(str::trim) {
            if line.starts_with("\"imports\"") {
                section = "imports";
            } else if line.starts_with("\"exports\"") {
                section = "exports";
            } else if line.starts_with('[') {
                match (section, quoted(line).as_slice()) {
                    ("imports", [_, old, new]) => imports.push((old.clone(), new.clone())),
                    ("exports", [old, new]) => exports.push((old.clone(), new.clone())),
                    _ => return Err(format!("wasm-opt's mapping: unexpected line {line}")),
                }
            }
        }
        if imports.is_empty() || exports.is_empty() {
            return Err("wasm-opt printed no import or export mapping".into());
        }
        Ok(Renames { imports, exports })
    }
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// Replaces each `prefix` + `old` that is a whole identifier with `prefix` + `new`; how many.
fn replace_ident(text: &mut String, prefix: &str, old: &str, new: &str) -> usize {
    let needle = [prefix, old].concat();
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    let mut count = 0;
    while let Some(at) = rest.find(&needle) {
        let before = rest[..at].chars().last().or_else(|| out.chars().last());
        let after = rest[at + needle.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(is_ident) || after.is_some_and(is_ident) {
            out.push_str(&needle);
        } else {
            out.push_str(prefix);
            out.push_str(new);
            count += 1;
        }
        rest = &rest[at + needle.len()..];
    }
    out.push_str(rest);
    *text = out;
    count
}

/// The module names of a .wasm's imports, in order of first appearance.
pub fn import_modules(wasm: &[u8]) -> Result<Vec<String>, String> {
    fn leb(d: &[u8], i: &mut usize) -> Result<u64, String> {
        let (mut value, mut shift) = (0u64, 0);
        loop {
            let b = *d.get(*i).ok_or("truncated .wasm")?;
            *i += 1;
            value |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(value);
            }
            shift += 7;
        }
    }
    fn name(d: &[u8], i: &mut usize) -> Result<String, String> {
        let len = leb(d, i)? as usize;
        let bytes = d.get(*i..*i + len).ok_or("truncated .wasm")?;
        *i += len;
        Ok(String::from_utf8_lossy(bytes).into_owned())
    }
    let mut i = 8;
    let mut modules: Vec<String> = Vec::new();
    while i < wasm.len() {
        let id = wasm[i];
        i += 1;
        let size = leb(wasm, &mut i)? as usize;
        let end = i + size;
        if id == 2 {
            let count = leb(wasm, &mut i)?;
            for _ in 0..count {
                let module = name(wasm, &mut i)?;
                name(wasm, &mut i)?;
                let kind = *wasm.get(i).ok_or("truncated .wasm")?;
                i += 1;
                match kind {
                    0 => drop(leb(wasm, &mut i)?),
                    _ => {
                        return Err(format!(
                            "import of kind {kind}: not expected from wasm-bindgen"
                        ))
                    }
                }
                if !modules.contains(&module) {
                    modules.push(module);
                }
            }
            return Ok(modules);
        }
        i = end;
    }
    Ok(modules)
}

/// Applies `renames` to the JS glue and its TypeScript declarations; `module` is the
/// name wasm-bindgen imports from (`./corsform_bg.js`), `new_module` the minified one.
pub fn rewrite(
    renames: &Renames,
    js_path: &Path,
    dts_path: &Path,
    module: &str,
    new_module: &str,
) -> Result<(), String> {
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let (mut js, mut dts) = (read(js_path)?, read(dts_path)?);
    for (old, new) in &renames.imports {
        let n = replace_ident(&mut js, "", old, new);
        if n != 1 {
            return Err(format!(
                "{}: import {old} found {n} times, not once",
                js_path.display()
            ));
        }
    }
    for (old, new) in &renames.exports {
        replace_ident(&mut js, "wasm.", old, new);
        replace_ident(&mut dts, "readonly ", old, new);
    }
    let key = format!("\"{module}\": import0");
    if js.matches(&key).count() != 1 {
        return Err(format!("{}: no single {key}", js_path.display()));
    }
    js = js.replace(&key, &format!("\"{new_module}\": import0"));
    let write =
        |p: &Path, s: &str| std::fs::write(p, s).map_err(|e| format!("{}: {e}", p.display()));
    write(js_path, &js)?;
    write(dts_path, &dts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_identifiers_only() {
        let mut s = "wasm.__x(1); wasm.__x2(); a.wasm.__x; wasm.__x".to_owned();
        assert_eq!(replace_ident(&mut s, "wasm.", "__x", "A"), 3);
        assert_eq!(s, "wasm.A(1); wasm.__x2(); a.wasm.A; wasm.A");
    }

    #[test]
    fn parses_the_mapping() {
        let map = "{\n \"imports\": [\n  [\"./m.js\", \"__wbg_a_1\", \"a\"],\n ],\n\"exports\": [\n  [\"bind\", \"Ba\"]\n ]\n}";
        let r = Renames::parse(map).unwrap();
        assert_eq!(r.imports, [("__wbg_a_1".to_owned(), "a".to_owned())]);
        assert_eq!(r.exports, [("bind".to_owned(), "Ba".to_owned())]);
    }
}
