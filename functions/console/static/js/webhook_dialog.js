// The new/edit dialog of an inbound webhook: its operation and list, a sample payload (pasted as JSON or
// as a form body, or captured from a live call), and one select per parameter over the sample's nodes.
import { api, ApiError, problems } from "./api.js";
import { announce, copy, field, fill, h, modal, showError, uid } from "./dom.js";
import { t } from "./i18n.js";

const POLL_MS = 1000;
const PREVIEW = 48;

export async function editWebhook(webhook, saved) {
  let operations, lists;
  try {
    [operations, lists] = await Promise.all([api("GET", "/operations"), api("GET", "/lists")]);
  } catch (error) {
    announce(error.message);
    return;
  }
  new WebhookDialog(webhook, operations, lists, saved);
}

/** A form body as the API reads one: literal keys, a repeated key a list. */
function formDocument(body) {
  const document = new Map();
  for (const [key, value] of new URLSearchParams(body.trim())) {
    const seen = document.get(key);
    document.set(key, seen === undefined ? value : [].concat(seen, value));
  }
  return Object.fromEntries(document);
}

function preview(example) {
  const text = JSON.stringify(example) ?? "null";
  return text.length > PREVIEW ? `${text.slice(0, PREVIEW)}…` : text;
}

class WebhookDialog {
  constructor(webhook, operations, lists, saved) {
    this.webhook = webhook;
    this.operations = new Map(operations.map((operation) => [operation.name, operation]));
    this.lists = new Map(lists.map((item) => [item.id, item]));
    this.saved = saved;
    this.sample = webhook?.sample_payload ?? null;
    this.nodes = [];
    this.mapping = { ...(webhook?.mapping ?? {}) };
    this.parameterFields = new Map();
    this.build();
    if (this.sample !== null) this.readNodes({ payload: this.sample });
  }

  build() {
    const webhook = this.webhook;
    this.name = field(t("name"), h("input", { type: "text", value: webhook?.name ?? "", maxlength: 200, autocomplete: "off" }));
    this.operation = field(t("operation"), h("select", { onchange: () => this.operationChanged() },
      [...this.operations.keys()].map((name) =>
        h("option", { value: name, selected: name === webhook?.operation }, t(`op_${name}`)))));
    this.list = field(t("list"), h("select", { onchange: () => this.drawParameters() },
      h("option", { value: "" }, t("list_choose")),
      [...this.lists.values()].map((item) =>
        h("option", { value: item.id, selected: item.id === webhook?.list_id }, item.name))), t("list_hint"));
    this.sampleText = field(t("sample_json"), h("textarea", { rows: 6, spellcheck: "false",
      onchange: () => this.readPasted() }), t("sample_hint"));
    if (this.sample !== null) this.sampleText.control.value = JSON.stringify(this.sample, null, 2);
    const kind = uid("sample-kind");
    this.kinds = ["json", "form"].map((value) =>
      h("input", { type: "radio", name: kind, value, checked: value === "json", onchange: () => this.kindChanged() }));
    this.listenState = h("p", { class: "hint", role: "status" });
    this.hookUrl = h("input", { type: "text", readonly: true, value: webhook?.url ?? "", "aria-label": t("webhook_url") });
    this.urlLine = h("div", { class: "url-line", hidden: !webhook }, this.hookUrl,
      h("button", { type: "button", onclick: async () => announce(t((await copy(this.hookUrl.value)) ? "url_copied" : "copy_failed", { url: this.hookUrl.value })) }, t("copy_url")));
    this.parameters = h("div", { class: "parameters" });
    this.active = h("input", { type: "checkbox", role: "switch", checked: webhook?.active ?? true });
    this.general = h("p", { class: "error", role: "alert", hidden: true });
    const form = h("form", { novalidate: true, class: "webhook-form" },
      this.name.wrapper,
      this.operation.wrapper,
      this.list.wrapper,
      h("fieldset", {},
        h("legend", {}, t("sample")),
        h("div", { class: "choices" }, this.kinds.map((radio) =>
          h("label", {}, radio, t(radio.value === "json" ? "sample_as_json" : "sample_as_form")))),
        this.sampleText.wrapper,
        h("div", { class: "buttons" },
          h("button", { type: "button", onclick: () => this.readPasted() }, t("sample_read")),
          h("button", { type: "button", onclick: () => this.listen() }, t("sample_listen"))),
        this.urlLine,
        this.listenState),
      h("fieldset", {}, h("legend", {}, t("parameters")), h("p", { class: "hint" }, t("parameters_hint")), this.parameters),
      h("label", { class: "switch" }, this.active, t("active_label")),
      this.general,
      h("div", { class: "actions" },
        h("button", { type: "button", onclick: () => this.dialog.close() }, t("cancel")),
        h("button", { type: "submit", class: "primary" }, t("save"))));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    this.dialog = modal(t(webhook ? "webhook_edit_title" : "webhook_new_title"), form);
    this.dialog.classList.add("wide");
    // A capture stores the webhook before it is saved: the list shows it, whichever way the dialog closes.
    this.dialog.addEventListener("close", () => {
      this.closed = true;
      this.saved();
    });
    this.operationChanged();
    this.name.control.focus();
  }

