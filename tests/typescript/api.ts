// The JavaScript API as the README documents it, type-checked against the generated
// `pkg/corsform.d.ts` by `cargo xtask test` (`tsc --noEmit --strict`): each shape the
// README shows must be accepted, and the lines marked `@ts-expect-error` must be refused
// (tsc fails if one of them is accepted). Nothing here runs.

import init, { addMethod, bind, serialize, setDefaults } from "../../pkg/corsform.js";
import type { Controller, CorsformError, CorsformOptions, ErrorListItem } from "../../pkg/corsform.js";

export async function readme(): Promise<void> {
  // The README's first example.
  await init();
  const contact = bind("#contact", {
    rules: { subject: "required", from: { email: true }, message: { required: true, minlength: 10 } },
    messages: { message: { minlength: "Tell us a little more ({0} characters at least)." } },
    panels: { main: "#contact-popup .main", sending: "#contact-popup .sending",
              success: "#contact-popup .success", error: "#contact-popup .error" },
  });
  const valid: boolean = contact.validate();
  const answer: unknown = await contact.submit();
  contact.showErrors({ from: "Unknown address." });
  const invalids: number = contact.numberOfInvalids();
  const one: boolean = contact.element("#from");
  contact.resetForm();
  contact.rules("#from", "add", { minlength: 5, messages: { minlength: "Too short." } });
  contact.rules("#from", "add", "required email");
  const taken = contact.rules("#from", "remove", "minlength");
  const now: Record<string, unknown> | undefined = contact.rules(document.body);
  contact.destroy();
  const body: string = serialize("#contact");
  void [valid, answer, invalids, one, taken, now, body];
}

// Every rule shape the README documents.
export const shapes: CorsformOptions = {
  rules: {
    a: { required: true, minlength: 3, maxlength: 9, rangelength: [2, 5], range: [1, 9] },
    b: { required: (element: HTMLElement) => element.id === "b" },
    c: { minlength: { param: 3, depends: (element: HTMLElement) => element.id === "c" } },
    d: { required: { depends: "#other:checked" } },
    e: { require_from_group: [2, ".phone"] },
    f: { remote: "https://api.example.test/check" },
    g: { remote: { url: "https://api.example.test/check", type: "post", data: { other: () => "x" } } },
    h: { remote: true, equalTo: "#h0", pattern: "[a-z]+", step: 0.5, min: "2026-01-01" },
    i: { required: false, myCustomMethod: { anything: [1, "two"] } },
  },
  messages: {
    a: "One message for every rule.",
    b: { required: "Required.", minlength: (params: number, element: HTMLElement) => `${params} ${element.id}` },
    i: { myCustomMethod: "A custom method's message." },
  },
  customElements: ["my-input"],
  ignore: ":hidden, .skip",
  showErrors(this: Controller, errorMap: Record<string, string>, errorList: ErrorListItem[]) {
    this.defaultShowErrors();
    void [errorMap, errorList.map((item) => [item.message, item.element, item.method])];
  },
  submitHandler(this: Controller, form: HTMLFormElement) {
    void form;
    return this.send();
  },
  error(err: CorsformError) {
    void [err.kind, err.status, err.data];
  },
};

export function methods(): void {
  addMethod("noSpace", function (value, element) {
    return this.optional(element) !== false || !value.includes(" ");
  }, "No spaces, please.");
  addMethod("divisibleBy", (value: string, _element: HTMLElement, param: any) => Number(value) % param === 0,
    (param: number) => `A multiple of ${param}.`);
  addMethod("withoutMessage", (value: string) => value !== "");
  setDefaults({ messages: { required: "Bitte ausfüllen.", minlength: "Mindestens {0} Zeichen." } });
}

// What the README says is refused.
export const refused: CorsformOptions[] = [
  // @ts-expect-error customElements is an array of selectors
  { customElements: "my-input" },
  // @ts-expect-error a message is text or a function
  { messages: { a: { required: 3 } } },
  // @ts-expect-error rules are per field
  { rules: "required" },
];
// @ts-expect-error the method comes before its message
addMethod("wrongOrder", "message", () => true);
