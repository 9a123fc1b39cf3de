//! A shorter JS glue in pkg/corsform.js. wasm-bindgen's `--target web` glue ends with the
//! code that fetches and instantiates the .wasm (`init()`, the default export, and
//! `initSync()`): about 0.7 KB of the gzipped glue, mostly warnings about deprecated ways
//! of calling them and feature tests for what every browser that runs corsform has. This
//! module replaces that code with a shorter one that takes the same arguments and does
//! the same things. It also drops what no browser that runs corsform needs: the
//! `TextEncoder.encodeInto` polyfill and the guard for a missing `FinalizationRegistry`
//! (every browser with WebAssembly and ES modules has had both since 2021), and makes the
//! string copies and the test for a stale view of the memory shorter (see
//! [`PASS_STRING`], [`DECODER`] and [`STALE_VIEW`]).
//!
//! wasm-bindgen is pinned (Cargo.lock), and the replaced text is matched exactly: if a
//! new wasm-bindgen writes something else, the build fails instead of shipping a broken
//! pkg/. `cargo xtask test` runs the result in node (`xtask/loader-test.mjs`): `init()`
//! from bytes, from a `Response` with either content type, and `initSync()`, then strings
//! of 1- to 4-byte characters through the wasm and back; the end-to-end tests load pkg/ in
//! the browsers.

/// wasm-bindgen's polyfill for browsers without `TextEncoder.encodeInto`.
const POLYFILL: &str = "if (!('encodeInto' in cachedTextEncoder)) {
    cachedTextEncoder.encodeInto = function (arg, view) {
        const buf = cachedTextEncoder.encode(arg);
        view.set(buf);
        return {
            read: arg.length,
            written: buf.length
        };
    };
}
";

/// wasm-bindgen's guard for a missing `FinalizationRegistry`, before the registry itself.
const REGISTRY_GUARD: &str = "(typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(";

/// wasm-bindgen's `passStringToWasm0`, which copies a JS string into the wasm: a branch
/// for callers without `realloc` (this glue has none), then the ASCII characters one by
/// one and `encodeInto` for the rest.
const PASS_STRING: &str = "function passStringToWasm0(arg, malloc, realloc) {
    if (realloc === undefined) {
        const buf = cachedTextEncoder.encode(arg);
        const ptr = malloc(buf.length, 1) >>> 0;
        getUint8ArrayMemory0().subarray(ptr, ptr + buf.length).set(buf);
        WASM_VECTOR_LEN = buf.length;
        return ptr;
    }

    let len = arg.length;
    let ptr = malloc(len, 1) >>> 0;

    const mem = getUint8ArrayMemory0();

    let offset = 0;

    for (; offset < len; offset++) {
        const code = arg.charCodeAt(offset);
        if (code > 0x7F) break;
        mem[ptr + offset] = code;
    }
    if (offset !== len) {
        if (offset !== 0) {
            arg = arg.slice(offset);
        }
        ptr = realloc(ptr, len, len = offset + arg.length * 3, 1) >>> 0;
        const view = getUint8ArrayMemory0().subarray(ptr + offset, ptr + len);
        const ret = cachedTextEncoder.encodeInto(arg, view);

        offset += ret.written;
        ptr = realloc(ptr, len, offset, 1) >>> 0;
    }

    WASM_VECTOR_LEN = offset;
    return ptr;
}";

/// The same copy in one `encodeInto`, into room for the longest UTF-8 the string can give
/// (3 bytes per UTF-16 unit), then shrunk to what was written: the Rust `String` made of it
/// owns exactly that many bytes. (An empty string is `malloc(0)`, as before: no
/// allocation, no `realloc`.)
const PASS_STRING_SHORT: &str = "function passStringToWasm0(arg, malloc, realloc) {
    const len = arg.length * 3;
    let ptr = malloc(len, 1) >>> 0;
    const written = cachedTextEncoder.encodeInto(arg, getUint8ArrayMemory0().subarray(ptr, ptr + len)).written;
    if (written < len) ptr = realloc(ptr, len, written, 1) >>> 0;
    WASM_VECTOR_LEN = written;
    return ptr;
}";