  get chosenOperation() {
    return this.operations.get(this.operation.control.value);
  }

  operationChanged() {
    this.list.wrapper.hidden = !this.chosenOperation.uses_webhook_list;
    this.drawParameters();
  }

  kindChanged() {
    const form = this.kinds[1].checked;
    this.sampleText.wrapper.querySelector("label").textContent = t(form ? "sample_form" : "sample_json");
  }

  /** The operation's parameters, and for an operation on a list, the chosen list's custom fields. */
  parameterList() {
    const operation = this.chosenOperation;
    const chosen = this.lists.get(Number(this.list.control.value));
    const custom = operation.uses_webhook_list && chosen
      ? chosen.fields.map((each) => ({ name: each.name, required: each.required, default: null, custom: true }))
      : [];
    return [...operation.parameters, ...custom];
  }

  drawParameters() {
    this.parameterFields.clear();
    const parameters = this.parameterList();
    fill(this.parameters, this.nodes.length ? null : h("p", { class: "hint" }, t("parameters_need_sample")),
      parameters.map((parameter) => this.parameterField(parameter).wrapper));
  }

  parameterField(parameter) {
    const hasDefault = parameter.default !== null && parameter.default !== undefined;
    const none = parameter.required ? t("node_choose") : hasDefault
      ? t("not_mapped_default", { value: preview(parameter.default) }) : t("not_mapped");
    const chosen = this.mapping[parameter.name] ?? "";
    const paths = this.nodes.map((node) => node.path);
    const select = h("select", {
      disabled: !this.nodes.length,
      "aria-required": parameter.required ? "true" : null,
      "data-parameter": parameter.name,
      onchange: (event) => {
        if (event.target.value) this.mapping[parameter.name] = event.target.value;
        else delete this.mapping[parameter.name];
      },
    },
    h("option", { value: "" }, none),
    this.nodes.map((node) => h("option", { value: node.path, selected: node.path === chosen }, `${node.path} = ${preview(node.example)}`)),
    chosen && !paths.includes(chosen) ? h("option", { value: chosen, selected: true }, t("node_missing", { path: chosen })) : null);
    const label = [parameter.name, parameter.required ? ` (${t("required")})` : ""].join("");
    const hints = [parameter.custom ? t("custom_field") : null, hasDefault ? t("default_is", { value: preview(parameter.default) }) : null];
    const entry = field(label, select, hints.filter(Boolean).join(" · ") || null);
    if (parameter.required) entry.wrapper.classList.add("required");
    this.parameterFields.set(parameter.name, entry);
    return entry;
  }

