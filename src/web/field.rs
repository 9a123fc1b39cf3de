//! One named field of the form (a radio group is one field): its controls, its rules, and
//! its message on the page (a `<label class="error">` after it, `aria-invalid`,
//! `aria-describedby`), as jquery-validation shows them.

use std::cell::{Cell, RefCell};

use js_sys::{Function, Reflect, RegExp};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    Element, HtmlElement, HtmlInputElement, HtmlOptionElement, HtmlSelectElement,
    HtmlTextAreaElement,
};

use super::options::Ignore;
use crate::options::ParamSpec;
use crate::rules::{FieldRules, Method, OptionsError, Param, Rule};
use crate::validate::{check_field, Env, Input};

/// `Number(text)`, by the JS engine (`+text`, the same ToNumber): how the rules read
/// numbers in the browser.
pub fn js_number(text: &str) -> f64 {
    JsValue::from_str(text).unchecked_into_f64()
}

/// A rule's parameter as jquery-validation's `rules()` answers it and passes it to a
/// message function (<https://jqueryvalidation.org/rules/>): `true`; a number; `[min, max]`; a string (a
/// selector, a pattern, a date); `require_from_group`'s `[n, selector]`; `remote`'s URL
/// (`true` for corsform-server's check; its `data` and `type` left out); a custom
/// method's as given.
pub fn param_js(p: &Param) -> JsValue {
    let numbers = js_sys::Array::new();
    match p {
        Param::Flag => return JsValue::TRUE,
        Param::Numbers(n) if n.len() == 1 => return js_number(&n[0]).into(),
        Param::Numbers(n) => {
            for t in n {
                numbers.push(&js_number(t).into());
            }
        }
        Param::Text(t) => return t.into(),
        Param::Group(n, selector) => {
            numbers.push(&js_number(n).into());
            numbers.push(&selector.into());
        }
        // `remote: true` (corsform-server's check) as given; else its URL.
        Param::Remote(url, ..) if url.is_empty() => return JsValue::TRUE,
        Param::Remote(url, ..) => return url.into(),
        Param::Custom(spec) => return super::options::to_js(spec),
    }
    numbers.into()
}

/// An element the rules check: a form control, whose value is sent and checked
/// (`<input>`, `<select>`, `<textarea>`), or one of the other elements jquery-validation
/// validates and jQuery's `serialize()` never sends (`[contenteditable]`, and the
/// `customElements` option's).
#[derive(Clone)]
pub enum Control {
    /// `<input>` of any type, with its `type` attribute in ASCII lowercase ("" when it
    /// has none): what the selectors `[type=… i]` compare, read once per read of the form.
    Input(HtmlInputElement, String),
    /// `<select>`, single or multiple.
    Select(HtmlSelectElement),
    /// `<textarea>`.
    TextArea(HtmlTextAreaElement),
    /// An element whose `contenteditable` attribute is there and not `"false"` (a
    /// rich-text editor): its value is its text (`textContent`), as jquery-validation's
    /// `elementValue` reads it with jQuery's `text()`.
    Editable(HtmlElement),
    /// Any other element (one the `customElements` option selects): its value is its
    /// `value` property when that is a string, else "", as jQuery's `val()` reads it.
    Custom(HtmlElement),
}

impl Control {
    /// `el` as a form control, if it is one. (The controls of a form are HTML elements:
    /// the tag name tells which.)
    pub fn of(el: &Element) -> Option<Control> {
        let el = el.clone();
        match el.local_name().as_str() {
            "input" => {
                let ty = el.get_attribute("type").unwrap_or_default();
                Some(Control::Input(el.unchecked_into(), ty.to_ascii_lowercase()))
            }
            "select" => Some(Control::Select(el.unchecked_into())),
            "textarea" => Some(Control::TextArea(el.unchecked_into())),
            _ => None,
        }
    }

    /// `el` as jquery-validation's `elementValue` reads any element: a form control, else
    /// an [`Control::Editable`], else a [`Control::Custom`].
    pub fn any(el: &Element) -> Control {
        Control::of(el).unwrap_or_else(|| {
            let editable = editable(el);
            let el = el.clone().unchecked_into();
            match editable {
                true => Control::Editable(el),
                false => Control::Custom(el),
            }
        })
    }

    /// The control as an element.
    pub fn element(&self) -> &HtmlElement {
        match self {
            Control::Input(i, _) => i,
            Control::Select(s) => s,
            Control::TextArea(t) => t,
            Control::Editable(e) | Control::Custom(e) => e,
        }
    }

    /// Whether the element matches `selector`.
    pub fn is(&self, selector: &str) -> bool {
        self.element().matches(selector).unwrap_or(false)
    }

    /// An `<input>`'s `type` attribute in ASCII lowercase, "" for another control.
    pub fn input_type(&self) -> &str {
        match self {
            Control::Input(_, ty) => ty,
            _ => "",
        }
    }

    /// A checkbox or a radio button.
    pub fn is_checkable(&self) -> bool {
        matches!(self.input_type(), "checkbox" | "radio")
    }