/// wasm-bindgen's decoder of the wasm's strings, which it replaces after 2 GB decoded
/// because Safari's stops working there. corsform decodes a few hundred bytes per user
/// event: a page would need millions of them to get there.
const DECODER: &str = "let cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
cachedTextDecoder.decode();
const MAX_SAFARI_DECODE_BYTES = 2146435072;
let numBytesDecoded = 0;
function decodeText(bytes) {
    numBytesDecoded += bytes.length;
    if (numBytesDecoded >= MAX_SAFARI_DECODE_BYTES) {
        cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
        cachedTextDecoder.decode();
        numBytesDecoded = bytes.length;
    }
    return cachedTextDecoder.decode(bytes);
}";

/// The same decoder, kept.
const DECODER_SHORT: &str =
    "const cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
function decodeText(bytes) {
    return cachedTextDecoder.decode(bytes);
}";

/// wasm-bindgen's test for a stale `DataView` of the wasm's memory: a view of the buffer
/// before the memory grew. That buffer is detached and `memory.buffer` is a new one, which
/// is all the shorter test needs (the memory is not shared).
const STALE_VIEW: &str = "if (cachedDataViewMemory0 === null || cachedDataViewMemory0.buffer.detached === true || (cachedDataViewMemory0.buffer.detached === undefined && cachedDataViewMemory0.buffer !== wasm.memory.buffer)) {";
const STALE_VIEW_SHORT: &str = "if (cachedDataViewMemory0?.buffer !== wasm.memory.buffer) {";

/// Where wasm-bindgen's loader starts (after `__wbg_finalize_init`, which stays) and the
/// export line it ends before.
const LOADER_START: &str = "async function __wbg_load(module, imports) {";
const LOADER_END: &str = "export { initSync, __wbg_init as default };";

/// The same functions, shorter. `init()` takes a URL, a string, a `Request`, a
/// `Response`, bytes or a `WebAssembly.Module` (or a promise of one), alone or as
/// `{module_or_path}`; without one it fetches `corsform_bg.wasm` beside the glue. When
/// `instantiateStreaming` refuses a `Response` whose content type is not
/// `application/wasm`, it is instantiated from its bytes, with a warning, as wasm-bindgen
/// does. A failed `init()` can be retried. `initSync()` takes bytes or a
/// `WebAssembly.Module`, alone or as `{module}`.
const LOADER: &str = "async function __wbg_load(module, imports) {
    if (!(module instanceof Response)) {
        const instance = await WebAssembly.instantiate(module, imports);
        return instance instanceof WebAssembly.Instance ? { instance, module } : instance;
    }
    if (!module.ok) throw new Error(`corsform: ${module.status} fetching ${module.url}`);
    try {
        return await WebAssembly.instantiateStreaming(module, imports);
    } catch (e) {
        if (module.headers.get('Content-Type') == 'application/wasm') throw e;
        console.warn('corsform: serve .wasm as application/wasm (streaming compilation)', e);
    }
    return WebAssembly.instantiate(await module.arrayBuffer(), imports);
}

function initSync(module) {
    if (wasm !== undefined) return wasm;
    if (module !== undefined && Object.getPrototypeOf(module) === Object.prototype) ({module} = module);
    if (!(module instanceof WebAssembly.Module)) module = new WebAssembly.Module(module);
    return __wbg_finalize_init(new WebAssembly.Instance(module, __wbg_get_imports()), module);
}

let __wbg_init_promise;
async function __wbg_init(module_or_path) {
    if (wasm !== undefined) return wasm;
    return __wbg_init_promise ??= __wbg_init_once(module_or_path).catch(e => {
        __wbg_init_promise = undefined;
        throw e;
    });
}

async function __wbg_init_once(module_or_path) {
    if (module_or_path !== undefined && Object.getPrototypeOf(module_or_path) === Object.prototype) ({module_or_path} = module_or_path);
    module_or_path ??= new URL('corsform_bg.wasm', import.meta.url);
    if (typeof module_or_path == 'string' || module_or_path instanceof URL || module_or_path instanceof Request) {
        module_or_path = fetch(module_or_path);
    }
    const { instance, module } = await __wbg_load(await module_or_path, __wbg_get_imports());
    return __wbg_finalize_init(instance, module);
}

";

