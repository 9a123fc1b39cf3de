//! The browser build: the `#[wasm_bindgen]` exports. Each job is a module of its own,
//! in the order of the data flow:
//!
//! - [`options`]: the `options` of `bind`, read into typed values (the rules into the
//!   core's shapes);
//! - [`field`]: a field's controls, its value as jQuery's `val()` reads it, its message on
//!   the page;
//! - [`serialize`]: the body, as jQuery's `serialize()`;
//! - [`submit`]: the POST through gloo-net, and what the answer means;
//! - [`bind`]: the bound form, its listener, the submit flow and the panels;
//! - [`error`]: `CorsformError`, what the page receives when something fails.

pub mod bind;
pub mod error;
pub mod field;
pub mod options;
pub mod serialize;
pub mod submit;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlFormElement;

use crate::rules::OptionsError;
use error::CorsformError;

/// lol_alloc's free-list allocator instead of the default dlmalloc: the same job in
/// less wasm (the module is single-threaded, so the lock is never contended).
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

/// `RuleName`, from the table of methods.
#[wasm_bindgen(typescript_custom_section)]
const TS_RULE_NAME: &'static str = crate::rules::RULE_NAME_TS;

/// The options' and the controller's types. (`CorsformOptions`'s keys are checked
/// against [`options::OPTION_NAMES`] by a test.)
#[wasm_bindgen(typescript_custom_section)]
const TS_OPTIONS: &'static str = r#"
/** A rule's parameter: `true` for flags (`false` removes the rule), a number, `[min, max]`,
 * `require_from_group`'s `[n, selector]`, a selector, a pattern, or `remote`'s
 * `{url, type, data}` (`type` or `method`: `"post"` posts the query). */
export type RuleParam = boolean | number | string | [number, number] | [number, string]
  | { url?: string; type?: string; method?: string; data?: Record<string, unknown> };
/** A rule as `rules` takes it: its parameter, a function of the element giving it, or
 * `{param, depends}`: kept while `depends` (a function of the element, or a selector of
 * something in the form) holds, `param` defaulting to `true`. */
export type RuleSpec = RuleParam | ((element: HTMLElement) => RuleParam)
  | { param?: RuleParam | ((element: HTMLElement) => RuleParam); depends?: string | ((this: HTMLElement, element: HTMLElement) => unknown) };
/** A message: `{0}`, `{1}` stand for the rule's parameters; a function gets the
 * parameters and the element. */
export type Message = string | ((params: any, element: HTMLElement) => string);
/** A method `addMethod` adds: whether `value` passes `param`; `this.optional(element)` is
 * truthy for an empty field, as jquery-validation's. */