  async readPasted() {
    const text = this.sampleText.control.value.trim();
    showError(this.sampleText, null);
    if (!text) return;
    if (this.kinds[1].checked) {
      await this.readNodes({ form: text }, formDocument(text));
      return;
    }
    let document;
    try {
      document = JSON.parse(text);
    } catch (error) {
      showError(this.sampleText, t("sample_not_json", { why: error.message }));
      return;
    }
    await this.readNodes({ payload: document }, document);
  }

  async readNodes(sample, document = this.sample) {
    try {
      this.nodes = await api("POST", "/payload-paths", sample);
    } catch (error) {
      showError(this.sampleText, error.message);
      return;
    }
    this.sample = document;
    this.drawParameters();
    announce(t("sample_nodes", { count: this.nodes.length }));
  }

  settings() {
    const operation = this.chosenOperation;
    const listId = this.list.control.value ? Number(this.list.control.value) : null;
    const names = new Set(this.parameterList().map((parameter) => parameter.name));
    const mapping = Object.fromEntries(Object.entries(this.mapping).filter(([name]) => names.has(name)));
    const settings = {
      name: this.name.control.value.trim(),
      operation: operation.name,
      mapping,
      sample_payload: this.sample,
      active: this.active.checked,
      list_id: operation.uses_webhook_list ? listId : null,
    };
    if (!this.webhook && settings.list_id === null) delete settings.list_id;
    return settings;
  }

  clearErrors() {
    for (const entry of [this.name, this.operation, this.list, this.sampleText, ...this.parameterFields.values()]) {
      showError(entry, null);
    }
    this.general.hidden = true;
  }

  showProblems(error) {
    if (!(error instanceof ApiError)) throw error;
    const places = { name: this.name, operation: this.operation, list_id: this.list, sample_payload: this.sampleText };
    const general = [];
    for (const [where, messages] of problems(error.message)) {
      const parameter = where.startsWith("mapping.") ? this.parameterFields.get(where.slice(8)) : null;
      const entry = places[where] ?? parameter;
      if (entry) showError(entry, messages.join(" "));
      else general.push(...messages.map((message) => (where ? `${where}: ${message}` : message)));
    }
    this.general.textContent = general.join(" ");
    this.general.hidden = !general.length;
    this.dialog.querySelector("[aria-invalid=true]")?.focus();
  }

  async store(settings) {
    return this.webhook
      ? api("PATCH", `/inbound-webhooks/${this.webhook.id}`, settings)
      : api("POST", "/inbound-webhooks", settings);
  }

  async save() {
    this.clearErrors();
    try {
      const stored = await this.store(this.settings());
      this.dialog.close();
      announce(t("webhook_saved", { name: stored.name }));
    } catch (error) {
      this.showProblems(error);
    }
  }

  /** The next call to the URL becomes the sample; a new webhook is stored first, switched off, for its URL. */
  async listen() {
    this.clearErrors();
    try {
      if (!this.webhook) this.webhook = await this.store({ ...this.settings(), active: false, mapping: {}, sample_payload: null });
      this.webhook = await api("POST", `/inbound-webhooks/${this.webhook.id}/listen`);
    } catch (error) {
      this.showProblems(error);
      return;
    }
    this.hookUrl.value = this.webhook.url;
    this.urlLine.hidden = false;
    this.listenState.textContent = t("sample_waiting");
    while (!this.closed) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      const current = await api("GET", `/inbound-webhooks/${this.webhook.id}`).catch(() => null);
      if (current && !current.listening) {
        this.listenState.textContent = t("sample_arrived");
        this.kinds[0].checked = true;
        this.kindChanged();
        this.sampleText.control.value = JSON.stringify(current.sample_payload, null, 2);
        await this.readNodes({ payload: current.sample_payload }, current.sample_payload);
        return;
      }
    }
  }
}