    /// An `<input>` that is a button or a file chooser: never serialized by jQuery.
    pub fn is_button(&self) -> bool {
        matches!(
            self.input_type(),
            "submit" | "button" | "image" | "reset" | "file"
        )
    }

    /// A checked checkbox or radio button.
    pub fn checked(&self) -> bool {
        matches!(self, Control::Input(i, _) if i.checked())
    }

    /// A `<select multiple>`.
    pub fn is_multiple(&self) -> bool {
        matches!(self, Control::Select(s) if s.has_attribute("multiple"))
    }

    /// The `name` attribute (as jQuery's serialize reads it), or "".
    pub fn name(&self) -> String {
        self.element().get_attribute("name").unwrap_or_default()
    }

    /// Disabled, itself or by a disabled `<fieldset>` (`:disabled`).
    pub fn disabled(&self) -> bool {
        self.is(":disabled")
    }

    /// The values jQuery's `val()` gives (a contenteditable's: its `text()`): the value
    /// without `\r` (a textarea's line breaks, normalized by the browser to `\n`), or a
    /// select's selected options that are not disabled (nor in a disabled `<optgroup>`).
    pub fn values(&self) -> Vec<String> {
        let text = match self {
            Control::Input(i, _) => i.value(),
            Control::TextArea(t) => t.value(),
            Control::Editable(e) | Control::Custom(e) => {
                let property = match self {
                    Control::Editable(_) => "textContent",
                    _ => "value",
                };
                let value = Reflect::get(e, &property.into()).ok();
                value.and_then(|v| v.as_string()).unwrap_or_default()
            }
            Control::Select(s) => {
                let mut values = Vec::new();
                for o in super::serialize::items(&s.selected_options()) {
                    if !o.matches(":disabled").unwrap_or(false) {
                        values.push(o.unchecked_into::<HtmlOptionElement>().value());
                    }
                }
                return values;
            }
        };
        let mut text = text;
        text.retain(|c| c != '\r');
        vec![text]
    }

    /// The value the rules see: the first value, or "NaN" for a number input holding what
    /// the browser could not read as a number (its `value` is then "", which would pass as
    /// empty).
    pub fn rule_value(&self) -> String {
        if let Control::Input(i, ty) = self {
            if ty == "number" && i.validity().bad_input() {
                return "NaN".into();
            }
        }
        self.values().into_iter().next().unwrap_or_default()
    }
}

/// Whether `el` has a `contenteditable` attribute that is not `"false"`, as
/// jquery-validation tells a contenteditable element.
pub fn editable(el: &Element) -> bool {
    el.get_attribute("contenteditable")
        .is_some_and(|v| v != "false")
}

/// A `data-*` attribute's text as jQuery's `data()` reads it ([`crate::rules::data_value`]):
/// numbers by the engine's `Number` and `String`, JSON by its `JSON.parse`.
fn data_value(text: String) -> ParamSpec {
    crate::rules::data_value(
        text,
        |t| {
            super::options::param(&js_number(t).into())
                .text()
                .map(str::to_owned)
        },
        |t| {
            js_sys::JSON::parse(t)
                .ok()
                .map(|v| super::options::param(&v))
        },
    )
}

/// Adds `token` to (or removes it from) the space-separated attribute `name` of `el`.
pub fn set_token(el: &Element, name: &str, token: &str, present: bool) {
    let current = el.get_attribute(name).unwrap_or_default();
    let mut tokens = String::new();
    let mut add = |t: &str| {
        if !tokens.is_empty() {
            tokens.push(' ');
        }
        tokens.push_str(t);
    };
    for t in current.split_ascii_whitespace() {
        if t != token {
            add(t);
        }
    }
    if present {
        add(token);
    }
    let _ = match tokens.is_empty() {
        true => el.remove_attribute(name),
        false => el.set_attribute(name, &tokens),
    };
}

/// Shows `el` whatever the page's stylesheet says: the inline `display` cleared, then
/// `revert` (the element's own default) if a stylesheet still hides it.
pub fn show(el: &Element) {
    let _ = el.remove_attribute("hidden");
    let Some(style) = el.dyn_ref::<HtmlElement>().map(HtmlElement::style) else {
        return;
    };
    let _ = style.remove_property("display");
    let hidden = web_sys::window()
        .and_then(|w| w.get_computed_style(el).ok().flatten())
        .and_then(|s| s.get_property_value("display").ok())
        .is_some_and(|d| d == "none");
    if hidden {
        let _ = style.set_property_with_priority("display", "revert", "important");
    }
}

/// Hides `el`, over the page's stylesheet.
pub fn hide(el: &Element) {
    if let Some(el) = el.dyn_ref::<HtmlElement>() {
        let _ = el
            .style()
            .set_property_with_priority("display", "none", "important");
    }
}

/// Moves the focus to `el`. Focus events are dispatched at once, so a caller must hold no
/// borrow a listener could need.
pub fn focus(el: &Element) {
    if let Some(el) = el.dyn_ref::<HtmlElement>() {
        let _ = el.focus();
    }
}