export type CustomMethod = (this: { optional(element: HTMLElement): boolean | string }, value: string, element: HTMLElement, param: any) => boolean;
/** What `setDefaults` takes: each method's default message. */
export interface Defaults {
  messages?: Partial<Record<RuleName, string>> & Record<string, string>;
}
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
  /** Sends without validating or calling `submitHandler` (from a `submitHandler`).
   * Resolves and rejects as `submit()`. */
  send(): Promise<unknown>;
  /** Unbinds: removes listeners, messages and the attributes `bind` added. */
  destroy(): void;
  /** Shows `{name: message}` on those fields (through the `showErrors` option, if given),
   * as jquery-validation's `validator.showErrors(errors)`. */
  showErrors(errors: Record<string, string>): void;
  /** In a `showErrors` option: shows the verdicts it was given, as corsform does. */
  defaultShowErrors(): void;
  /** How many fields failed their last check. */
  numberOfInvalids(): number;
  /** Checks one field (an element, or a selector of one) and shows its message, as
   * jquery-validation's `validator.element(element)`; whether it is valid. */
  element(element: string | Element): boolean;
  /** Takes the messages and marks out and forgets every check, the form still bound, as
   * jquery-validation's `validator.resetForm()`. */
  resetForm(): void;
  /** jquery-validation's `$(element).rules(command, argument)` for the field of `element`
   * (an element, or a selector of one): `"add"` merges rules (`{minlength: 3, messages:
   * {minlength: "…"}}`, or `"required email"`) over the field's entry of the `rules`
   * option; `"remove"` takes that entry out, or the methods named (`"required min"`), and
   * answers what it took out. Otherwise answers the field's rules as a validation now
   * reads them; `undefined` for an element that is none of the form's fields. Throws a
   * `CorsformError` of kind `options`, changing nothing, on rules `bind` would refuse. */
  rules(element: string | Element, command?: "add" | "remove", argument?: unknown): Record<string, unknown> | undefined;
  /** In a `showErrors` option: its two arguments. */
  errorMap?: Record<string, string>;
  errorList?: ErrorListItem[];
}
/** Options for `bind`: jquery-validation's `rules` and `messages`, plus the transport. */
export interface CorsformOptions {
  /** `{field: "required email"}` or `{field: {minlength: 3}}`. */
  rules?: Record<string, string | (Partial<Record<RuleName, RuleSpec>> & Record<string, unknown>)>;
  /** `{field: "message"}` or `{field: {required: "message with {0}"}}`. */
  messages?: Record<string, string | (Partial<Record<RuleName, Message>> & Record<string, Message>)>;
  /** Selectors (or elements) of the seed's four panels. */
  panels?: { main?: string | Element; sending?: string | Element; success?: string | Element; error?: string | Element };
  /** Where to POST; default: the form's `action`. */
  url?: string;
  /** Request headers; default `{"X-Requested-With": "XMLHttpRequest"}` plus an
   * `Idempotency-Key` per fill of the form (kept across retries, new after a success).
   * Given, they replace both. */
  headers?: Record<string, string>;
  /** Milliseconds before the request is aborted; default 15000. */
  timeout?: number;
  /** Called with the body before sending; returning `false` cancels. */
  beforeSend?: (body: string) => boolean | void;
  /** Called with the server's answer (parsed JSON) after a 2xx. */
  success?: ((data: unknown) => void) | string;
  /** Called with a CorsformError on any failure. */
  error?: (err: CorsformError) => void;
  /** jquery-validation's `ignore`: a selector list of fields not validated; default
   * `":hidden"` (fields the page hides). Disabled fields are never validated. */
  ignore?: string;
  /** Called on a valid submit instead of sending, `this` being the controller (whose
   * `send()` sends), with the form and the submit event (DOM objects, not jQuery's). */
  submitHandler?: (this: Controller, form: HTMLFormElement, event?: SubmitEvent) => unknown;
  /** Called on an invalid submit with the submit event and the controller. */
  invalidHandler?: (event: SubmitEvent | undefined, controller: Controller) => void;
  /** Focus the first invalid field on submit; default `true`. */
  focusInvalid?: boolean;
  /** The message's class, and the invalid control's; default `"error"`. */
  errorClass?: string;
  /** The class of a control checked and valid; default `"valid"`. */
  validClass?: string;
  /** The message element's tag; default `"label"`. */
  errorElement?: string;
  /** Marks an invalid control instead of the default classes. */
  highlight?: (element: Element, errorClass: string, validClass: string) => void;
  /** Marks a valid control instead of the default classes. */
  unhighlight?: (element: Element, errorClass: string, validClass: string) => void;
  /** Puts a new message element in the page instead of after the control. */
  errorPlacement?: (error: Element, element: Element) => void;
  /** `false` turns off the check as a field is left; a function replaces it. */
  onfocusout?: false | ((element: Element, event: Event) => void);
  /** `false` turns off the check as a field is typed in; a function replaces it. */
  onkeyup?: false | ((element: Element, event: Event) => void);
  /** `false` turns off the check as a choice changes; a function replaces it. */
  onclick?: false | ((element: Element, event: Event) => void);
  /** The value the rules see, from the field's value (`this`: the element). */
  normalizer?: (this: Element, value: string) => string;
  /** Hide a field's message as it gets the focus; default `false`. */
  focusCleanup?: boolean;
  /** `false`: a submit sends without validating (nor calling `submitHandler`); default `true`. */
  onsubmit?: boolean;
  /** A field's `title` is not used as its message; default `false`. */
  ignoreTitle?: boolean;
  /** Accepted for jquery-validation's pages: corsform always inserts messages as text. */
  escapeHtml?: boolean;
  /** `false` turns off `focusCleanup`'s work as a field is entered; a function replaces it. */
  onfocusin?: false | ((element: Element, event: Event) => void);
  /** Take a hidden message's id out of the controls' `aria-describedby`; default `false`. */
  ariaDescribedByCleanup?: boolean;
  /** A submit validates and is never sent nor given to `submitHandler`; default `false`. */
  debug?: boolean;
  /** Selectors of elements validated besides the controls and `[contenteditable]` ones,
   * inside the form and whose `form` property is the form (`["my-input"]`); never sent. */
  customElements?: string[];
  /** One message for several fields: `{name: "first last"}` (or an array of names). */
  groups?: Record<string, string | string[]>;
  /** A control's class while its `remote` check is asked; default `"pending"`. */
  pendingClass?: string;
  /** Shown while a field is invalid, hidden once none is (a selector, an element, a jQuery object). */
  errorContainer?: string | Element | ArrayLike<Element>;
  /** New message elements are appended to it; shown and hidden as `errorContainer`. */
  errorLabelContainer?: string | Element | ArrayLike<Element>;
  /** The tag of an element each message element is put in (`"li"`). */
  wrapper?: string;
  /** Shows the verdicts instead of corsform, `this` being the controller: called after
   * each validation with `{name: message}` and `[{message, element, method}]` of the
   * failed fields (all of the form's at a submit, the one checked as it is left);
   * `this.defaultShowErrors()` shows them as corsform would. */
  showErrors?: (this: Controller, errorMap: Record<string, string>, errorList: ErrorListItem[]) => void;
}
/** A failed field, as `showErrors` receives it. `method` is left out for a message the
 * server or `controller.showErrors` gave. */
