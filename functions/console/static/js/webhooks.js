// Inbound webhooks: the list with each one's switch, stats and actions, and its call log.
import { api } from "./api.js";
import { copy, fill, h, hidden, modal, readOrShowError } from "./dom.js";
import { t, when } from "./i18n.js";
import { editWebhook } from "./webhook_dialog.js";

export async function showWebhooks(main) {
  const message = h("p", { class: "message", role: "status" });
  const body = h("div", {}, h("p", {}, t("loading")));
  const refresh = () => load(body, message);
  fill(
    main,
    h(
      "div",
      { class: "heading" },
      h("h1", {}, t("webhooks_title")),
      h("div", { class: "buttons" },
        h("button", { type: "button", onclick: refresh }, t("refresh")),
        h("button", { type: "button", class: "primary", onclick: () => editWebhook(null, refresh) }, t("webhook_new")),
      ),
    ),
    h("p", { class: "intro" }, t("webhooks_intro")),
    message,
    body,
  );
  await refresh();
}

async function load(body, message) {
  const read = await readOrShowError(body, () => Promise.all([api("GET", "/inbound-webhooks"), api("GET", "/lists")]));
  if (read === undefined) return;
  const [webhooks, lists] = read;
  const listNames = new Map(lists.map((item) => [item.id, item.name]));
  if (!webhooks.length) {
    fill(body, h("p", {}, t("webhooks_none")));
    return;
  }
  const refresh = () => load(body, message);
  const table = h(
    "table",
    { class: "rows" },
    h("caption", { class: "visually-hidden" }, t("webhooks_title")),
    h("thead", {}, h("tr", {}, ["col_name", "col_operation", "col_list", "col_active", "col_successes",
      "col_errors", "col_last_call", "col_actions"].map((key) => h("th", { scope: "col" }, t(key))))),
    h("tbody", {}, webhooks.map((webhook) => row(webhook, listNames, message, refresh))),
  );
  fill(body, table);
}

function cell(label, ...content) {
  return h("td", { "data-label": t(label) }, ...content);
}

function row(webhook, listNames, message, refresh) {
  const listName = webhook.list_id ? listNames.get(webhook.list_id) ?? `#${webhook.list_id}` : "—";
  const active = h("input", {
    type: "checkbox",
    role: "switch",
    checked: webhook.active,
    "aria-label": t("active_of", { name: webhook.name }),
  });
  const shown = h("span", { "aria-hidden": "true" }, t(webhook.active ? "on" : "off"));
  active.addEventListener("change", async () => {
    shown.textContent = t(active.checked ? "on" : "off");
    try {
      await api("PATCH", `/inbound-webhooks/${webhook.id}`, { active: active.checked });
      say(message, t(active.checked ? "webhook_switched_on" : "webhook_switched_off", { name: webhook.name }));
    } catch (error) {
      active.checked = !active.checked;
      shown.textContent = t(active.checked ? "on" : "off");
      say(message, error.message, true);
    }
  });
  const action = (label, onclick) =>
    h("button", { type: "button", onclick }, t(label), hidden(` — ${webhook.name}`));
  return h(
    "tr",
    { "data-webhook": webhook.id },
    h("th", { scope: "row", "data-label": t("col_name") }, webhook.name),
    cell("col_operation", t(`op_${webhook.operation}`)),
    cell("col_list", listName),
    cell("col_active", h("label", { class: "switch" }, active, shown)),
    cell("col_successes", h("span", { class: "count" }, webhook.stats.success_count)),
    cell("col_errors", h("span", { class: "count" }, webhook.stats.error_count)),
    cell("col_last_call", when(webhook.stats.last_call_at)),
    cell(
      "col_actions",
      h("div", { class: "buttons" },
        action("copy_url", async () => say(message, t((await copy(webhook.url)) ? "url_copied" : "copy_failed", { url: webhook.url }))),
        action("edit", () => editWebhook(webhook, refresh)),
        action("calls", () => showCalls(webhook)),
        action("rotate_url", () => rotate(webhook, message, refresh)),
        action("delete", () => remove(webhook, message, refresh)),
      ),
    ),
  );
}

// The screen's own message line is a status region: screen readers say it, once.
function say(message, text, isError = false) {
  message.textContent = text;
  message.classList.toggle("error", isError);
}

async function rotate(webhook, message, refresh) {
  if (!window.confirm(t("rotate_confirm", { name: webhook.name }))) return;
  try {
    await api("POST", `/inbound-webhooks/${webhook.id}/rotate-url`);
    // The list first: until it is drawn again, its buttons would act on what was before.
    await refresh();
    say(message, t("url_rotated", { name: webhook.name }));
  } catch (error) {
    say(message, error.message, true);
  }
}

async function remove(webhook, message, refresh) {
  if (!window.confirm(t("delete_confirm", { name: webhook.name }))) return;
  try {
    await api("DELETE", `/inbound-webhooks/${webhook.id}`);
    // The list first: until it is drawn again, its buttons would act on what was before.
    await refresh();
    say(message, t("webhook_deleted", { name: webhook.name }));
  } catch (error) {
    say(message, error.message, true);
  }
}

async function showCalls(webhook) {
  const content = h("div", { class: "calls" }, h("p", {}, t("loading")));
  const close = h("button", { type: "button", onclick: () => dialog.close() }, t("close"));
  const dialog = modal(t("calls_title", { name: webhook.name }), content, h("div", { class: "actions" }, close));
  const calls = await readOrShowError(content, () => api("GET", `/inbound-webhooks/${webhook.id}/calls`));
  if (calls === undefined) return;
  if (!calls.length) {
    fill(content, h("p", {}, t("calls_none")));
    return;
  }
  fill(
    content,
    h("p", {}, t("calls_intro")),
    h("ol", { class: "call-log" }, calls.map((call) =>
      h("li", { class: call.status < 300 ? "ok" : "failed" },
        h("p", {}, h("strong", {}, String(call.status)), " · ", when(call.at)),
        call.error ? h("p", { class: "error" }, call.error) : null,
        h("pre", { tabindex: "0", "aria-label": t("call_body") }, call.body + (call.truncated ? "…" : "")),
      ),
    )),
  );
}
