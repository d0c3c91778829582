// The console's frame: sign in, the navigation between its screens, the language, sign out.
import { api, ApiError, session } from "./api.js";
import { fill, field, h, showError } from "./dom.js";
import { showDomains } from "./domains.js";
import { showExport } from "./export.js";
import { LANGUAGES, language, onLanguage, setLanguage, t } from "./i18n.js";
import { showWebhooks } from "./webhooks.js";

const SCREENS = {
  webhooks: { label: "nav_webhooks", show: showWebhooks },
  export: { label: "nav_export", show: showExport },
  domains: { label: "nav_domains", show: showDomains },
};
const root = document.getElementById("console");
let notice = null;

function screenName() {
  const name = location.hash.replace(/^#\/?/, "");
  return name in SCREENS ? name : "webhooks";
}

function languageSwitch() {
  const select = h(
    "select",
    { onchange: (event) => setLanguage(event.target.value) },
    Object.entries(LANGUAGES).map(([code, catalogue]) =>
      h("option", { value: code, selected: code === language() }, catalogue.language_name),
    ),
  );
  return h("label", { class: "language" }, h("span", {}, t("language")), select);
}

function signInScreen() {
  const key = field(t("api_key"), h("input", { type: "password", autocomplete: "off", required: true }), t("api_key_hint"));
  const form = h(
    "form",
    { class: "card sign-in", novalidate: true },
    h("h1", {}, t("sign_in_title")),
    h("p", {}, t("sign_in_intro")),
    key.wrapper,
    h("button", { type: "submit", class: "primary" }, t("sign_in")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const given = key.control.value.trim();
    if (!given) return showError(key, t("api_key_missing"));
    try {
      await api("GET", "/operations", undefined, given);
    } catch (error) {
      return showError(key, error instanceof ApiError && error.status === 401 ? t("api_key_refused") : error.message);
    }
    session.signIn(given);
    draw();
  });
  fill(
    root,
    h("header", { class: "top" }, h("span", { class: "brand" }, "mailhooks"), languageSwitch()),
    h("main", { id: "main" }, notice ? h("p", { class: "notice", role: "alert" }, notice) : null, form),
  );
  key.control.focus();
}

function consoleScreen() {
  const name = screenName();
  const main = h("main", { id: "main", tabindex: "-1" });
  const nav = h(
    "nav",
    { "aria-label": t("nav_label") },
    h(
      "ul",
      {},
      Object.entries(SCREENS).map(([key, screen]) =>
        h("li", {}, h("a", { href: `#/${key}`, "aria-current": key === name ? "page" : null }, t(screen.label))),
      ),
    ),
  );
  const signOut = h("button", { type: "button", onclick: () => leave(null) }, t("sign_out"));
  fill(
    root,
    h("a", { class: "skip", href: "#main", onclick: skipToMain }, t("skip_to_content")),
    h("header", { class: "top" }, h("span", { class: "brand" }, "mailhooks"), nav, languageSwitch(), signOut),
    main,
    h("p", { id: "status", class: "visually-hidden", role: "status" }),
  );
  document.title = `${t(SCREENS[name].label)} · mailhooks`;
  SCREENS[name].show(main);
}

function skipToMain(event) {
  event.preventDefault();
  document.getElementById("main")?.focus();
}

function leave(message) {
  session.signOut();
  notice = message;
  draw();
}

function draw() {
  if (session.key()) consoleScreen();
  else signInScreen();
  notice = null;
}

window.addEventListener("hashchange", () => {
  draw();
  document.getElementById("main")?.focus();
});
window.addEventListener("console:key-refused", () => leave(t("api_key_expired")));
onLanguage(draw);
draw();
