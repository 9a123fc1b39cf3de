//! The JavaScript built-ins corsform uses, declared here rather than taken from js-sys:
//! only these methods, and none of js-sys's generic closure signatures, whose shims
//! wasm-bindgen keeps in the function table whether they are used or not.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// A plain object.
    pub type Object;
    /// `new Object()`.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Object;
    /// `Object.entries(value)`: its own enumerable `[key, value]` pairs.
    #[wasm_bindgen(static_method_of = Object)]
    pub fn entries(value: &JsValue) -> Array;

    /// An array (or what `Array.from` made of an array-like).
    pub type Array;
    /// `Array.from(list)`.
    #[wasm_bindgen(static_method_of = Array)]
    pub fn from(list: &JsValue) -> Array;
    /// `Array.isArray(value)`.
    #[wasm_bindgen(static_method_of = Array, js_name = isArray)]
    pub fn is_array(value: &JsValue) -> bool;
    /// `array.length`.
    #[wasm_bindgen(method, getter)]
    pub fn length(this: &Array) -> u32;
    /// `array[index]`.
    #[wasm_bindgen(method, structural, indexing_getter)]
    pub fn get(this: &Array, index: u32) -> JsValue;

    /// A function of the page's.
    #[derive(Clone)]
    pub type Function;
    /// `f.call(this_arg, arg)`: the page's code may throw.
    #[wasm_bindgen(method, catch, js_name = call)]
    pub fn call1(this: &Function, this_arg: &JsValue, arg: &JsValue) -> Result<JsValue, JsValue>;

    /// A promise.
    pub type Promise;
    /// `Promise.reject(reason)`.
    #[wasm_bindgen(static_method_of = Promise)]
    pub fn reject(reason: &JsValue) -> Promise;

    /// A JavaScript `Error`.
    #[wasm_bindgen(js_name = Error)]
    pub type JsError;
    /// `new Error(message)`.
    #[wasm_bindgen(constructor, js_class = "Error")]
    pub fn new(message: &str) -> JsError;

    /// `JSON.parse(text)`: throws on what is not JSON.
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    pub fn json_parse(text: &JsValue) -> Result<JsValue, JsValue>;

    /// A regular expression.
    pub type RegExp;
    /// `new RegExp(source, flags)`: throws on a bad source.
    #[wasm_bindgen(constructor, catch)]
    pub fn new(source: &str, flags: &str) -> Result<RegExp, JsValue>;
    /// `re.test(text)`.
    #[wasm_bindgen(method)]
    pub fn test(this: &RegExp, text: &str) -> bool;
}
