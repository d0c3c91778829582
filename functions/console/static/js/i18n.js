// Every string of the console comes from one catalogue per language (i18n/en.js, i18n/es.js).
import en from "./i18n/en.js";
import es from "./i18n/es.js";

export const LANGUAGES = { en, es };
const CHOSEN = "mailhooks.language";
const listeners = [];

function fromBrowser() {
  for (const tag of navigator.languages ?? [navigator.language]) {
    const code = String(tag).slice(0, 2).toLowerCase();
    if (code in LANGUAGES) return code;
  }
  return "en";
}

let current = LANGUAGES[localStorage.getItem(CHOSEN)] ? localStorage.getItem(CHOSEN) : fromBrowser();
document.documentElement.lang = current;

export function language() {
  return current;
}

/** Switches the language, remembers the choice and redraws what listens. */
export function setLanguage(code) {
  current = code;
  localStorage.setItem(CHOSEN, code);
  document.documentElement.lang = code;
  for (const listener of listeners) listener();
}

export function onLanguage(listener) {
  listeners.push(listener);
}

/** The string of a key in the current language, with {name} filled from values. */
export function t(key, values = {}) {
  const text = LANGUAGES[current][key] ?? LANGUAGES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString(current, { dateStyle: "medium", timeStyle: "short" }) : t("never");
}

export function percent(rate) {
  return rate === null || rate === undefined
    ? t("no_attempts")
    : rate.toLocaleString(current, { style: "percent", maximumFractionDigits: 1 });
}