/// `js` (wasm-bindgen's glue), shorter: the loader and the string copies replaced, the
/// polyfill and the guard removed.
pub fn shorten(js: &str, wasm_name: &str) -> Result<String, String> {
    for (what, text) in [
        ("encodeInto polyfill", POLYFILL),
        ("FinalizationRegistry guard", REGISTRY_GUARD),
        ("passStringToWasm0", PASS_STRING),
        ("decodeText", DECODER),
        ("DataView test", STALE_VIEW),
    ] {
        if js.matches(text).count() != 1 {
            return Err(format!("the JS glue has no single {what} where expected"));
        }
    }
    // Every call passes `realloc`: three arguments, as the definition has three parameters.
    let uses: Vec<&str> = js.split("passStringToWasm0(").skip(1).collect();
    let three = |rest: &&str| rest.split(')').next().unwrap_or("").matches(',').count() == 2;
    if uses.len() < 2 || !uses.iter().all(three) {
        return Err("the JS glue calls passStringToWasm0 without realloc".into());
    }
    let start = js.find(LOADER_START);
    let end = js.find(LOADER_END);
    let (Some(start), Some(end)) = (start, end) else {
        return Err("the JS glue's loader is not where expected".into());
    };
    let default_path = format!("new URL('{wasm_name}', import.meta.url)");
    if start > end || !js[start..end].contains(&default_path) {
        return Err(format!("the JS glue's loader does not load {wasm_name}"));
    }
    let loader = LOADER.replace("corsform_bg.wasm", wasm_name);
    Ok([&js[..start], &loader, &js[end..]]
        .concat()
        .replace(POLYFILL, "")
        .replace(REGISTRY_GUARD, "new FinalizationRegistry(")
        .replace(PASS_STRING, PASS_STRING_SHORT)
        .replace(DECODER, DECODER_SHORT)
        .replace(STALE_VIEW, STALE_VIEW_SHORT))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glue(wasm_name: &str) -> String {
        [
            "const cachedTextEncoder = new TextEncoder();\n\n",
            POLYFILL,
            "const CLOSURE_DTORS = ",
            REGISTRY_GUARD,
            "state => drop(state));\n",
            PASS_STRING,
            "\n",
            DECODER,
            "\n",
            STALE_VIEW,
            "\n",
            "const ptr0 = passStringToWasm0(s, wasm.a, wasm.b);\n",
            "\nfunction __wbg_finalize_init(instance, module) {}\n\n",
            LOADER_START,
            "\n    old();\n}\nasync function __wbg_init_once(module_or_path) {\n",
            &format!("    module_or_path = new URL('{wasm_name}', import.meta.url);\n}}\n\n"),
            LOADER_END,
            "\n",
        ]
        .concat()
    }

    #[test]
    fn replaces_the_loader_and_the_polyfill() {
        let out = shorten(&glue("x_bg.wasm"), "x_bg.wasm").unwrap();
        assert!(!out.contains("old()") && !out.contains("encodeInto ="));
        assert!(out.contains(PASS_STRING_SHORT) && !out.contains("charCodeAt"));
        assert!(out.contains(DECODER_SHORT) && !out.contains("MAX_SAFARI"));
        assert!(out.contains(STALE_VIEW_SHORT) && !out.contains("detached"));
        assert!(!out.contains("typeof FinalizationRegistry") && !out.contains("=== undefined"));
        assert!(
            out.contains("const CLOSURE_DTORS = new FinalizationRegistry(state => drop(state));")
        );
        assert!(out.contains("function __wbg_finalize_init"));
        assert!(out.contains("new URL('x_bg.wasm', import.meta.url)"));
        assert!(out.ends_with(&format!("{LOADER_END}\n")));
    }

    #[test]
    fn refuses_a_glue_it_does_not_know() {
        assert!(shorten("export { initSync };", "x_bg.wasm").is_err());
        assert!(shorten(&glue("y_bg.wasm"), "x_bg.wasm").is_err());
        let no_polyfill = glue("x_bg.wasm").replace(POLYFILL, "");
        assert!(shorten(&no_polyfill, "x_bg.wasm").is_err());
        let without_realloc = glue("x_bg.wasm").replace("(s, wasm.a, wasm.b)", "(s, wasm.a)");
        assert!(shorten(&without_realloc, "x_bg.wasm").is_err());
    }
}
