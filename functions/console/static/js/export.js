// Activity export: the account's endpoints, each with its kinds, switch, owner email and limits, its
// health, a test event and its delivery log.
import { api } from "./api.js";
import { announce, copy, fill, h, readOrShowError } from "./dom.js";
import { percent, t } from "./i18n.js";
import { deliveryLog } from "./deliveries.js";
import { endpointForm } from "./endpoint_form.js";

export async function showExport(main) {
  const list = h("div", { class: "endpoints" }, h("p", {}, t("loading")));
  const created = h("div");
  const newEndpoint = h("button", { type: "button", class: "primary", onclick: () => {
    fill(created, h("section", { class: "card", "aria-labelledby": "new-endpoint" },
      h("h2", { id: "new-endpoint" }, t("endpoint_new")),
      endpointForm(null, (endpoint) => {
        fill(created, secretNote(endpoint));
        load(list);
      })));
    created.querySelector("input")?.focus();
  } }, t("endpoint_new"));
  fill(
    main,
    h("div", { class: "heading" }, h("h1", {}, t("export_title")), h("div", { class: "buttons" }, newEndpoint)),
    h("p", { class: "intro" }, t("export_intro")),
    created,
    list,
  );
  await load(list);
}

async function load(list) {
  const endpoints = await readOrShowError(list, () => api("GET", "/endpoints"));
  if (endpoints === undefined) return;
  fill(list, endpoints.length ? endpoints.map((endpoint) => card(endpoint, () => load(list))) : h("p", {}, t("endpoints_none")));
}

/** The signing secret, which the API shows on creation only. */
function secretNote(endpoint) {
  const secret = h("input", { type: "text", readonly: true, value: endpoint.secret, "aria-label": t("secret") });
  return h("section", { class: "card secret", "aria-label": t("secret") },
    h("h2", {}, t("endpoint_created")),
    h("p", {}, t("secret_once")),
    h("div", { class: "url-line" }, secret,
      h("button", { type: "button", onclick: async () => announce(t((await copy(endpoint.secret)) ? "secret_copied" : "copy_failed")) }, t("copy_secret"))));
}

function card(endpoint, reload) {
  const log = deliveryLog(endpoint);
  const title = h("h2", {}, endpoint.url);
  // Saved in place: the form already shows what was stored, and its check mark stays in view.
  const saved = (stored) => {
    title.textContent = stored.url;
    section.setAttribute("aria-label", stored.url);
  };
  const section = h("section", { class: "card endpoint", "aria-label": endpoint.url, "data-endpoint": endpoint.id },
    title,
    endpointForm(endpoint, saved),
    health(endpoint, reload),
    testEvent(endpoint),
    log);
  section.addEventListener("console:test-sent", () => log.reload());
  return section;
}

function health(endpoint, reload) {
  const state = endpoint.health;
  const recovered = h("p", { role: "status" });
  const since = h("input", { type: "date", value: new Date(Date.now() - 7 * 864e5).toISOString().slice(0, 10) });
  const recover = state.state !== "disabled" ? null : h("div", { class: "recover" },
    h("label", {}, t("recover_since"), since),
    h("button", { type: "button", onclick: async () => {
      try {
        const answer = await api("POST", `/endpoints/${endpoint.id}/recover`, { since: new Date(since.value).toISOString() });
        recovered.textContent = t("recovered", { count: answer.queued });
        await reload();
      } catch (error) {
        recovered.textContent = error.message;
      }
    } }, t("recover")),
    recovered);
  return h("div", { class: "health" },
    h("h3", {}, t("health")),
    h("dl", {},
      h("dt", {}, t("health_state")), h("dd", { class: `state ${state.state}` }, t(`state_${state.state}`)),
      h("dt", {}, t("failure_rate")), h("dd", {}, percent(state.failure_rate)),
      h("dt", {}, t("last_error")), h("dd", {}, state.last_error ?? "—"),
      state.disabled_reason ? [h("dt", {}, t("disabled_reason")), h("dd", {}, state.disabled_reason)] : null),
    recover);
}

function testEvent(endpoint) {
  const result = h("p", { class: "test-result", role: "status" });
  const button = h("button", { type: "button", onclick: async () => {
    button.disabled = true;
    result.textContent = t("test_sending");
    try {
      const sent = await api("POST", `/endpoints/${endpoint.id}/test`);
      result.textContent = sent.status === null
        ? t("test_no_answer", { error: sent.error, ms: sent.latency_ms })
        : t("test_answered", { status: sent.status, ms: sent.latency_ms }) + (sent.error ? ` — ${sent.error}` : "");
      result.dispatchEvent(new CustomEvent("console:test-sent", { bubbles: true }));
    } catch (error) {
      result.textContent = error.message;
    } finally {
      button.disabled = false;
    }
  } }, t("test_send"));
  return h("div", { class: "test" }, h("h3", {}, t("test_title")), button, result);
}