/// How a field's message and state look on the page: jquery-validation's `errorClass`
/// (`"error"`: the message element's class, and the control's while invalid),
/// `validClass` (`"valid"`: the control's once checked and valid) and `errorElement`
/// (`"label"`: the message element's tag).
pub struct Look {
    /// `errorClass`.
    pub error_class: String,
    /// `validClass`.
    pub valid_class: String,
    /// `errorElement`.
    pub error_element: String,
    /// `highlight(element, errorClass, validClass)`: marks an invalid control instead of
    /// the default (the error class on, the valid class off).
    pub highlight: Option<Function>,
    /// `unhighlight(element, errorClass, validClass)`: marks a valid control instead of
    /// the default.
    pub unhighlight: Option<Function>,
    /// `errorPlacement(error, element)`: puts a new message element in the page instead
    /// of right after the control.
    pub error_placement: Option<Function>,
    /// `normalizer(value)`: the value the rules see (`this`: the element).
    pub normalizer: Option<Function>,
    /// `focusCleanup`: a field's message is hidden as it gets the focus.
    pub focus_cleanup: bool,
    /// `ignoreTitle`: a field's `title` is not its message.
    pub ignore_title: bool,
    /// `ariaDescribedByCleanup`: a hidden message's id is taken out of the controls'
    /// `aria-describedby` (else they keep naming the empty message).
    pub aria_cleanup: bool,
    /// `success` given as a string: jquery-validation's class for the message element of
    /// a valid field (a function `success` is the transport's callback).
    pub success: Option<String>,
    /// `wrapper`: the tag of an element each message element is put in, shown and hidden
    /// with it (`""`: none).
    pub wrapper: String,
    /// `errorLabelContainer`'s element: new message elements are appended to it.
    pub label_container: Option<Element>,
    /// `errorContainer`'s elements and `errorLabelContainer`'s: shown while a field of
    /// the form is invalid, hidden once none is.
    pub containers: Vec<Element>,
    /// How many fields of the form are invalid now.
    pub invalid: Cell<u32>,
}

impl Default for Look {
    fn default() -> Look {
        Look {
            error_class: "error".into(),
            valid_class: "valid".into(),
            error_element: "label".into(),
            highlight: None,
            unhighlight: None,
            error_placement: None,
            normalizer: None,
            focus_cleanup: false,
            ignore_title: false,
            aria_cleanup: false,
            success: None,
            wrapper: String::new(),
            label_container: None,
            containers: Vec::new(),
            invalid: Cell::new(0),
        }
    }
}

impl Look {
    /// One more (`by` 1) or one fewer (`by` -1) invalid field, or as many (0): the
    /// containers hidden when none is left (as jquery-validation hides them on the last
    /// error; each error shown shows them).
    fn count(&self, by: i32) {
        let n = self.invalid.get().saturating_add_signed(by);
        self.invalid.set(n);
        if n == 0 {
            self.containers.iter().for_each(hide);
        }
    }

    /// The `wrapper` element `label` is in, if any: it shows and hides with it.
    fn wrapper_of(&self, label: &Element) -> Option<Element> {
        let p = label.parent_element()?;
        (!self.wrapper.is_empty() && p.local_name().eq_ignore_ascii_case(&self.wrapper))
            .then_some(p)
    }

    /// Shows (`on`) or hides the message element `label` and its `wrapper`.
    fn display(&self, label: &Element, on: bool) {
        let f = if on { show } else { hide };
        f(label);
        if let Some(w) = self.wrapper_of(label) {
            f(&w);
        }
    }

    /// Calls the page's `highlight` or `unhighlight` (`f`) for `el`, if given: true then.
    fn mark(&self, f: &Option<Function>, el: &Element) -> bool {
        let Some(f) = f else {
            return false;
        };
        let called = f.call3(
            &JsValue::NULL,
            el,
            &self.error_class.as_str().into(),
            &self.valid_class.as_str().into(),
        );
        if let Err(thrown) = called {
            super::bind::report(&thrown);
        }
        true
    }
}

/// Adds (or removes) `class` on `el`, if there is one to set.
fn set_class(el: &Element, class: &str, present: bool) {
    if class.is_empty() {
        return;
    }
    let list = el.class_list();
    let _ = match present {
        true => list.add_1(class),
        false => list.remove_1(class),
    };
}

/// Where a field's message goes: an element of its own, or its group's
/// (jquery-validation's `groups`: one message element for several fields, named after the
/// group, put after the first of them that fails).
#[derive(Default)]
pub struct Slot {
    /// The group's name; `None` for a field of its own.
    pub group: Option<String>,
    /// The message element, once it was needed.
    label: RefCell<Option<Element>>,
    /// How many of its fields are invalid now: the message hides when none is.
    failing: Cell<u32>,
}

impl Slot {
    /// The slot of the group `name`, shared by its fields.
    pub fn group(name: String) -> Slot {
        Slot {
            group: Some(name),
            ..Slot::default()
        }
    }
}

