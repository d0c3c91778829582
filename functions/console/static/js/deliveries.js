// An export endpoint's delivery log, newest first, one status at a time; a delivery can be sent again.
import { api } from "./api.js";
import { fill, h, hidden } from "./dom.js";
import { t, when } from "./i18n.js";

const STATUSES = ["delivered", "failed", "pending", "aborted", "dropped"];

export function deliveryLog(endpoint) {
  const status = h("select", { onchange: () => load() }, STATUSES.map((value) => h("option", { value }, t(`delivery_${value}`))));
  const rows = h("div", { class: "deliveries" });
  const message = h("p", { role: "status" });

  async function load() {
    let page;
    try {
      page = await api("GET", `/endpoints/${endpoint.id}/deliveries?status=${encodeURIComponent(status.value)}`);
    } catch (error) {
      fill(rows, h("p", { class: "error" }, error.message));
      return;
    }
    if (!page.deliveries.length) {
      fill(rows, h("p", {}, t("deliveries_none")));
      return;
    }
    fill(rows, h("table", { class: "rows" },
      h("caption", { class: "visually-hidden" }, t("deliveries_title")),
      h("thead", {}, h("tr", {}, ["col_time", "col_kind", "col_answer", "col_attempts", "col_actions"].map((key) => h("th", { scope: "col" }, t(key))))),
      h("tbody", {}, page.deliveries.map((delivery) => row(delivery)))));
  }

  function row(delivery) {
    const kind = delivery.payload.test ? t("test_event") : t(`activity_${delivery.payload.activity_id}`);
    const answer = delivery.last_status_code ?? delivery.last_error ?? "—";
    const retry = ["delivered", "failed"].includes(delivery.status)
      ? h("button", { type: "button", onclick: async () => {
        try {
          await api("POST", `/deliveries/${encodeURIComponent(delivery.webhook_id)}/retry`);
          message.textContent = t("retry_queued");
        } catch (error) {
          message.textContent = error.message;
        }
      } }, t("retry"), hidden(` — ${delivery.webhook_id}`))
      : null;
    return h("tr", {},
      h("td", { "data-label": t("col_time") }, when(delivery.created_at)),
      h("td", { "data-label": t("col_kind") }, kind),
      h("td", { "data-label": t("col_answer") }, String(answer)),
      h("td", { "data-label": t("col_attempts") }, String(delivery.attempt_count)),
      h("td", { "data-label": t("col_actions") }, retry ?? "—"));
  }

  const element = h("div", { class: "log" },
    h("h3", {}, t("deliveries_title")),
    h("label", { class: "inline" }, t("delivery_status"), status),
    message,
    rows);
  element.reload = load;
  load();
  return element;
}
