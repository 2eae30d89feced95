// Where and how keys live in Vault's KV engine (kes-api.md §8.3, vault-api.md §2, §3): the v1 and
// v2 paths built with Go `path.Join` semantics, the request bodies (the secret's one field is
// named after the key, holding the §7.8 string), reading values back out of responses, and the
// optional Transit wrapping. Pure apart from the types: no I/O. It must never build a path that
// leaves the configured mount and prefix, and never put a value into an error message.

import { posix } from "node:path";
import { sameStoredValue } from "../keystore.js";
import type { VaultResponse } from "./http.js";

export type KvVersion = "v1" | "v2";

export interface KvLayout {
  engine: string;
  version: KvVersion;
  prefix: string;
}

/** Transit ciphertexts (vault-api.md §9); KES itself only ever wrote `vault:v1:` (§8.3). */
export const TRANSIT_PREFIX = /^vault:v\d+:/;

const escapePath = (p: string) => p.split("/").map(encodeURIComponent).join("/");

/** Go `path.Join` without leading/trailing slashes (kes-api.md §8.3: `/a/b/` + `k` → `a/b/k`). */
export function joinPath(...parts: string[]): string {
  const joined = posix.join("/", ...parts.filter((p) => p !== ""));
  return joined.replace(/^\/+|\/+$/g, "");
}

/**
 * Rejects an engine or prefix that could escape its mount after cleaning (`..`, `.` segments)
 * and a key name that is not one path segment. Throws with a message naming the field.
 */
export function checkLayout(layout: KvLayout): void {
  for (const [field, value] of [
    ["engine", layout.engine],
    ["prefix", layout.prefix],
  ] as const) {
    if (value.split("/").some((s) => s === "." || s === "..")) {
      throw new Error(`keystore.vault.${field}: '${value}' must not contain '.' or '..' segments`);
    }
  }
  if (joinPath(layout.engine) === "") throw new Error("keystore.vault.engine: must not be empty");
}

function checkName(name: string): void {
  if (name === "" || name === "." || name === ".." || name.includes("/")) {
    throw new Error(`vault: key name '${name}' cannot be stored in Vault`);
  }
}

/** The path (below /v1/, escaped) a key's secret is read from and written to. */
export function dataPath(l: KvLayout, name: string): string {
  checkName(name);
  const p =
    l.version === "v2"
      ? joinPath(l.engine, "data", l.prefix, name)
      : joinPath(l.engine, l.prefix, name);
  return escapePath(p);
}

/** The path a key is deleted at: v2 deletes the metadata, i.e. every version (§8.3 "Delete"). */
export function deletePath(l: KvLayout, name: string): string {
  checkName(name);
  const p =
    l.version === "v2"
      ? joinPath(l.engine, "metadata", l.prefix, name)
      : joinPath(l.engine, l.prefix, name);
  return escapePath(p);
}

/** The folder listed with `?list=true` (trailing slash, vault-api.md §2.4, §3.6). */
export function listPath(l: KvLayout): string {
  const p =
    l.version === "v2" ? joinPath(l.engine, "metadata", l.prefix) : joinPath(l.engine, l.prefix);
  return `${escapePath(p)}/`;
}

/** The create body: v2 with cas 0 (create only), v1 the bare field (kes-api.md §8.3 "Create"). */
export function createBody(l: KvLayout, name: string, stored: string): unknown {
  const data = { [name]: stored };
  return l.version === "v2" ? { options: { cas: 0 }, data } : data;
}