/// One named field with its rules and its message.
pub struct Field {
    /// Its controls: one, or a group of checkboxes or radio buttons sharing the name.
    pub controls: Vec<Control>,
    /// Its rules and custom messages.
    pub rules: FieldRules,
    /// Its `pattern` rule's expression, anchored and compiled once.
    pattern: Option<RegExp>,
    /// Its message's element: its own, or its group's.
    slot: std::rc::Rc<Slot>,
    /// Failed a check once (at a submit, or as it was left): validated on every input and
    /// as it is left from then on, as jquery-validation's `submitted` says.
    pub submitted: Cell<bool>,
    /// Its error is showing.
    pub invalid: Cell<bool>,
    /// Its last check failed, shown or not (jquery-validation's `invalid`, which
    /// `numberOfInvalids()` counts).
    pub failed: Cell<bool>,
    /// Its `remote` check: the URL asked last and the answer.
    pub remote: RefCell<RemoteCheck>,
    /// Its last check waits on a `remote` answer.
    pub pending: Cell<bool>,
    /// Its message's element and classes.
    look: std::rc::Rc<Look>,
    /// The `messages` option's functions for it, by method.
    pub message_calls: Vec<(Method, Function)>,
}

/// What a field's `remote` rule knows (jquery-validation's `previousValue`): the request
/// asked last, whose query (`NAME=VALUE` and the rule's `data`) is the cache key, and its
/// answer.
#[derive(Default)]
pub struct RemoteCheck {
    /// `URL?NAME=VALUE…` for a GET; `?NAME=VALUE…` for corsform-server's check beside the
    /// form; the URL alone for a POST.
    pub url: String,
    /// A POST's body, `NAME=VALUE…`.
    pub body: Option<String>,
    /// What it answered.
    pub answer: Answer,
    /// Aborts its request (jquery-validation's `abortRequest`), once asked.
    pub abort: Option<web_sys::AbortController>,
}

/// The answer to a `remote` check.
#[derive(Clone, Default, PartialEq)]
pub enum Answer {
    /// To ask: the URL is new.
    Wanted,
    /// Asked; the answer has not come.
    Pending,
    /// `true` or `"true"`.
    Valid,
    /// A message (empty: the rule's own message, `{0}` being the value).
    Invalid(String),
    /// No usable answer (the network, CORS, an HTTP error, not JSON, the timeout), or
    /// nothing asked yet: the rule passes, and the server's own checks decide at the POST.
    #[default]
    Unanswered,
}

/// `new RegExp(source, flags)`, or `None` when the source is not a valid expression
/// (js-sys's `RegExp::new` would throw).
fn regexp(source: &str, flags: &str) -> Option<RegExp> {
    let ctor: Function = Reflect::get(&js_sys::global(), &"RegExp".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let args = js_sys::Array::of2(&source.into(), &flags.into());
    // `new RegExp(…)` gives a RegExp or throws.
    Some(Reflect::construct(&ctor, &args).ok()?.unchecked_into())
}

thread_local! {
    /// The methods' regular expressions, each compiled once (as jquery-validation's are
    /// literals in its source).
    static EXPRESSIONS: RefCell<Vec<(Method, RegExp)>> = const { RefCell::new(Vec::new()) };
}

/// `method`'s regular expression ([`crate::validate::expression`]), compiled at its first use.
fn expression(method: Method) -> RegExp {
    EXPRESSIONS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some((_, re)) = cache.iter().find(|(m, _)| *m == method) {
            return re.clone();
        }
        let (source, flags) = crate::validate::expression(method).unwrap_or_default();
        let re = RegExp::new(source, flags);
        cache.push((method, re.clone()));
        re
    })
}

/// Appends `encodeURIComponent(text)` to `out`, a space as `+` when `plus` (as `$.ajax`
/// writes a form-encoded body).
fn push_uri_component(out: &mut String, text: &str, plus: bool) {
    let encoded = String::from(js_sys::encode_uri_component(text));
    // `encodeURIComponent` writes ASCII only.
    let bytes = encoded.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match plus && bytes[i..].starts_with(b"%20") {
            true => {
                out.push('+');
                i += 3;
            }
            false => {
                out.push(char::from(bytes[i]));
                i += 1;
            }
        }
    }
}

/// A field's verdict at a check, before it is shown.
#[derive(Clone)]
pub enum Verdict {
    /// Its rules pass.
    Valid,
    /// A rule failed (the method; none for a message the server or the page gave): the
    /// message to show.
    Invalid(Option<Method>, String),
    /// Its rules pass so far, and a `remote` answer is awaited.
    Pending,
}

