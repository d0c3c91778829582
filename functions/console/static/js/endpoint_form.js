// An export endpoint's settings: URL, the six kinds of activity, switch, owner email and limits.
import { api, ApiError, problems } from "./api.js";
import { field, h, showError } from "./dom.js";
import { t } from "./i18n.js";

export const KINDS = ["send", "open", "click", "subscribe", "unsubscribe", "complaint"];

function number(value) {
  return value.trim() === "" ? null : Number(value);
}

/** The form of an endpoint (null: a new one); done(endpoint) once it is stored. */
export function endpointForm(endpoint, done) {
  const url = field(t("endpoint_url"), h("input", { type: "url", value: endpoint?.url ?? "", autocomplete: "off" }), t("endpoint_url_hint"));
  const boxes = KINDS.map((kind) => h("input", { type: "checkbox", value: kind, checked: endpoint?.activities.includes(kind) ?? false }));
  const kindsError = h("p", { class: "error", hidden: true });
  const kinds = h("fieldset", { class: "kinds" },
    h("legend", {}, t("activities")),
    h("div", { class: "choices" }, boxes.map((box) => h("label", {}, box, t(`kind_${box.value}`)))),
    kindsError);
  const active = h("input", { type: "checkbox", role: "switch", checked: endpoint?.active ?? true });
  const ownerHint = !endpoint?.owner_email ? t("owner_email_hint")
    : t(endpoint.owner_email_confirmed ? "owner_email_confirmed" : "owner_email_unconfirmed");
  const owner = field(t("owner_email"), h("input", { type: "email", value: endpoint?.owner_email ?? "", autocomplete: "email" }), ownerHint);
  const concurrency = field(t("max_concurrency"), h("input", { type: "number", min: 1, inputmode: "numeric", value: endpoint?.max_concurrency ?? "" }), t("no_limit_hint"));
  const perSecond = field(t("max_per_second"), h("input", { type: "number", min: 1, inputmode: "numeric", value: endpoint?.max_per_second ?? "" }), t("no_limit_hint"));
  const general = h("p", { class: "error", role: "alert", hidden: true });
  const savedMark = h("span", { class: "saved", role: "status" });
  const form = h("form", { novalidate: true, class: "endpoint-form" },
    url.wrapper, kinds,
    h("label", { class: "switch" }, active, t("endpoint_active")),
    owner.wrapper,
    h("div", { class: "limits" }, concurrency.wrapper, perSecond.wrapper),
    general,
    h("div", { class: "actions" }, savedMark, h("button", { type: "submit", class: "primary" }, t(endpoint ? "save" : "endpoint_create"))));
  const places = { url, owner_email: owner, max_concurrency: concurrency, max_per_second: perSecond };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const entry of Object.values(places)) showError(entry, null);
    kindsError.hidden = general.hidden = true;
    savedMark.textContent = "";
    const settings = {
      url: url.control.value.trim(),
      activities: boxes.filter((box) => box.checked).map((box) => box.value),
      active: active.checked,
      owner_email: owner.control.value.trim() || null,
      max_concurrency: number(concurrency.control.value),
      max_per_second: number(perSecond.control.value),
    };
    try {
      const stored = endpoint
        ? await api("PATCH", `/endpoints/${endpoint.id}`, settings)
        : await api("POST", "/endpoints", settings);
      savedMark.textContent = `✓ ${t("saved")}`;
      await done(stored);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const rest = [];
      for (const [where, messages] of problems(error.message)) {
        const key = where.split(".")[0];
        if (places[key]) showError(places[key], messages.join(" "));
        else if (key === "activities") {
          kindsError.textContent = messages.join(" ");
          kindsError.hidden = false;
        } else rest.push(...messages);
      }
      general.textContent = rest.join(" ");
      general.hidden = !rest.length;
    }
  });
  return form;
}
