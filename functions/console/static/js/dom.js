// Elements built from code: text always goes in as text, never as HTML.

let counter = 0;

/** A new id, unique on the page: labels and hints point at controls by id. */
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

/**
 * h("button", {type: "button", onclick: f, class: "x"}, "text", child) -> HTMLButtonElement.
 * Attributes named on... become listeners; true sets a boolean attribute, false and null leave it out.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else if (value !== false && value !== null && value !== undefined) {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
}

/** Text only a screen reader reads: what a repeated button is about, say. */
export function hidden(text) {
  return h("span", { class: "visually-hidden" }, text);
}

/** A labelled control with a hint and a place for its error, which the control is described by. */
export function field(label, control, hint = null) {
  const id = control.id || uid("field");
  control.id = id;
  const error = h("p", { class: "error", id: `${id}-error`, hidden: true });
  const hintElement = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  control.setAttribute("aria-describedby", [hintElement?.id, error.id].filter(Boolean).join(" "));
  const wrapper = h("div", { class: "field" }, h("label", { for: id }, label), hintElement, control, error);
  return { wrapper, control, error };
}

/** Shows an error next to its control (or clears it with null). */
export function showError(entry, message) {
  entry.error.textContent = message ?? "";
  entry.error.hidden = !message;
  if (message) entry.control.setAttribute("aria-invalid", "true");
  else entry.control.removeAttribute("aria-invalid");
}

/** Replaces what the element holds. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** What read() answers; or, when the API refuses or cannot be reached, undefined, with why shown in the
 * element in place of what it held. */
export async function readOrShowError(element, read) {
  try {
    return await read();
  } catch (error) {
    fill(element, h("p", { class: "error", role: "alert" }, error.message));
    return undefined;
  }
}

/** The text into the clipboard; false when the browser refused. */
export async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** Said to screen readers, through the page's one hidden status region. */
export function announce(text) {
  const status = document.getElementById("status");
  if (status) status.textContent = text;
}

/** A modal dialog with a heading and a close button; closed, it leaves the page. */
export function modal(title, ...content) {
  const heading = h("h2", { id: uid("dialog-title") }, title);
  const dialog = h("dialog", { "aria-labelledby": heading.id, class: "modal" }, heading, ...content);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}
