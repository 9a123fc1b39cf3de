//! Small typed helpers over the DOM: finding elements, reading a control's value the way
//! jQuery's `val()` does, showing and hiding whatever the page's stylesheet says.
//!
//! The bindings are declared here rather than taken from web-sys: only the methods
//! corsform calls, and without `catch` where the call cannot throw (attribute names and
//! selectors that are constants, listeners, styles), since each `catch` costs a JS wrapper
//! and a check at every call site. Properties are read and written by name (`get`, `set`,
//! `text`, `flag`): two imports for all of them.

use super::js::{Array, JsError, Object};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// A DOM element.
    #[derive(Clone)]
    pub type Element;
    /// `el.getAttribute(name)`, as a JS value (see [`Element::get_attribute`]).
    #[wasm_bindgen(method, js_name = getAttribute)]
    fn attribute(this: &Element, name: &str) -> JsValue;
    /// `el.setAttribute(name, value)`.
    #[wasm_bindgen(method, js_name = setAttribute)]
    pub fn set_attribute(this: &Element, name: &str, value: &str);
    /// `el.removeAttribute(name)`.
    #[wasm_bindgen(method, js_name = removeAttribute)]
    pub fn remove_attribute(this: &Element, name: &str);
    /// `el.matches(selector)`, for corsform's own (valid) selectors.
    #[wasm_bindgen(method)]
    pub fn matches(this: &Element, selector: &str) -> bool;
    /// `el.after(node)`.
    #[wasm_bindgen(method)]
    pub fn after(this: &Element, node: &Element);
    /// `el.remove()`.
    #[wasm_bindgen(method)]
    pub fn remove(this: &Element);
    /// `el.focus()`.
    #[wasm_bindgen(method, js_name = focus)]
    fn focus_element(this: &Element);
    /// `el.addEventListener(type, listener)`.
    #[wasm_bindgen(method, js_name = addEventListener)]
    pub fn add_event_listener(this: &Element, kind: &str, listener: &JsValue);
    /// `el.removeEventListener(type, listener)`.
    #[wasm_bindgen(method, js_name = removeEventListener)]
    pub fn remove_event_listener(this: &Element, kind: &str, listener: &JsValue);
    /// `el.dispatchEvent(event)`: false when a listener called `preventDefault()`.
    #[wasm_bindgen(method, js_name = dispatchEvent)]
    pub fn dispatch_event(this: &Element, event: &CustomEvent) -> bool;

    /// An event, as listeners receive it.
    pub type Event;
    /// `event.preventDefault()`.
    #[wasm_bindgen(method, js_name = preventDefault)]
    pub fn prevent_default(this: &Event);

    /// `new CustomEvent(type, init)`.
    pub type CustomEvent;
    #[wasm_bindgen(constructor)]
    fn new(kind: &str, init: &Object) -> CustomEvent;

    /// `document.querySelector(selector)`: a bad selector throws. (Called through the
    /// `document` namespace: no thread-local holding the document in the wasm.)
    #[wasm_bindgen(catch, js_namespace = document, js_name = querySelector)]
    fn query_selector(selector: &str) -> Result<Option<Element>, JsValue>;
    /// `document.createElement(tag)`.
    #[wasm_bindgen(js_namespace = document, js_name = createElement)]
    pub fn create_element(tag: &str) -> Element;

    /// An element's style, inline or computed.
    type Style;
    /// `getComputedStyle(el)`.
    #[wasm_bindgen(js_name = getComputedStyle)]
    fn computed_style(el: &Element) -> Style;
    /// `style.setProperty(name, value, priority)`.
    #[wasm_bindgen(method, js_name = setProperty)]
    fn set_property(this: &Style, name: &str, value: &str, priority: &str);
    /// Any object, read and written by property name.
    type Props;
    #[wasm_bindgen(method, structural, indexing_getter)]
    fn prop(this: &Props, key: &str) -> JsValue;
    #[wasm_bindgen(method, structural, indexing_setter)]
    fn set_prop(this: &Props, key: &str, value: &JsValue);

    /// `String(value)`: a number as JavaScript writes it (`5`, `0.01`, `1e+21`).
    #[wasm_bindgen(js_name = String)]
    fn js_string(value: &JsValue) -> JsValue;
}