impl Field {
    /// A field of `control`, with the rules its HTML attributes give.
    pub fn new(
        control: Control,
        name: String,
        look: std::rc::Rc<Look>,
        slot: std::rc::Rc<Slot>,
    ) -> Field {
        let el = control.element().clone();
        // The rules ask for some 50 attribute names, the element has a few: its names are
        // read once, and only those it has are fetched (`getAttribute` lowercases its
        // argument on an HTML element, as this comparison does). The form is read again at
        // each validation, so this is its hot path.
        let mut names = Vec::new();
        for n in el.get_attribute_names().iter() {
            if let Some(n) = n.as_string() {
                names.push(n);
            }
        }
        let attr = |a: &str| match names.iter().any(|n| n.eq_ignore_ascii_case(a)) {
            true => el.get_attribute(a),
            false => None,
        };
        let type_attr = attr("type");
        // jquery-validation's order: the classes, the HTML attributes, `data-rule-*`, then
        // the options (applied by `bind`).
        let classes = attr("class").unwrap_or_default();
        let mut rules = FieldRules {
            name,
            rules: crate::rules::class_rules(&classes, &js_number),
            messages: Vec::new(),
        };
        for rule in crate::rules::attribute_rules(type_attr.as_deref(), attr, &js_number) {
            rules.set(rule);
        }
        let data = |a: &str| Some(data_value(attr(a)?));
        if names.iter().any(|n| n.starts_with("data-rule-")) {
            rules.apply_data_rules(type_attr.as_deref(), data, &js_number);
        }
        Field {
            controls: vec![control],
            rules,
            pattern: None,
            slot,
            remote: RefCell::default(),
            pending: Cell::new(false),
            submitted: Cell::new(false),
            invalid: Cell::new(false),
            failed: Cell::new(false),
            look,
            message_calls: Vec::new(),
        }
    }

    /// Takes over what `old`, the same field as an earlier read saw it, showed and knew:
    /// its message's label, whether it was invalid or submitted.
    pub fn take_state(&mut self, old: Field) {
        self.slot = old.slot;
        self.submitted = old.submitted;
        self.invalid = old.invalid;
        self.failed = old.failed;
        self.remote = old.remote;
    }

    /// Compiles the `pattern` rule (at most one per field), as jquery-validation's
    /// additional method does: the whole value must match.
    pub fn compile_pattern(&mut self) -> Result<(), OptionsError> {
        for r in &self.rules.rules {
            if let (Method::Pattern, Param::Text(source)) = (r.method, &r.param) {
                let anchored = ["^(?:", source, ")$"].concat();
                // Compiled as the HTML standard compiles `pattern`: with the `v` flag
                // (Unicode sets: `.` is a code point, `\p{Lu}` works).
                self.pattern = Some(regexp(&anchored, "v").ok_or_else(|| {
                    OptionsError::format(
                        "rules.{0}.pattern: invalid regular expression \"{1}\"",
                        &[&self.rules.name, source],
                    )
                })?);
            }
        }
        Ok(())
    }

    /// Where its message goes.
    pub fn slot(&self) -> &Slot {
        &self.slot
    }

    /// The first control's element.
    pub fn element(&self) -> &HtmlElement {
        self.controls[0].element()
    }

    /// Not validated now: every control is disabled (itself or by its `<fieldset>`: such
    /// a control is never sent either), or the field is one `ignore` names. Read at each
    /// validation, since the page may disable or hide a field after `bind`.
    pub fn ignored(&self, ignore: &Ignore) -> bool {
        if self.controls.iter().all(Control::disabled) {
            return true;
        }
        let el = self.element();
        let named = !ignore.selectors.is_empty() && el.matches(&ignore.selectors).unwrap_or(false);
        // jQuery's `:hidden`: no layout box at all.
        named || (ignore.hidden && el.get_client_rects().length() == 0)
    }

    /// The first control, when it is an `<input>` of one of `types`.
    fn input_of(&self, types: &[&str]) -> Option<&HtmlInputElement> {
        match &self.controls[0] {
            Control::Input(i, ty) => types.contains(&ty.as_str()).then_some(i),
            _ => None,
        }
    }

    /// Shows `verdict`: the message and the invalid marks, or none, or (pending) what
    /// shows stays.
    pub fn show(&self, verdict: &Verdict) {
        match verdict {
            Verdict::Invalid(_, message) => self.show_error(message),
            Verdict::Valid => self.clear_error(),
            Verdict::Pending => {}
        }
    }

    /// Runs the field's rules, without showing anything: which failed first, and its
    /// message (jquery-validation's `check`, before `showErrors`).
    pub fn verdict(&self) -> Verdict {
        let first = &self.controls[0];
        let (text, count) = if first.is_checkable() {
            // The first checked control's value ("" when none is checked), and how many.
            let mut text = None;
            let mut count = 0;
            for c in &self.controls {
                if c.checked() {
                    count += 1;
                    text.get_or_insert_with(|| c.rule_value());
                }
            }
            (text.unwrap_or_default(), Some(count))
        } else {
            let count = first.is_multiple().then(|| first.values().len());
            (first.rule_value(), count)
        };
        // jquery-validation's `normalizer(value)`, `this` the element: what the rules see.
        let text = match &self.look.normalizer {
            Some(f) => match f.call1(self.element(), &text.as_str().into()) {
                Ok(v) => v.as_string().unwrap_or(text),
                Err(thrown) => {
                    super::bind::report(&thrown);
                    text
                }
            },
            None => text,
        };
        self.pending.set(false);
        let verdict = match check_field(&self.rules, Input { text: &text, count }, self) {
            Some(rule) => {
                // jquery-validation's `submitted`: a field that failed once is checked
                // on every change and as it is left, even empty.
                self.submitted.set(true);
                Verdict::Invalid(Some(rule.method), self.message(rule, &text))
            }
            // jquery-validation: while a `remote` answer is awaited, the message stays.
            None if self.pending.get() => Verdict::Pending,
            None => Verdict::Valid,
        };
        self.failed.set(matches!(verdict, Verdict::Invalid(..)));
        verdict
    }

