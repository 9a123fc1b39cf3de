//! The weight of `pkg/` and where it goes: gzip -9 of the .wasm and its JS glue beside the
//! peers a page would load instead, and the .wasm by dependency. `cargo xtask weight` prints
//! it; `cargo xtask bench` puts it in BENCHMARKS.md.
//!
//! By dependency: twiggy lists every function and data segment of the same code built with
//! its names kept (the shipped build strips them); each item counts for the crate whose code
//! it is, the first path segment of its name (`<corsform::web::Field>::check` is corsform's,
//! `<corsform::X as serde::Serialize>::serialize` too, `serde::ser::…::<corsform::X>` is
//! serde's). twiggy measures the .wasm before compression; the gzip column shares the
//! .wasm's gzip size in the same proportions, an estimate.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

use crate::config::Config;
use crate::util::{cmd, gzip_size, npm_file, which};
use crate::{Package, AIM, BUDGET};

/// jQuery, in xtask/npm/node_modules.
pub const JQUERY: &str = "jquery/dist/jquery.min.js";
/// jquery-validation, in xtask/npm/node_modules.
pub const VALIDATE: &str = "jquery-validation/dist/jquery.validate.min.js";
/// htmx, in xtask/npm/node_modules.
pub const HTMX: &str = "htmx.org/dist/htmx.min.js";

/// The standard library's crates, reported as one.
const STD: &str = "std/alloc/core";
/// The data segments: strings, tables, statics.
const DATA: &str = "data (strings, tables)";
/// The imports and exports: their names, through which the JS glue and the .wasm call each
/// other (one import per web-sys or js-sys method used).
const LINKS: &str = "imports and exports";
/// What is none of the above: types, the function table, headers, unnamed code.
const SECTIONS: &str = "other sections";
/// The crate `build` compiles.
const ROOT: &str = "corsform";

/// The weight section of BENCHMARKS.md, in Markdown, for the package `build` made.
pub fn report(c: &Config, package: &Package) -> Result<String, String> {
    let (wasm, js) = package.weight()?;
    let named_dir = crate::util::temp_dir("weight-named")?;
    let named = crate::compile(c, &named_dir, true)?;
    let items = twiggy_items(&named.wasm)?;
    let _ = std::fs::remove_dir_all(named_dir);
    let mut md = peers(c, wasm, js)?;
    md.push_str(&by_dependency(&items, wasm, js));
    md.push_str(&largest(&items));
    Ok(md)
}

/// The weight beside jQuery + jquery-validation's and htmx's, and the targets.
fn peers(c: &Config, wasm: u64, js: u64) -> Result<String, String> {
    let ours = wasm + js;
    let jquery = gzip_size(&npm_file(JQUERY))? + gzip_size(&npm_file(VALIDATE))?;
    let htmx = gzip_size(&npm_file(HTMX))?;
    let toolchain = match crate::setup::nightly_ready(c) {
        Some(t) => format!(
            "the `{t}` toolchain, std rebuilt (`-Zbuild-std`, wasm-pack.toml's nightly flags)"
        ),
        None => "stable (no nightly toolchain with rust-src: std as shipped)".to_owned(),
    };
    let mut md = String::new();
    let _ = writeln!(
        md,
        "### Weight (gzip -9)\n\n| what | bytes | corsform / it |\n|---|---:|---:|"
    );
    let _ = writeln!(
        md,
        "| corsform (`corsform_bg.wasm` {wasm} + `corsform.js` {js}) | {ours} | 1.00 |"
    );
    let _ = writeln!(
        md,
        "| jQuery 3.7.1 + jquery-validation 1.22.1 | {jquery} | {:.2} |",
        ours as f64 / jquery as f64
    );
    let _ = writeln!(md, "| htmx 2 | {htmx} | {:.2} |", ours as f64 / htmx as f64);
    let _ = writeln!(md, "\nBuilt with {toolchain}.");
    let _ = writeln!(
        md,
        "\nTargets: at or under {} KiB ({BUDGET} B), 0.74× jQuery + jquery-validation; aim {} KiB \
         ({AIM} B).",
        BUDGET / 1024,
        AIM / 1024
    );
    Ok(md)
}