export interface ErrorListItem {
  message: string;
  element: HTMLElement;
  method?: string;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// The `options` argument of `bind`.
    #[wasm_bindgen(typescript_type = "CorsformOptions")]
    pub type BindOptions;
    /// A form: a selector or an element.
    #[wasm_bindgen(typescript_type = "string | HTMLFormElement")]
    pub type FormRef;
    /// `addMethod`'s method.
    #[wasm_bindgen(typescript_type = "CustomMethod")]
    pub type CustomMethod;
    /// `addMethod`'s message.
    #[wasm_bindgen(typescript_type = "Message")]
    pub type MethodMessage;
    /// `setDefaults`'s argument.
    #[wasm_bindgen(typescript_type = "Defaults")]
    pub type Defaults;

    /// What `bind` returns: a plain object whose three methods are closures over the bound
    /// form.
    #[wasm_bindgen(typescript_type = "Controller")]
    pub type Controller;
    /// Validates every field, shows the messages, focuses the first invalid field.
    #[wasm_bindgen(method)]
    pub fn validate(this: &Controller) -> bool;
    /// Validates and sends, as clicking submit does.
    #[wasm_bindgen(method)]
    pub fn submit(this: &Controller) -> js_sys::Promise;
    /// Unbinds: removes listeners, messages and the attributes `bind` added.
    #[wasm_bindgen(method)]
    pub fn destroy(this: &Controller);
    /// Shows `{name: message}` on those fields, as jquery-validation's
    /// `validator.showErrors(errors)`.
    #[wasm_bindgen(method, js_name = showErrors)]
    pub fn show_errors(this: &Controller, errors: &JsValue);
    /// Checks one field and shows its message: whether it is valid.
    #[wasm_bindgen(method)]
    pub fn element(this: &Controller, element: &JsValue) -> bool;
    /// Takes the messages and marks out, the form still bound.
    #[wasm_bindgen(method, js_name = resetForm)]
    pub fn reset_form(this: &Controller);
    /// Sends without validating or calling `submitHandler`.
    #[wasm_bindgen(method)]
    pub fn send(this: &Controller) -> js_sys::Promise;
    /// jquery-validation's `$(element).rules(command, argument)` for this form's field of
    /// `element`: `"add"`, `"remove"`, or (`undefined`) the field's rules.
    #[wasm_bindgen(method, catch)]
    pub fn rules(
        this: &Controller,
        element: &JsValue,
        command: &JsValue,
        argument: &JsValue,
    ) -> Result<JsValue, JsValue>;
}

/// A method `addMethod` added: its function, and its message when that is a function (a
/// string message is a default message, in [`DEFAULTS`]).
type Added = (js_sys::Function, Option<js_sys::Function>);

thread_local! {
    /// The default messages `setDefaults` set, for every form of the page.
    static DEFAULTS: std::cell::RefCell<crate::messages::Messages> = Default::default();
    /// The methods `addMethod` added, by [`crate::Method::Custom`]'s number.
    static ADDED: std::cell::RefCell<Vec<Added>> = Default::default();
    /// `this` of a custom method and of a message function: jquery-validation passes its
    /// validator; its `optional(element)` is what such methods call.
    static VALIDATOR: JsValue = {
        let optional = Closure::<dyn Fn(JsValue) -> JsValue>::new(|el: JsValue| match field::blank(&el) {
            true => "dependency-mismatch".into(),
            false => JsValue::FALSE,
        });
        let o = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&o, &"optional".into(), &optional.into_js_value());
        o.into()
    };
}

/// The method `addMethod` added as number `i`.
fn added(i: u16) -> Option<Added> {
    ADDED.with(|a| a.borrow().get(usize::from(i)).cloned())
}

/// The `this` of custom methods: `{optional(element)}`.
fn validator() -> JsValue {
    VALIDATOR.with(Clone::clone)
}