    /// The message for `rule`, as jquery-validation's `defaultMessage` finds it: the
    /// `messages` option's (a function there called with the rule's parameters and the
    /// element), the element's own, else the default (for a custom method whose message
    /// is a function, what it returns for the parameters and the element; for one added
    /// without a message, jquery-validation's "Warning: No message defined for NAME").
    ///
    /// `remote`'s: the message its URL answered, else the rule's, `{0}` being the value.
    fn message(&self, rule: &Rule, value: &str) -> String {
        let remote;
        let rule = match (rule.method, &self.remote.borrow().answer) {
            (Method::Remote, Answer::Invalid(m)) if !m.is_empty() => return m.clone(),
            (Method::Remote, _) => {
                remote = Rule {
                    method: Method::Remote,
                    param: Param::Text(value.to_owned()),
                };
                &remote
            }
            _ => rule,
        };
        // jquery-validation: `message.call(validator, rule.parameters, element)`.
        let call = |f: &Function| {
            f.call2(&super::validator(), &param_js(&rule.param), self.element())
                .inspect_err(super::bind::report)
                .ok()
                .and_then(|t| t.as_string())
                .unwrap_or_default()
        };
        if let Some((_, f)) = self.message_calls.iter().find(|(m, _)| *m == rule.method) {
            return call(f);
        }
        let page = self.page_message(rule);
        let own = page.is_some()
            || self
                .rules
                .messages
                .iter()
                .any(|(m, _)| m.is_none_or(|m| m == rule.method));
        if let (Method::Custom(i), false) = (rule.method, own) {
            if let Some((_, Some(message))) = super::added(i) {
                return call(&message);
            }
            if super::DEFAULTS.with(|d| d.borrow().iter().all(|(m, _)| m != rule.method)) {
                return ["Warning: No message defined for ", &self.rules.name].concat();
            }
        }
        super::DEFAULTS.with(|d| self.rules.message_in(rule, page.as_deref(), &d.borrow()))
    }

    /// The field's own message for `rule`, as jquery-validation reads it: `data-msg-RULE`
    /// (`getAttribute` lower-cases the name, as jQuery's data() reads `data-msg-equalto`
    /// for `equalTo`), else `data-msg`, else `title` (unless `ignoreTitle`); empty ones
    /// skipped.
    fn page_message(&self, rule: &Rule) -> Option<String> {
        let el = self.element();
        let own = |name: &str| el.get_attribute(name).filter(|t| !t.is_empty());
        own(&["data-msg-", rule.method.name()].concat())
            .or_else(|| own("data-msg"))
            .or_else(|| own("title").filter(|_| !self.look.ignore_title))
    }

    /// The group's name, else the field's id, else its name (jquery-validation's
    /// `idOrName`): the message element's id is this and `-error`.
    /// (For checkboxes and radio buttons, their name: one message for the whole group.)
    fn id_or_name(&self) -> String {
        if let Some(group) = &self.slot.group {
            return group.clone();
        }
        if !self.controls[0].is_checkable() {
            match self.element().get_attribute("id") {
                Some(id) if !id.is_empty() => return id,
                _ => {}
            }
        }
        self.rules.name.clone()
    }

    /// The message's `<label>`, made and put after the field when first needed (for a
    /// group, after the first of its fields that needed it).
    fn label(&self) -> Option<Element> {
        if let Some(l) = self.slot.label.borrow().as_ref() {
            return Some(l.clone());
        }
        let el = self.element();
        let document = el.owner_document()?;
        let label = document.create_element(&self.look.error_element).ok()?;
        let for_id = self.id_or_name();
        let _ = label.set_attribute("id", &[&for_id, "-error"].concat());
        let _ = label.set_attribute("class", &self.look.error_class);
        // Announced when it appears as the user leaves a field, not only on submit.
        let _ = label.set_attribute("aria-live", "polite");
        // `for` names the control (a group's: its name, as jquery-validation writes it);
        // not a checkbox's or a radio button's, which clicking the message would change.
        let checkable = self.controls[0].is_checkable();
        if (el.has_attribute("id") && !checkable) || self.slot.group.is_some() {
            let _ = label.set_attribute("for", &for_id);
        }
        // jquery-validation's `showLabel`: the message in its `wrapper`, appended to the
        // `errorLabelContainer`, else placed by `errorPlacement`, else after the control.
        let place = match self.look.wrapper.as_str() {
            "" => label.clone(),
            tag => {
                let wrapper = document.create_element(tag).ok()?;
                let _ = wrapper.append_child(&label);
                wrapper
            }
        };
        match (&self.look.label_container, &self.look.error_placement) {
            (Some(container), _) => {
                let _ = container.append_child(&place);
            }
            (None, Some(f)) => {
                if let Err(thrown) = f.call2(&JsValue::NULL, &place, el) {
                    super::bind::report(&thrown);
                }
            }
            (None, None) => {
                let _ = el.after_with_node_1(&place);
            }
        }
        *self.slot.label.borrow_mut() = Some(label.clone());
        Some(label)
    }

