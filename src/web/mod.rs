//! The browser build: the only `#[wasm_bindgen]` exports. Everything they call is plain
//! Rust in the sibling modules.

mod dom;
mod form;
mod js;
mod options;
mod send;

use wasm_bindgen::prelude::*;

use crate::rules::OptionsError;

/// lol_alloc's free-list allocator instead of the default dlmalloc: the same job in
/// fewer bytes of wasm (the module is single-threaded, so the lock is never contended).
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

#[wasm_bindgen(typescript_custom_section)]
const TS_OPTIONS: &'static str = r#"
/** A rule's parameter: `true` for flags, a number, `[min, max]`, a selector or a pattern. */
export type RuleParam = boolean | number | string | [number, number];
/** jquery-validation's method names. */
export type RuleName = "required" | "email" | "url" | "number" | "digits" | "minlength" | "maxlength"
  | "rangelength" | "min" | "max" | "range" | "step" | "equalTo" | "pattern";
/** An Error with a `kind`: "invalid" | "busy" | "cancelled" | "network" | "timeout" | "redirect" | "status" | "options". */
export interface CorsformError extends Error {
  kind: string;
  /** The HTTP status, for "status" and a server's "invalid". */
  status?: number;
  /** The server's answer, parsed, when there was one. */
  data?: unknown;
}
/** What `bind` returns. */
export interface Controller {
  /** Validates every field, shows the messages, focuses the first invalid field. */
  validate(): boolean;
  /** Validates and sends, as clicking submit does. Resolves with the server's answer (parsed
   * JSON, else its text); rejects with a `CorsformError`. */
  submit(): Promise<unknown>;
  /** Unbinds: removes listeners, messages and the attributes `bind` added. */
  destroy(): void;
}
/** Options for `bind`: jquery-validation's `rules` and `messages`, plus the transport. */
export interface CorsformOptions {
  /** `{field: "required email"}` or `{field: {minlength: 3}}`. */
  rules?: Record<string, string | Partial<Record<RuleName, RuleParam>>>;
  /** `{field: "message"}` or `{field: {required: "message with {0}"}}`. */
  messages?: Record<string, string | Partial<Record<RuleName, string>>>;
  /** Selectors (or elements) of the seed's four panels. */
  panels?: { main?: string | Element; sending?: string | Element; success?: string | Element; error?: string | Element };
  /** Where to POST; default: the form's `action`. */
  url?: string;
  /** Request headers; default `{"X-Requested-With": "XMLHttpRequest"}`. */
  headers?: Record<string, string>;
  /** Milliseconds before the request is aborted; default 15000. */
  timeout?: number;
  /** Called with the body before sending; returning `false` cancels. */
  beforeSend?: (body: string) => boolean | void;
  /** Called with the server's answer (parsed JSON) after a 2xx. */
  success?: (data: unknown) => void;
  /** Called with a CorsformError on any failure. */
  error?: (err: CorsformError) => void;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `Number(text)`, by the JS engine: the rules' numbers in the browser.
    #[wasm_bindgen(js_name = Number)]
    pub fn js_number(text: &str) -> f64;
    /// The `options` argument of `bind`.
    #[wasm_bindgen(typescript_type = "CorsformOptions")]
    pub type BindOptions;
    /// A form: a selector or an element.
    #[wasm_bindgen(typescript_type = "string | HTMLFormElement")]
    pub type FormRef;

    /// What `bind` returns: a plain object whose three methods are Rust closures over the
    /// bound form (lighter than an exported class with its ownership checks and finalizer).
    #[wasm_bindgen(typescript_type = "Controller")]
    pub type Controller;
    /// Validates every field, shows the messages, focuses the first invalid field.
    #[wasm_bindgen(method)]
    pub fn validate(this: &Controller) -> bool;
    /// Validates and sends, as clicking submit does.
    #[wasm_bindgen(method)]
    pub fn submit(this: &Controller) -> js::Promise;
    /// Unbinds: removes listeners, messages and the attributes `bind` added.
    #[wasm_bindgen(method)]
    pub fn destroy(this: &Controller);
}

/// Refuses bad options: throws `e` as corsform's `options` error, at once. What `bind` or
/// `serialize` read until then stays with the page (the throw unwinds the wasm without
/// running Rust's destructors, as a panic would). Bad options are a mistake in the page's
/// code, found when it is written; nothing is thrown on the way of a form bound with good
/// options.
pub(crate) fn refuse(e: OptionsError) -> ! {
    wasm_bindgen::throw_val(dom::error("options", &crate::cat(&["corsform: ", &e.0])))
}

fn form_of(form: &JsValue) -> dom::Element {
    let el = options::element("form", form);
    if !el.matches("form") {
        refuse(OptionsError::format(
            "form: the element is a <{0}>, not a <form>",
            &[&dom::tag_name(&el)],
        ));
    }
    el
}

/// Binds corsform to `form` (a selector or an element) with jquery-validation-style
/// `options`. Throws an `Error` naming the problem when an option is wrong.
#[wasm_bindgen]
pub fn bind(form: FormRef, options: Option<BindOptions>) -> Controller {
    let form = form_of(&form);
    let options = options.map_or(JsValue::UNDEFINED, Into::into);
    form::Bound::new(form, options::Options::read(&options)).controller()
}

/// The body corsform sends for `form`: jQuery's `$(form).serialize()` with `%20` as `+`.
/// (A JS string made here: returning a Rust `String` would add a copy and its glue.)
#[wasm_bindgen(unchecked_return_type = "string")]
pub fn serialize(form: FormRef) -> JsValue {
    JsValue::from_str(&form::serialize(&form_of(&form), None))
}
