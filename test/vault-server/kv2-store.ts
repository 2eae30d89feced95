// The versioned store behind the KV v2 backend of the Vault test server: key metadata, versions,
// check-and-set, max_versions eviction, soft-delete/undelete/destroy and the metadata shapes
// (vault-api.md §3.1–3.7, quirks 2, 4, 16). In memory only; it must never reset a key's version
// counter except when its metadata is deleted.

import { fail, none, ok, type Reply } from "./state.js";
import { formatGoDuration, formatUtcNano, isObject } from "./util.js";

export interface Version {
  data: Record<string, unknown> | null;
  created: string;
  deletion: string;
  destroyed: boolean;
}

export interface KeyMeta {
  created: string;
  updated: string;
  current: number;
  oldest: number;
  maxVersions: number;
  casRequired: boolean;
  deleteVersionAfter: number;
  custom: Record<string, string> | null;
  versions: Map<number, Version>;
}

export interface Kv2Store {
  config: { maxVersions: number; casRequired: boolean; deleteVersionAfter: number };
  keys: Map<string, KeyMeta>;
}

export const DEFAULT_MAX_VERSIONS = 10;

export function newKv2Store(): Kv2Store {
  return { config: { maxVersions: 0, casRequired: false, deleteVersionAfter: 0 }, keys: new Map() };
}

export function newKeyMeta(): KeyMeta {
  const now = formatUtcNano(Date.now());
  return {
    created: now,
    updated: now,
    current: 0,
    oldest: 0,
    maxVersions: 0,
    casRequired: false,
    deleteVersionAfter: 0,
    custom: null,
    versions: new Map(),
  };
}

/** Deleted (deletion_time in the past) or destroyed: the data is hidden (§3.4). */
export function isHidden(v: Version): boolean {
  return v.destroyed || (v.deletion !== "" && Date.parse(v.deletion) <= Date.now());
}

/** Flat version metadata as in write replies and the PATCH-on-deleted 404 (§3.1, §3.2). */
export function versionMetadata(meta: KeyMeta, n: number, v: Version): Record<string, unknown> {
  return {
    created_time: v.created,
    custom_metadata: meta.custom,
    deletion_time: v.deletion,
    destroyed: v.destroyed,
    version: n,
  };
}

/** Validates `options.cas` against the key (§3.2); returns an error reply or undefined. */
export function checkCas(
  store: Kv2Store,
  meta: KeyMeta | undefined,
  options: unknown,
): Reply | undefined {
  const opts = isObject(options) ? options : {};
  if (!("cas" in opts)) {
    const required = store.config.casRequired || (meta?.casRequired ?? false);
    return required ? fail(400, "check-and-set parameter required for this call") : undefined;
  }
  const raw = opts.cas;
  const cas =
    typeof raw === "number"
      ? raw
      : typeof raw === "string" && /^\d+$/.test(raw)
        ? Number(raw)
        : NaN;
  if (!Number.isInteger(cas)) return fail(400, "error parsing check-and-set parameter");
  if (cas !== (meta?.current ?? 0)) {
    return fail(400, "check-and-set parameter did not match the current version");
  }
  return undefined;
}

/** Stores a new version (after CAS passed) and evicts beyond max_versions; 200 reply (§3.1). */
export function writeVersion(store: Kv2Store, key: string, data: Record<string, unknown>): Reply {
  const meta = store.keys.get(key) ?? newKeyMeta();
  store.keys.set(key, meta);
  const nowMs = Date.now();
  const created = formatUtcNano(nowMs);
  const dva = meta.deleteVersionAfter || store.config.deleteVersionAfter;
  const version: Version = {
    data: structuredClone(data),
    created,
    deletion: dva > 0 ? formatUtcNano(nowMs + dva * 1000) : "",
    destroyed: false,
  };
  meta.current += 1;
  meta.updated = created;
  meta.versions.set(meta.current, version);
  const max = meta.maxVersions || store.config.maxVersions || DEFAULT_MAX_VERSIONS;
  const keep = meta.current - max + 1;
  if (keep > 1) {
    for (const n of [...meta.versions.keys()]) if (n < keep) meta.versions.delete(n);
    meta.oldest = keep;
  }
  return ok(versionMetadata(meta, meta.current, version));
}

/** Parses `versions` of delete/undelete/destroy; undefined when absent or empty. */
export function versionList(data: Record<string, unknown> | null): number[] | undefined {
  const raw = data?.versions;
  const list = Array.isArray(raw) ? raw : typeof raw === "string" ? raw.split(",") : [];
  const out = list.map((v) => Number(v)).filter((n) => Number.isInteger(n) && n > 0);
  return out.length === 0 ? undefined : out;
}

/** POST delete/undelete/destroy `<key>` (§3.5, quirk 16). */
export function changeVersions(
  store: Kv2Store,
  action: "delete" | "undelete" | "destroy",
  key: string,
  data: Record<string, unknown> | null,
): Reply {
  const versions = versionList(data);
  if (versions === undefined) {
    return fail(
      400,
      action === "destroy" ? "no version number provided" : "No version number provided",
    );
  }
  const meta = store.keys.get(key);
  if (meta === undefined) return none();
  const now = formatUtcNano(Date.now());
  for (const n of versions) {
    const v = meta.versions.get(n);
    if (v === undefined || v.destroyed) continue;
    if (action === "delete" && !isHidden(v)) v.deletion = now;
    if (action === "undelete") v.deletion = "";
    if (action === "destroy") {
      v.destroyed = true;
      v.data = null;
    }
  }
  meta.updated = now;
  return none();
}

/** `data` of GET metadata/<key> (§3.6). */
export function metadataOf(meta: KeyMeta): Record<string, unknown> {
  const versions: Record<string, unknown> = {};
  for (const [n, v] of meta.versions) {
    versions[String(n)] = {
      created_time: v.created,
      deletion_time: v.deletion,
      destroyed: v.destroyed,
    };
  }
  return {
    cas_required: meta.casRequired,
    created_time: meta.created,
    current_version: meta.current,
    custom_metadata: meta.custom,
    delete_version_after: formatGoDuration(meta.deleteVersionAfter),
    max_versions: meta.maxVersions,
    oldest_version: meta.oldest,
    updated_time: meta.updated,
    versions,
  };
}

/** RFC 7396 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Structure of a secret with leaves replaced by null, down to `depth` (0 = unlimited). */
export function subkeysOf(value: unknown, depth: number, level = 1): unknown {
  if (!isObject(value)) return null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isObject(v) && (depth === 0 || level < depth) ? subkeysOf(v, depth, level + 1) : null;
  }
  return out;
}