    /// Shows `message` (as text, never HTML) and marks the controls invalid.
    pub fn show_error(&self, message: &str) {
        let label = self.label();
        if let Some(label) = &label {
            label.set_text_content(Some(message));
            if let Some(success) = &self.look.success {
                set_class(label, success, false);
            }
            self.look.display(label, true);
        }
        if !self.invalid.get() {
            self.slot.failing.set(self.slot.failing.get() + 1);
        }
        self.look.count(i32::from(!self.invalid.get()));
        self.look.containers.iter().for_each(show);
        for c in &self.controls {
            // Each control is described by the message from now on (empty while valid).
            if let Some(label) = &label {
                let id = label.get_attribute("id").unwrap_or_default();
                set_token(c.element(), "aria-describedby", &id, true);
            }
            let _ = c.element().set_attribute("aria-invalid", "true");
            if !self.look.mark(&self.look.highlight, c.element()) {
                set_class(c.element(), &self.look.valid_class, false);
                set_class(c.element(), &self.look.error_class, true);
            }
        }
        self.invalid.set(true);
    }

    /// Hides the message and marks the controls valid.
    pub fn clear_error(&self) {
        if self.invalid.get() {
            self.slot.failing.set(self.slot.failing.get() - 1);
        }
        self.look.count(-i32::from(self.invalid.get()));
        // A group's message stays while another of its fields is invalid.
        let label = match self.slot.failing.get() {
            0 => self.slot.label.borrow().clone(),
            _ => None,
        };
        if let Some(label) = &label {
            label.set_text_content(Some(""));
            self.look.display(label, false);
        }
        for c in &self.controls {
            if let (Some(label), true) = (&label, self.look.aria_cleanup) {
                set_token(c.element(), "aria-describedby", &label.id(), false);
            }
            let _ = c.element().set_attribute("aria-invalid", "false");
            if !self.look.mark(&self.look.unhighlight, c.element()) {
                set_class(c.element(), &self.look.error_class, false);
                set_class(c.element(), &self.look.valid_class, true);
            }
        }
        // jquery-validation's `success`: a class on the (now empty) message, shown.
        if let (Some(class), Some(label)) = (&self.look.success, &label) {
            set_class(label, class, true);
            self.look.display(label, true);
        }
        self.invalid.set(false);
    }

    /// Takes out what the field added to the page: the message's label, its id from the
    /// controls' `aria-describedby`, `aria-invalid`, and the error and valid classes.
    pub fn unbind(&self) {
        let slot = &self.slot;
        if self.invalid.replace(false) {
            slot.failing.set(slot.failing.get() - 1);
            let invalid = &self.look.invalid;
            invalid.set(invalid.get().saturating_sub(1));
        }
        // A group's message goes with the last of its invalid fields.
        let label = match slot.failing.get() {
            0 => slot.label.borrow_mut().take(),
            _ => None,
        };
        if let Some(label) = &label {
            self.look
                .wrapper_of(label)
                .unwrap_or_else(|| label.clone())
                .remove();
        }
        let label_id = [&self.id_or_name(), "-error"].concat();
        for c in &self.controls {
            let el = c.element();
            let _ = el.remove_attribute("aria-invalid");
            set_class(el, &self.look.error_class, false);
            set_class(el, &self.look.valid_class, false);
            set_token(el, "aria-describedby", &label_id, false);
        }
    }
}

/// The page, as the rules of one field see it.
impl Env for Field {
    fn number(&self, text: &str) -> f64 {
        js_number(text)
    }

    fn equal_to(&self, selector: &str) -> Option<String> {
        let document = self.element().owner_document()?;
        let el = document.query_selector(selector).ok().flatten()?;
        // jQuery's `$(selector).val()`: another element's `value` property (a custom
        // element's; a contenteditable has none).
        let c = Control::of(&el).unwrap_or_else(|| Control::Custom(el.unchecked_into()));
        Some(c.rule_value())
    }

    fn pattern(&self, _source: &str, value: &str) -> bool {
        self.pattern.as_ref().is_some_and(|re| re.test(value))
    }

    /// jquery-validation's own expression, run by the JS engine's `RegExp`. For an
    /// `<input type=email multiple>`, each address of the comma-separated list, white
    /// space around it ignored, as the HTML standard defines its value.
    fn expression(&self, method: Method, value: &str) -> bool {
        let re = expression(method);
        let multiple = method == Method::Email
            && self
                .input_of(&["email"])
                .is_some_and(|i| i.has_attribute("multiple"));
        match multiple {
            true => value
                .split((|c| c == ',') as fn(char) -> bool)
                .all(|a| re.test(a.trim_ascii())),
            false => re.test(value),
        }
    }

    /// A date or time input's step is in days, seconds, months or weeks, from its own
    /// base: the browser's `validity.stepMismatch` decides.
    fn step(&self, _value: &str) -> Option<bool> {
        let input = self.input_of(&["date", "time", "datetime-local", "month", "week"])?;
        Some(!input.validity().step_mismatch())
    }

