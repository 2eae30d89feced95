// Normalisation of a Vault answer before comparison: what differs between two correct servers
// (ids, times, accessors, tokens, request ids, the run id) becomes a placeholder. Saved values are
// replaced by their variable name first, so a secret never reaches a fixture or a report.

import type { Answer } from "./run.js";

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const RFC3339 = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)/g;
/** Vault and OpenBao token formats: hvs./hvb./hvr., s./b./r. (legacy and OpenBao). */
const TOKEN = /\b(hv[sbr]|[sbr])\.[A-Za-z0-9_-]{20,}(\.[A-Za-z0-9_-]+)?/g;

/** Keys whose value is a point in time (seconds or RFC 3339): the value becomes "<time>". */
const TIME_KEYS = new Set([
  "creation_time",
  "created_time",
  "deletion_time",
  "expire_time",
  "issue_time",
  "last_renewal",
  "last_renewal_time",
  "last_updated_time",
  "updated_time",
  "server_time_utc",
  "build_date",
]);
/**
 * Keys whose value is a count of seconds that shrinks while the sequence runs: rounded to the
 * minute, so that a slow run (up to 29 s between a token's creation and its lookup) compares equal.
 */
const TTL_KEYS = new Set(["ttl", "lease_duration", "creation_ttl"]);
const TTL_GRAIN_S = 60;
/** Keys whose value names one server or one object on it. */
const ID_KEYS: Record<string, string> = {
  request_id: "<uuid>",
  cluster_id: "<uuid>",
  cluster_name: "<cluster>",
  accessor: "<accessor>",
  secret_id_accessor: "<accessor>",
  wrapped_accessor: "<accessor>",
  entity_id: "<uuid>",
  nonce: "<nonce>",
  id: "<id>",
};
/** Saved values shorter than this are words ("root" of a dev server), not ids: kept as they are. */
const MIN_SECRET_CHARS = 8;

export function normalizeAnswer(answer: Answer, vars: Map<string, string>): Answer {
  const secrets = [...vars.entries()]
    .filter(([, v]) => v.length >= MIN_SECRET_CHARS)
    .sort((a, b) => b[1].length - a[1].length);
  const text = (s: string) => {
    let out = s;
    for (const [name, value] of secrets) out = out.split(value).join(`{${name}}`);
    return out.replace(TOKEN, "<token>").replace(UUID, "<uuid>").replace(RFC3339, "<time>");
  };
  const walk = (v: unknown, key: string): unknown => {
    if (typeof v === "string") {
      if (v !== "" && TIME_KEYS.has(key)) return "<time>";
      if (v !== "" && key in ID_KEYS && !secrets.some(([, s]) => s === v)) return ID_KEYS[key];
      return text(v);
    }
    if (typeof v === "number") {
      if (TIME_KEYS.has(key) && v > 0) return "<time>";
      if (TTL_KEYS.has(key)) return Math.round(v / TTL_GRAIN_S) * TTL_GRAIN_S;
      return v;
    }
    if (Array.isArray(v)) return v.map((x) => walk(x, key));
    if (typeof v === "object" && v !== null) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = walk((v as Record<string, unknown>)[k], k);
      return out;
    }
    return v;
  };
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(answer.headers)) headers[k] = text(v).toLowerCase();
  return { ...answer, headers, body: walk(answer.body, "") };
}
