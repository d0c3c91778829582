// Sending domains: add one, publish its DKIM records, and see SES verify it.
import { api, ApiError, problems } from "./api.js";
import { field, fill, h, readOrShowError, showError } from "./dom.js";
import { t } from "./i18n.js";

export async function showDomains(main) {
  const list = h("div", { class: "domains" }, h("p", {}, t("loading")));
  const domain = field(t("domain"), h("input", { type: "text", autocomplete: "off", placeholder: "shop.example" }), t("domain_hint"));
  const form = h("form", { novalidate: true, class: "card inline-form" }, domain.wrapper,
    h("button", { type: "submit", class: "primary" }, t("domain_add")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(domain, null);
    try {
      await api("POST", "/sending-domains", { domain: domain.control.value.trim() });
      domain.control.value = "";
      await load(list);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      showError(domain, [...problems(error.message).values()].flat().join(" "));
    }
  });
  fill(main, h("h1", {}, t("domains_title")), h("p", { class: "intro" }, t("domains_intro")), form, list);
  await load(list);
}

async function load(list) {
  const domains = await readOrShowError(list, () => api("GET", "/sending-domains"));
  if (domains === undefined) return;
  fill(list, domains.length ? domains.map(card) : h("p", {}, t("domains_none")));
}

function card(domain) {
  return h("section", { class: "card", "aria-label": domain.domain, "data-domain": domain.domain },
    h("h2", {}, domain.domain, " ", h("span", { class: `badge ${domain.status}` }, t(`domain_${domain.status}`))),
    h("p", {}, t(domain.status === "verified" ? "domain_verified_hint" : "domain_pending_hint")),
    h("table", { class: "rows records" },
      h("caption", {}, t("dkim_records")),
      h("thead", {}, h("tr", {}, ["col_record_name", "col_record_type", "col_record_value"].map((key) => h("th", { scope: "col" }, t(key))))),
      h("tbody", {}, domain.dkim_records.map((record) => h("tr", {},
        h("td", { "data-label": t("col_record_name") }, h("code", {}, record.name)),
        h("td", { "data-label": t("col_record_type") }, record.type),
        h("td", { "data-label": t("col_record_value") }, h("code", {}, record.value)))))));
}