export type ReadOutcome =
  | { kind: "value"; stored: string /** K/V v2: the version read. */; version?: number }
  | { kind: "missing" }
  | { kind: "invalid"; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Extracts the key's field from a 200 read response. v2 nests it in `data.data`; a v2 version
 * whose data is null (soft-deleted/destroyed, vault-api.md §3.4) counts as missing.
 */
export function readValue(l: KvLayout, name: string, body: unknown): ReadOutcome {
  const data = isObject(body) ? body.data : undefined;
  if (!isObject(data)) return { kind: "invalid", reason: "response has no data" };
  let fields: unknown = data;
  if (l.version === "v2") {
    if (data.data === null) return { kind: "missing" };
    fields = data.data;
    if (!isObject(fields)) return { kind: "invalid", reason: "K/V v2 response has no data.data" };
    // A v2-style read of a v1 mount returns the literal object, without metadata (§4.3).
    if (!isObject(data.metadata)) {
      return { kind: "invalid", reason: "K/V v2 response has no metadata (is the mount K/V v1?)" };
    }
  }
  const value = (fields as Record<string, unknown>)[name];
  if (value === undefined) {
    return { kind: "invalid", reason: `entry exists but has no field '${name}'` };
  }
  if (typeof value !== "string") {
    return { kind: "invalid", reason: `field '${name}' is not a string` };
  }
  const version = l.version === "v2" ? versionOf((data as { metadata?: unknown }).metadata) : -1;
  return version >= 0
    ? { kind: "value", stored: value, version }
    : { kind: "value", stored: value };
}

function versionOf(meta: unknown): number {
  const v = isObject(meta) ? meta.version : undefined;
  return typeof v === "number" && Number.isSafeInteger(v) && v > 0 ? v : -1;
}

/** The version a K/V v2 write answer reports (`data.version`, §3.1); undefined when absent. */
export function writtenVersion(body: unknown): number | undefined {
  const v = versionOf(isObject(body) ? body.data : undefined);
  return v > 0 ? v : undefined;
}

/**
 * What is wrong with a key read back right after its create (undefined: nothing): missing, another
 * value, or with K/V v2 another version than the write reported. Never names the value.
 */
export function readBackProblem(
  written: string,
  version: number | undefined,
  found: { stored: string; version?: number } | undefined,
): string | undefined {
  if (found === undefined)
    return "Vault acknowledged the write, but the key is not there when read back";
  if (!sameStoredValue(found.stored, written))
    return "Vault acknowledged the write, but holds another value when read back";
  if (version !== undefined && found.version !== version)
    return `it reads back as version ${found.version ?? "none"}, not ${version}`;
  return undefined;
}

/** The names of a 200 list response: sub-folders (trailing `/`) are not keys and are dropped. */
export function readNames(body: unknown): string[] | undefined {
  const data = isObject(body) ? body.data : undefined;
  const keys = isObject(data) ? data.keys : undefined;
  if (!Array.isArray(keys)) return undefined;
  return keys.filter((k): k is string => typeof k === "string" && k !== "" && !k.endsWith("/"));
}

/** Transit encrypt path and body: the value is sent base64-encoded (vault-api.md §9). */
export function transitEncrypt(transit: { engine: string; key: string }, value: string) {
  return {
    path: escapePath(joinPath(transit.engine, "encrypt", transit.key)),
    body: { plaintext: Buffer.from(value, "utf8").toString("base64") },
  };
}

export function transitDecrypt(transit: { engine: string; key: string }, stored: string) {
  return {
    path: escapePath(joinPath(transit.engine, "decrypt", transit.key)),
    body: { ciphertext: stored },
  };
}

/** `data.ciphertext` of a transit encrypt answer, or undefined when malformed. */
export function readCiphertext(body: unknown): string | undefined {
  const data = isObject(body) ? body.data : undefined;
  const c = isObject(data) ? data.ciphertext : undefined;
  return typeof c === "string" && TRANSIT_PREFIX.test(c) ? c : undefined;
}

/** The decoded `data.plaintext` of a transit decrypt answer, or undefined when malformed. */
export function readPlaintext(body: unknown): string | undefined {
  const data = isObject(body) ? body.data : undefined;
  const p = isObject(data) ? data.plaintext : undefined;
  if (typeof p !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(p)) return undefined;
  return Buffer.from(p, "base64").toString("utf8");
}

/**
 * A 404 that says nothing about a K/V entry: a missing mount (vault-api.md §1.4 "no handler for
 * route"), or a path of the wrong K/V layout, answered with warnings (§3.8).
 */
export function notAnEntry(res: VaultResponse): boolean {
  return (
    res.status === 404 &&
    (res.warnings.length > 0 || res.errors.some((e) => e.includes("no handler for route")))
  );
}
