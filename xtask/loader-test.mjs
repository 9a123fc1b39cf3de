// The loader of pkg/corsform.js (xtask/src/glue.rs replaces wasm-bindgen's), run in node:
// each way of calling `init()` and `initSync()`, each in a fresh copy of the module. After
// loading, a call into the wasm must answer: `bind(42)` throws corsform's own error.
//
// Usage: node xtask/loader-test.mjs PKG_DIR   (run by `cargo xtask test`)

import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { join, resolve } from "node:path";

const pkg = resolve(process.argv[2] ?? "pkg");
const bytes = readFileSync(join(pkg, "corsform_bg.wasm"));
const glue = pathToFileURL(join(pkg, "corsform.js")).href;
const warnings = [];
console.warn = (...args) => warnings.push(args.join(" "));
let copies = 0;
let failed = 0;

async function fresh() {
  copies += 1;
  return import(`${glue}?copy=${copies}`);
}

function answers(m) {
  try {
    m.bind(42);
  } catch (e) {
    return e instanceof Error && e.message.startsWith("corsform: form must be");
  }
  return false;
}

async function check(name, run, { warns = false } = {}) {
  warnings.length = 0;
  try {
    const m = await fresh();
    await run(m);
    if (!answers(m)) throw new Error("the wasm does not answer after loading");
    if (warns !== warnings.length > 0) {
      throw new Error(`warnings: ${JSON.stringify(warnings)}`);
    }
    console.log(`ok: ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`FAILED: ${name}: ${e.stack ?? e}`);
  }
}

const response = (type, status = 200) =>
  new Response(bytes, { status, headers: { "Content-Type": type } });

await check("initSync(bytes)", (m) => m.initSync(bytes));
await check("initSync({module})", (m) => m.initSync({ module: new WebAssembly.Module(bytes) }));
await check("init({module_or_path: bytes})", (m) => m.default({ module_or_path: bytes }));
await check("init(module)", (m) => m.default(new WebAssembly.Module(bytes)));
await check("init(application/wasm response)", (m) => m.default(response("application/wasm")));
await check(
  "init(promise of a response with another content type)",
  (m) => m.default(Promise.resolve(response("application/octet-stream"))),
  { warns: true },
);
await check("init() twice gives the same exports", async (m) => {
  const [a, b] = await Promise.all([m.default(bytes), m.default(bytes)]);
  if (a !== b || (await m.default()) !== a) throw new Error("two instances");
});
await check("a failed init() can be retried", async (m) => {
  let error = "";
  await m.default(response("application/wasm", 404)).catch((e) => (error = e.message));
  if (!error.includes("404")) throw new Error(`a 404 gave ${JSON.stringify(error)}`);
  await m.default({ module_or_path: bytes });
});

await check("strings cross both ways: empty, ASCII, 2-, 3- and 4-byte UTF-8", async (m) => {
  await m.default(bytes);
  // No document in node: the selector is looked up, found nowhere, and named in the error,
  // so it went into the wasm and came back out.
  for (const selector of ["", "#a", "é", "#naïve-€", "😀 x 😀", "a".repeat(5000) + "é"]) {
    let message = "";
    try {
      m.bind(selector);
    } catch (e) {
      message = e.message;
    }
    const expected = `corsform: form: no element matches "${selector}"`;
    if (message !== expected) throw new Error(`${JSON.stringify(message)}, not ${expected}`);
  }
});

if (failed > 0) {
  console.log(`${failed} of the loader checks failed`);
  process.exit(1);
}
console.log("loader: all checks passed");