    /// The `value` attribute: HTML's step base when there is no `min`.
    fn default_value(&self) -> Option<String> {
        self.element().get_attribute("value")
    }

    /// jquery-validation's `date`: the engine's `new Date(value).toString()` is not
    /// `Invalid Date` (nor has `NaN`).
    fn date(&self, value: &str) -> bool {
        let text = js_sys::Date::new(&value.into()).to_string();
        !RegExp::new("Invalid|NaN", "").test(&String::from(text))
    }

    /// additional-methods' `extension`: `new RegExp("\\.(" + list + ")$", "i")`.
    fn extension(&self, list: &str, value: &str) -> bool {
        let source = ["\\.(", list, ")$"].concat();
        regexp(&source, "i").is_some_and(|re| re.test(value))
    }

    /// additional-methods' `require_from_group`: the elements of the form the selector
    /// matches whose value (for a checkbox or radio, its group's checked one) is not empty.
    fn group_filled(&self, selector: &str) -> Option<usize> {
        let form = self.element().closest("form").ok()??;
        let checked = controls(&form, "input:checked");
        let mut n = 0;
        for c in controls(&form, selector) {
            if filled(&c, &checked) {
                n += 1;
            }
        }
        Some(n)
    }

    /// jquery-validation's `remote`: the answer for this value if there is one; else the
    /// check waits on it (passing meanwhile), and the form asks.
    fn remote(&self, rule: &Rule, value: &str) -> bool {
        let Param::Remote(base, data, post) = &rule.param else {
            return true;
        };
        // jQuery's `$.param`: `encodeURIComponent` of each name and value; `$.ajax` then
        // writes a space as `+` in a form-encoded body, and leaves `%20` in a URL.
        let mut query = String::new();
        let mut add = |k: &str, v: &str| {
            if !query.is_empty() {
                query.push('&');
            }
            push_uri_component(&mut query, k, *post);
            query.push('=');
            push_uri_component(&mut query, v, *post);
        };
        add(&self.rules.name, value);
        for (k, v) in data {
            add(k, v);
        }
        let (url, body) = match post {
            true => (base.clone(), Some(query)),
            false => {
                let joint = match base.bytes().any(|b| b == b'?') {
                    true => "&",
                    false => "?",
                };
                ([base, joint, &query].concat(), None)
            }
        };
        let mut check = self.remote.borrow_mut();
        if check.url != url || check.body != body {
            // jquery-validation's `abortRequest`: the request for the value before is
            // aborted (its answer would be stale). A finished one ignores the abort.
            if let Some(asked) = &check.abort {
                asked.abort();
            }
            *check = RemoteCheck {
                url,
                body,
                answer: Answer::Wanted,
                abort: None,
            };
        }
        match check.answer {
            Answer::Valid | Answer::Unanswered => true,
            Answer::Invalid(_) => false,
            Answer::Wanted | Answer::Pending => {
                self.pending.set(true);
                true
            }
        }
    }

    /// A custom method (`addMethod`): the page's function, called as jquery-validation
    /// calls it, `method.call(validator, value, element, param)`; truthy passes. What it
    /// throws is reported as the page's uncaught error, and the rule fails.
    fn custom(&self, rule: &Rule, value: &str) -> bool {
        let (Method::Custom(i), Param::Custom(param)) = (rule.method, &rule.param) else {
            return false;
        };
        let Some((method, _)) = super::added(i) else {
            return false;
        };
        let param = super::options::to_js(param);
        match method.call3(&super::validator(), &value.into(), self.element(), &param) {
            Ok(verdict) => verdict.is_truthy(),
            Err(thrown) => {
                super::bind::report(&thrown);
                false
            }
        }
    }
}

/// The elements of `form` that `selector` matches, each as jquery-validation's
/// `elementValue` reads it ([`Control::any`]).
fn controls(form: &Element, selector: &str) -> Vec<Control> {
    let Ok(list) = form.query_selector_all(selector) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for el in super::serialize::items(&list) {
        out.push(Control::any(&el));
    }
    out
}

/// Whether `c` has a value; for a checkbox or a radio button, whether a control of its
/// name is among `checked` with a value.
fn filled(c: &Control, checked: &[Control]) -> bool {
    if !c.is_checkable() {
        return !c.rule_value().is_empty();
    }
    let name = c.name();
    for o in checked {
        if o.name() == name && !o.rule_value().is_empty() {
            return true;
        }
    }
    false
}

/// jquery-validation's `optional(element)` (what `this.optional(element)` answers in a
/// custom method): whether the element has no value (no box of its group ticked in its
/// form, no option chosen), as its `required` says.
pub fn blank(el: &JsValue) -> bool {
    let Some(c) = el.dyn_ref().map(Control::any) else {
        return true;
    };
    let form = c.element().closest("form").ok().flatten();
    let checked = form.map_or_else(Vec::new, |f| controls(&f, "input:checked"));
    !filled(&c, &checked)
}