/// jquery-validation's `$.validator.addMethod(name, method, message)`
/// (<https://jqueryvalidation.org/jQuery.validator.addMethod/>): `method(value, element,
/// param)` decides, with `this.optional(element)` for an empty optional field; `message`
/// is a string (`{0}`, `{1}` for the parameter) or a function `(param, element)` giving
/// it; left out, the method's message is kept (or is empty). The method is usable from
/// `rules`, `messages`, `data-rule-NAME`, an attribute `NAME`, and (when it takes fewer
/// than three parameters) a class `NAME`, in every form bound after; a built-in's name is
/// replaced. Custom methods run in the browser only: the server knows none.
#[wasm_bindgen(js_name = addMethod)]
pub fn add_method(name: &str, method: CustomMethod, message: Option<MethodMessage>) {
    let method: js_sys::Function = method.unchecked_into();
    let message: JsValue = message.map_or(JsValue::UNDEFINED, Into::into);
    let m = crate::Method::add(name, method.length() < 3);
    let crate::Method::Custom(i) = m else {
        return;
    };
    let i = usize::from(i);
    let previous = added(i as u16).and_then(|a| a.1);
    let message_fn = match message.as_string() {
        Some(text) => {
            DEFAULTS.with(|d| d.borrow_mut().set(m, &text));
            None
        }
        None => message.dyn_into().ok().or(previous),
    };
    // `Method::add` numbers the methods in the order added: `i` is the next or one before.
    ADDED.with(|a| {
        let mut added = a.borrow_mut();
        match added.get_mut(i) {
            Some(slot) => *slot = (method, message_fn),
            None => added.push((method, message_fn)),
        }
    });
}

/// jquery-validation's `$.extend($.validator.messages, …)`: `setDefaults({messages:
/// {required: "…", minlength: "… {0} …"}})` sets each method's default message for every
/// form of the page (`pkg/locales/de.js` and the others are ready tables). Throws on an
/// unknown method or
/// a message that is not a string. (jquery-validation's own `$.validator.setDefaults`
/// takes per-field options instead: see the README.)
#[wasm_bindgen(js_name = setDefaults)]
pub fn set_defaults(defaults: Defaults) -> Result<(), JsValue> {
    let read = || -> Result<crate::messages::Messages, OptionsError> {
        let messages = js_sys::Reflect::get(&defaults, &"messages".into()).unwrap_or_default();
        let mut table = DEFAULTS.with(|d| d.borrow().clone());
        if messages.is_undefined() || messages.is_null() {
            return Ok(table);
        }
        for (name, text) in options::entries(&messages) {
            let method = crate::Method::from_name(&name).ok_or_else(|| {
                OptionsError::format(
                    "messages: unknown rule \"{0}\" (known: {1})",
                    &[&name, crate::KNOWN_METHODS],
                )
            })?;
            let text = text
                .as_string()
                .ok_or_else(|| OptionsError::format("messages.{0} must be a string", &[&name]))?;
            table.set(method, &text);
            // A message set for a custom method replaces its message function.
            if let crate::Method::Custom(i) = method {
                ADDED.with(|a| {
                    if let Some(added) = a.borrow_mut().get_mut(usize::from(i)) {
                        added.1 = None;
                    }
                })
            }
        }
        Ok(table)
    };
    let table = read().map_err(|e| CorsformError::from(e).to_js())?;
    DEFAULTS.with(|d| *d.borrow_mut() = table);
    Ok(())
}

/// The `<form>` a selector or an element names.
fn form_of(form: &JsValue) -> Result<HtmlFormElement, OptionsError> {
    let el = options::element("form", form)?;
    el.dyn_into::<HtmlFormElement>().map_err(|el| {
        let el: web_sys::Element = el.unchecked_into();
        OptionsError::format(
            "form: the element is a <{0}>, not a <form>",
            &[&el.local_name()],
        )
    })
}

/// Binds corsform to `form` (a selector or an element) with jquery-validation-style
/// `options`. Throws a `CorsformError` of kind `options` naming the problem when an
/// option is wrong.
#[wasm_bindgen]
pub fn bind(form: FormRef, options: Option<BindOptions>) -> Result<Controller, JsValue> {
    let bound = (|| {
        let form = form_of(&form)?;
        let options = options.map_or(JsValue::UNDEFINED, Into::into);
        bind::Bound::new(form, options::Options::read(&options)?)
    })()
    .map_err(|e| CorsformError::from(e).to_js())?;
    Ok(bound.controller().unchecked_into())
}

/// The body corsform sends for `form`: jQuery's `$(form).serialize()`, `%20` as `+`.
#[wasm_bindgen]
pub fn serialize(form: FormRef) -> Result<String, JsValue> {
    let form = form_of(&form).map_err(|e| CorsformError::from(e).to_js())?;
    Ok(serialize::serialize(&form, None))
}