/// The .wasm by crate, with `wasm` (its gzip size) shared in the same proportions, and the
/// glue's `js`.
fn by_dependency(items: &[Item], wasm: u64, js: u64) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "\n#### By dependency\n\nThe .wasm's bytes before compression, by crate (twiggy, on the \
         same code built with its names kept); gzip ≈ the .wasm's {wasm} B shared in the same \
         proportions. The glue is wasm-bindgen's JS, minified by terser.\n\n\
         | crate | .wasm bytes | share | ≈ gzip bytes |\n|---|---:|---:|---:|"
    );
    let total: u64 = items.iter().map(|i| i.shallow_size).sum();
    for (krate, bytes) in by_crate(items) {
        let share = bytes as f64 / total.max(1) as f64;
        let _ = writeln!(
            md,
            "| {krate} | {bytes} | {:.1}% | {:.0} |",
            share * 100.0,
            share * wasm as f64
        );
    }
    let _ = writeln!(md, "| **the .wasm** | **{total}** | 100% | **{wasm}** |");
    let _ = writeln!(md, "| JS glue (`corsform.js`) | | | {js} |");
    md
}

/// The 16 largest items, with their crate.
fn largest(items: &[Item]) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "\n#### Largest items\n\n| .wasm bytes | crate | item |\n|---:|---|---|"
    );
    for item in items.iter().take(16) {
        let name = without_hashes(&item.name);
        let shown: String = name.chars().take(100).collect();
        let _ = writeln!(
            md,
            "| {} | {} | `{}` |",
            item.shallow_size,
            crate_of(&name),
            shown.replace('|', "\\|")
        );
    }
    md
}

/// One row of `twiggy top --format json`.
#[derive(Debug, Deserialize)]
struct Item {
    name: String,
    shallow_size: u64,
}

/// Every item of `wasm`, largest first, without the names section's subsections (function
/// names, data names: not shipped).
fn twiggy_items(wasm: &Path) -> Result<Vec<Item>, String> {
    let twiggy = which("twiggy").ok_or("twiggy is not installed (cargo xtask setup)")?;
    let out = cmd(twiggy)
        .args(["top", "--format", "json"])
        .arg(wasm)
        .output()
        .map_err(|e| format!("cannot run twiggy: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "twiggy failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let items: Vec<Item> =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("twiggy's JSON: {e}"))?;
    Ok(items
        .into_iter()
        .filter(|i| !i.name.ends_with("\" subsection"))
        .collect())
}

/// The items' sizes summed by crate, largest first.
fn by_crate(items: &[Item]) -> Vec<(String, u64)> {
    let mut sums: BTreeMap<String, u64> = BTreeMap::new();
    for item in items {
        *sums
            .entry(crate_of(&without_hashes(&item.name)).to_owned())
            .or_default() += item.shallow_size;
    }
    let mut sums: Vec<_> = sums.into_iter().collect();
    sums.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    sums
}

/// The crate whose code an item is, from its demangled name (see the module's doc).
fn crate_of(name: &str) -> &str {
    if name.starts_with("data segment") || name.starts_with("data[") {
        return DATA;
    }
    if name.starts_with("import ") || name.starts_with("export ") {
        return LINKS;
    }
    // wasm-bindgen's wrapper of an export that returns several values (`bind multivalue
    // shim`), with the export's code inlined into it.
    if let Some(export) = name.strip_suffix(" multivalue shim") {
        return crate_of(export);
    }
    // wasm-bindgen's generated imports, exports and shims.
    if name.starts_with("__wbg")
        || name.starts_with("__wbindgen")
        || name.starts_with("__externref")
    {
        return "wasm_bindgen";
    }
    // The allocator's and panic runtime's symbols, compiler-builtins (`__multi3`) and libc's
    // memory functions.
    let runtime = name.starts_with("__")
        || name.starts_with("rust_")
        || ["memcpy", "memmove", "memset", "memcmp", "bcmp"].contains(&name);
    if runtime && !name.contains("::") {
        return STD;
    }
    // A bare name is a `#[wasm_bindgen]` export (`bind`): corsform's own.
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return ROOT;
    }
    path_crate(name).unwrap_or(SECTIONS)
}

/// The crate of a path (`corsform::web::Field`, `<A as B>::f`, `&[T]`), `None` for what has
/// no crate (a primitive type, a section).
fn path_crate(name: &str) -> Option<&str> {
    if let Some((ty, tr)) = impl_parts(name) {
        // `<A as B>::f`: the impl is in A's crate or B's (the orphan rule). corsform's when
        // either is; else A's, or B's when A is std's or a primitive type.
        let (ty, tr) = (path_crate(ty), path_crate(tr));
        return match (ty, tr) {
            (Some(ROOT), _) | (_, Some(ROOT)) => Some(ROOT),
            (None | Some(STD), tr) => tr.or(ty),
            (ty, _) => ty,
        };
    }
    let name = name.trim_start_matches(['<', '&', '(', '[', '*', ' ']);
    let name = ["mut ", "const ", "dyn ", "impl "]
        .iter()
        .fold(name, |n, p| n.strip_prefix(p).unwrap_or(n));
    let first = &name[..name.find("::")?];
    if !first
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return None;
    }
    Some(match first {
        "std"
        | "alloc"
        | "core"
        | "compiler_builtins"
        | "panic_abort"
        | "dlmalloc"
        | "hashbrown"
        | "std_detect"
        | "rustc_std_workspace_core"
        | "__rustc" => STD,
        _ => first,
    })
}