impl Element {
    /// `el.getAttribute(name)`. (A string handed over as a JS value, then read with the
    /// one `as_string` every string shares: a string return of its own would add a copy
    /// routine to the glue.)
    pub fn get_attribute(&self, name: &str) -> Option<String> {
        self.attribute(name).as_string()
    }

    /// `el.hasAttribute(name)`: `getAttribute` gives `null` exactly when it has not.
    pub fn has_attribute(&self, name: &str) -> bool {
        !is_nullish(&self.attribute(name))
    }
}

/// A `CustomEvent` named `kind` that bubbles, with `detail`.
pub fn custom_event(kind: &str, detail: &JsValue, cancelable: bool) -> CustomEvent {
    let init = Object::new();
    set(&init, "bubbles", &JsValue::TRUE);
    set(&init, "cancelable", &JsValue::from_bool(cancelable));
    set(&init, "detail", detail);
    CustomEvent::new(kind, &init)
}

/// `v == null`: `null` or `undefined` (one import for both).
pub fn is_nullish(v: &JsValue) -> bool {
    v.loose_eq(&JsValue::NULL)
}

/// `target[key]`; `undefined` for `null` and `undefined`.
pub fn get(target: &JsValue, key: &str) -> JsValue {
    if is_nullish(target) {
        return JsValue::UNDEFINED;
    }
    target.unchecked_ref::<Props>().prop(key)
}

/// `target[key] = value`.
pub fn set(target: &JsValue, key: &str, value: &JsValue) {
    target.unchecked_ref::<Props>().set_prop(key, value);
}

/// `v == text`, in JS: compared there, not copied into the wasm first.
pub fn is(v: &JsValue, text: &str) -> bool {
    v.loose_eq(&JsValue::from_str(text))
}

/// `target[key]` as a string, empty if it is not one.
pub fn text(target: &JsValue, key: &str) -> String {
    get(target, key).as_string().unwrap_or_default()
}

/// `target[key] === true`.
pub fn flag(target: &JsValue, key: &str) -> bool {
    get(target, key).as_bool() == Some(true)
}

/// A JS number as JavaScript's `String(n)` writes it (`5`, `0.01`, `1e+21`): no float
/// formatting in the wasm.
pub fn number_text(n: &JsValue) -> String {
    js_string(n).as_string().unwrap_or_default()
}

/// The items of an array or an array-like (an `HTMLCollection`, a form's `elements`), in
/// order: one iterator type for every list corsform walks, so one `next` in the wasm.
pub struct Items {
    list: Array,
    at: u32,
    len: u32,
}

impl Iterator for Items {
    type Item = JsValue;
    fn next(&mut self) -> Option<JsValue> {
        let item = (self.at < self.len).then(|| self.list.get(self.at));
        self.at += 1;
        item
    }
}

/// The items of an array or array-like.
pub fn values(list: &JsValue) -> Items {
    let list = Array::from(list);
    Items {
        len: list.length(),
        list,
        at: 0,
    }
}

/// The first element matching `selector`; a bad selector is reported as no match.
pub fn query(selector: &str) -> Option<Element> {
    query_selector(selector).ok().flatten()
}

/// `el.localName`: the tag name, lower case for HTML elements whatever the document.
pub fn tag_name(el: &Element) -> String {
    text(el, "localName")
}

/// A form control that can carry a value: `<input>`, `<select>` or `<textarea>`.
pub struct Control {
    el: Element,
}

impl Control {
    /// `el` as a control that can carry a value (input, select, textarea).
    pub fn of(el: &Element) -> Option<Control> {
        el.matches("input,select,textarea")
            .then(|| Control { el: el.clone() })
    }

    /// The element.
    pub fn element(&self) -> &Element {
        &self.el
    }

    /// Whether the control matches `selector`: for an input's kind, `[type=… i]` matches
    /// exactly when the `type` property (the attribute's state) is that kind.
    pub fn is(&self, selector: &str) -> bool {
        self.el.matches(selector)
    }

    /// A checkbox or radio.
    pub fn is_checkable(&self) -> bool {
        self.is("input:is([type=checkbox i],[type=radio i])")
    }

