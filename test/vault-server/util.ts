// Small helpers of the Vault test server: random IDs, Go-style durations and booleans, Vault's
// timestamp formats and go-multierror strings (vault-api.md §1.3, quirk 27). Pure: no I/O, and
// it must never hold state.

import { randomBytes, randomUUID } from "node:crypto";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A random string of `length` characters from [A-Za-z0-9]. */
export function randomAlnum(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = "";
  for (let i = 0; out.length < length && i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b < 248) out += ALNUM[b % 62];
  }
  return out.length === length ? out : out + randomAlnum(length - out.length);
}

export function newUuid(): string {
  return randomUUID();
}

/** go-multierror rendering of core errors (vault-api.md §1.3). */
export function multiError(...messages: string[]): string {
  const head = messages.length === 1 ? "1 error occurred:" : `${messages.length} errors occurred:`;
  return `${head}\n${messages.map((m) => `\t* ${m}`).join("\n")}\n\n`;
}

/** Go strconv.ParseBool; undefined when unparsable. */
export function parseGoBool(text: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return false;
  return undefined;
}

/** Weak boolean decoding of request data (JSON bool, "true", 1…). */
export function weakBool(value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null || value === "") return fallback;
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  if (typeof value === "string") return parseGoBool(value) ?? fallback;
  return fallback;
}

const UNIT_SECONDS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

/** A Vault duration (integer seconds, numeric string, or Go duration like "1h30m") in seconds. */
export function parseDurationSeconds(value: unknown): number | undefined {
  if (value === undefined || value === null || value === "") return 0;
  if (typeof value === "number") return Number.isFinite(value) ? Math.floor(value) : undefined;
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (/^-?\d+$/.test(text)) return Number.parseInt(text, 10);
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let rest = text.startsWith("-") ? text.slice(1) : text;
  const sign = text.startsWith("-") ? -1 : 1;
  if (rest === "") return undefined;
  while (rest.length > 0) {
    re.lastIndex = 0;
    const m = re.exec(rest);
    if (m === null) return undefined;
    total += Number(m[1]) * (UNIT_SECONDS[m[2] as string] as number);
    rest = rest.slice(m[0].length);
  }
  return sign * Math.floor(total);
}

/** Go time.Duration.String() for whole seconds: "0s", "45s", "5m0s", "1h0m0s". */
export function formatGoDuration(seconds: number): string {
  if (seconds === 0) return "0s";
  const neg = seconds < 0 ? "-" : "";
  let s = Math.abs(Math.floor(seconds));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h > 0) return `${neg}${h}h${m}m${s}s`;
  if (m > 0) return `${neg}${m}m${s}s`;
  return `${neg}${s}s`;
}

/** RFC3339Nano in UTC with trailing fractional zeros trimmed (KV v2 times, quirk 27). */
export function formatUtcNano(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2024-01-02T03:04:05.678Z
  const base = iso.slice(0, 19);
  const millis = iso.slice(20, 23);
  const nanos = `${millis}${String(Number(process.hrtime.bigint() % 1_000_000n)).padStart(6, "0")}`;
  const trimmed = nanos.replace(/0+$/, "");
  return trimmed === "" ? `${base}Z` : `${base}.${trimmed}Z`;
}

/** RFC3339Nano with the server's local offset (token expire_time/issue_time, quirk 27). */
export function formatLocalNano(ms: number): string {
  const d = new Date(ms);
  const offsetMin = -d.getTimezoneOffset();
  const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 23);
  const frac = local.slice(20).replace(/0+$/, "");
  const sign = offsetMin >= 0 ? "+" : "-";
  const abs = Math.abs(offsetMin);
  const tz = `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
  return `${local.slice(0, 19)}${frac === "" ? "" : `.${frac}`}${tz}`;
}

/** Plain-object check for decoded JSON. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A list of strings from a JSON array or a comma-separated string. */
export function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String).filter((s) => s !== "");
  if (typeof value === "string") {
    return value
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  }
  return [];
}

/** Direct children of `prefix` among `keys`: "a", "b/" (folders end in '/'), sorted, unique. */
export function listChildren(keys: Iterable<string>, prefix: string): string[] {
  const out = new Set<string>();
  for (const key of keys) {
    if (!key.startsWith(prefix) || key === prefix) continue;
    const rest = key.slice(prefix.length);
    const slash = rest.indexOf("/");
    out.add(slash === -1 ? rest : rest.slice(0, slash + 1));
  }
  return [...out].sort();
}