/// `<A as B>::f` → `(A, B>::f)`; `None` for any other name.
fn impl_parts(name: &str) -> Option<(&str, &str)> {
    let inner = name.strip_prefix('<')?;
    let mut depth = 0usize;
    for (i, ch) in inner.char_indices() {
        match ch {
            '<' => depth += 1,
            '>' if depth == 0 => return None,
            '>' => depth -= 1,
            ' ' if depth == 0 && inner[i..].starts_with(" as ") => {
                return Some((&inner[..i], &inner[i + " as ".len()..]));
            }
            _ => {}
        }
    }
    None
}

/// `name` without the crate hashes v0 demangling leaves (`corsform[0123456789abcdef]`).
fn without_hashes(name: &str) -> String {
    let mut clean = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(open) = rest.find('[') {
        let inside = rest[open + 1..].split(']').next().unwrap_or("");
        let is_hash = inside.len() == 16 && inside.bytes().all(|b| b.is_ascii_hexdigit());
        clean.push_str(&rest[..open]);
        if is_hash {
            rest = &rest[open + inside.len() + 2..];
        } else {
            clean.push('[');
            rest = &rest[open + 1..];
        }
    }
    clean.push_str(rest);
    clean
}

#[cfg(test)]
mod tests {
    use super::{crate_of, without_hashes, DATA, LINKS, SECTIONS, STD};

    #[test]
    fn crate_hashes_are_dropped() {
        assert_eq!(
            without_hashes("<corsform[e576e429391f77c6]::web::Field>::check"),
            "<corsform::web::Field>::check"
        );
        assert_eq!(without_hashes("table[0]"), "table[0]");
    }

    #[test]
    fn items_count_for_the_crate_whose_code_they_are() {
        for (name, krate) in [
            ("<corsform::web::Field>::check", "corsform"),
            (
                "corsform::rules::param::<wasm_bindgen::JsValue>",
                "corsform",
            ),
            (
                "<corsform::X as serde::ser::Serialize>::serialize",
                "corsform",
            ),
            (
                "serde::ser::impls::<impl serde::ser::Serialize for str>::serialize",
                "serde",
            ),
            ("<u32 as core::fmt::Display>::fmt", STD),
            ("<&T as core::fmt::Debug>::fmt", STD),
            ("core::ptr::drop_in_place::<corsform::X>", STD),
            ("alloc::raw_vec::finish_grow", STD),
            ("gloo_net::http::Request::send::{closure#0}", "gloo_net"),
            (
                "<web_sys::HtmlElement as core::ops::Deref>::deref",
                "web_sys",
            ),
            ("js_sys::Reflect::get", "js_sys"),
            (
                "serde_wasm_bindgen::ser::Serializer::new",
                "serde_wasm_bindgen",
            ),
            ("__wbindgen_malloc", "wasm_bindgen"),
            ("__wbg_get_a1b2", "wasm_bindgen"),
            ("bind", "corsform"),
            ("__rustc::__rust_realloc", STD),
            ("<wasm_bindgen::JsValue as corsform::value::Spec>::kind", "corsform"),
            (
                "<<corsform::Bound>::listen::{closure#0} as core::ops::function::FnOnce<(&alloc::rc::Rc<corsform::Bound>,)>>::call_once",
                "corsform",
            ),
            ("<lol_alloc::FreeListAllocator as core::alloc::global::GlobalAlloc>::alloc", "lol_alloc"),
            ("<alloc::string::String as serde::ser::Serialize>::serialize", "serde"),
            ("<str as alloc::borrow::ToOwned>::to_owned", STD),
            ("export \"bind\"", LINKS),
            ("custom section 'target_features'", SECTIONS),
            ("__rust_alloc", STD),
            ("memcpy", STD),
            ("data segment \".rodata\"", DATA),
            ("elem[0]", SECTIONS),
            ("import ./corsform_bg.js::__wbg_addEventListener_847f", LINKS),
            ("bind multivalue shim", "corsform"),
            ("code[288]", SECTIONS),
        ] {
            assert_eq!(crate_of(name), krate, "{name}");
        }
    }
}