    /// A button-like input that carries no value of its own.
    pub fn is_button(&self) -> bool {
        self.is(
            "input:is([type=submit i],[type=button i],[type=image i],[type=reset i],[type=file i])",
        )
    }

    /// Whether the control is checked (only checkable inputs ever are).
    pub fn checked(&self) -> bool {
        flag(&self.el, "checked")
    }

    /// A `<select multiple>`.
    pub fn is_multiple(&self) -> bool {
        self.is("select[multiple]")
    }

    /// `name`.
    pub fn name(&self) -> String {
        self.el.get_attribute("name").unwrap_or_default()
    }

    /// `:disabled`, fieldsets included.
    pub fn disabled(&self) -> bool {
        self.el.matches(":disabled")
    }

    /// jQuery's `val()`: the values this control contributes (several for a multiple
    /// select, none for an unselected one), `\r` removed.
    pub fn values(&self) -> Vec<String> {
        if !self.is("select") {
            // `\r` removed; not `replace`: no char searcher in the wasm.
            let mut value = String::new();
            for part in crate::pieces(&text(&self.el, "value"), |c| c == '\r') {
                value.push_str(part);
            }
            return vec![value];
        }
        // The selected options that are not disabled (nor in a disabled `<optgroup>`):
        // what jQuery's `val()` gives, one at most for a single select.
        let mut out = Vec::new();
        for o in values(&get(&self.el, "selectedOptions")) {
            let o: Element = o.unchecked_into();
            if !o.matches(":disabled") {
                out.push(text(&o, "value"));
            }
        }
        out
    }

    /// The value the rules see: jquery-validation's `elementValue` (`"NaN"` for a number
    /// input holding something that is not a number).
    pub fn rule_value(&self) -> String {
        if self.is("input[type=number i]") && flag(&get(&self.el, "validity"), "badInput") {
            return "NaN".into();
        }
        // The first value, moved out (no copy): the others dropped, it popped.
        let mut values = self.values();
        values.truncate(1);
        values.pop().unwrap_or_default()
    }
}

fn style(el: &Element) -> Style {
    get(el, "style").unchecked_into()
}

/// Shows `el` even if the page's stylesheet hides it (what jQuery's `show()` does with an
/// inline style): an inline `display` wins over the stylesheet, `revert` gives the
/// element's own default (block for a div, inline for a label).
pub fn show(el: &Element) {
    el.remove_attribute("hidden");
    let style = style(el);
    if is_nullish(&style) {
        return;
    }
    style.set_property("display", "", "");
    if is(&get(&computed_style(el), "display"), "none") {
        style.set_property("display", "revert", "important");
    }
}

/// Hides `el`, whatever the page's stylesheet says.
pub fn hide(el: &Element) {
    let style = style(el);
    if !is_nullish(&style) {
        style.set_property("display", "none", "important");
    }
}

/// Focuses `el` if it can take focus.
pub fn focus(el: &Element) {
    if get(el, "focus").is_function() {
        el.focus_element();
    }
}

/// Adds `token` to the space-separated attribute `name` (e.g. `aria-describedby`), or
/// removes it (and the attribute once empty). The other tokens stay, in their order.
#[allow(clippy::single_char_add_str)] // `push(char)` would bring a UTF-8 encoder
pub fn set_token(el: &Element, name: &str, token: &str, present: bool) {
    let current = el.get_attribute(name).unwrap_or_default();
    let mut rest = String::new();
    for t in crate::pieces(&current, |c| c.is_ascii_whitespace()) {
        if t != token {
            rest.push_str(t);
            rest.push_str(" ");
        }
    }
    if present {
        rest.push_str(token);
    } else if !rest.is_empty() {
        rest.truncate(rest.len() - 1); // the last space
    }
    if rest.is_empty() {
        el.remove_attribute(name)
    } else {
        el.set_attribute(name, &rest)
    }
}

/// A JavaScript `Error` with `message`, and a `kind` property the page can switch on.
pub fn error(kind: &str, message: &str) -> JsValue {
    let e: JsValue = JsError::new(message).into();
    set(&e, "kind", &JsValue::from_str(kind));
    e
}
