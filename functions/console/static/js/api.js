// The documented admin API, on this console's own origin: /console/js/api.js -> /admin.
// The key lives in sessionStorage only: it goes with each request as a header, never in a URL.

const BASE = new URL("../../admin", import.meta.url).pathname;
const KEY = "mailhooks.adminKey";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export const session = {
  key: () => sessionStorage.getItem(KEY),
  signIn: (key) => sessionStorage.setItem(KEY, key),
  signOut: () => sessionStorage.removeItem(KEY),
};

export async function api(method, path, body, key = session.key()) {
  const headers = { Authorization: `Bearer ${key}`, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(BASE + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: "omit",
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { error: text };
  }
  if (!response.ok) {
    if (response.status === 401 && key === session.key()) {
      window.dispatchEvent(new CustomEvent("console:key-refused"));
    }
    throw new ApiError(response.status, data?.error ?? response.statusText);
  }
  return data;
}

// The API names each problem as "<field>: <why>", several joined by "; ". A mapping problem names its
// parameter in quotes: "mapping: 'email' is required; ...".
const PROBLEM = /^([A-Za-z_][\w.]*): ([\s\S]*)$/;

/** The problems of an API error by field ("name", "mapping.email", ...); the rest under "". */
export function problems(message) {
  const found = new Map();
  for (const part of String(message).split(/; (?=[A-Za-z_][\w.]*: )/)) {
    const match = PROBLEM.exec(part);
    let where = match ? match[1] : "";
    const why = match ? match[2] : part;
    const parameter = /^'([^']+)'/.exec(why);
    if (where === "mapping" && parameter) where = `mapping.${parameter[1]}`;
    found.set(where, [...(found.get(where) ?? []), match ? why : part]);
  }
  return found;
}
