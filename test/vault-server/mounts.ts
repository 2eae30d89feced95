// Mount table of the Vault test server: routing a namespace-relative path to its mount, and the
// `sys/mounts`, `sys/auth` and `sys/internal/ui/mounts` endpoints (enable/disable/tune, KV
// version aliases, `path is already in use` conflicts, the preflight 403) (vault-api.md §4,
// quirks 22–24). It must never reveal whether a mount exists to a token without access to it.

import { hasAccessUnder } from "./acl.js";
import type { Kv2Store } from "./kv2-store.js";
import { writeVersion } from "./kv2-store.js";
import {
  type Ctx,
  fail,
  type Mount,
  type Namespace,
  newMount,
  none,
  ok,
  type Reply,
} from "./state.js";
import { policiesOf } from "./token-store.js";
import { isObject } from "./util.js";

export interface Route {
  mount: Mount;
  /** "auth/approle/" or "secret/". */
  prefix: string;
  rel: string;
}

function longestMount(mounts: Map<string, Mount>, path: string): Mount | undefined {
  let best: Mount | undefined;
  for (const [p, m] of mounts) {
    if (`${path}/`.startsWith(p) && (best === undefined || p.length > best.path.length)) best = m;
  }
  return best;
}

/** The mount serving a namespace-relative path, or undefined (404 no handler for route). */
export function findRoute(ns: Namespace, path: string): Route | undefined {
  if (path === "auth" || path.startsWith("auth/")) {
    const m = longestMount(ns.authMounts, path.slice(5));
    return m && { mount: m, prefix: `auth/${m.path}`, rel: path.slice(5 + m.path.length) };
  }
  const m = longestMount(ns.mounts, path);
  return m && { mount: m, prefix: m.path, rel: path.slice(m.path.length) };
}

export function mountInfo(m: Mount): Record<string, unknown> {
  return {
    accessor: m.accessor,
    config: { default_lease_ttl: 0, force_no_cache: false, max_lease_ttl: 0 },
    description: m.description,
    external_entropy_access: false,
    local: m.local,
    options: m.options,
    plugin_version: "",
    running_plugin_sha256: "",
    running_plugin_version: `v${m.type === "kv" ? "0.20.0" : "1.17.0"}+builtin`,
    seal_wrap: false,
    type: m.type,
    uuid: m.uuid,
  };
}

function normalizeMountPath(p: string): string {
  return `${p.replace(/^\/+|\/+$/g, "")}/`;
}

function conflicts(mounts: Map<string, Mount>, path: string): boolean {
  for (const existing of mounts.keys()) {
    if (existing.startsWith(path) || path.startsWith(existing)) return true;
  }
  return false;
}

/** Type and options after the kv aliases (vault-api.md §4.1). */
function resolveType(
  d: Record<string, unknown>,
): { type: string; options: Record<string, string> | null } | Reply {
  let type = typeof d.type === "string" ? d.type : "";
  const rawOpts = isObject(d.options) ? d.options : null;
  let options: Record<string, string> | null = rawOpts
    ? Object.fromEntries(Object.entries(rawOpts).map(([k, v]) => [k, String(v)]))
    : null;
  if (type === "kv-v2" || type === "kv-v1") {
    options = { ...(options ?? {}), version: type === "kv-v2" ? "2" : "1" };
    type = "kv";
  }
  if (type === "") return fail(400, "backend type must be specified as a string");
  if (type !== "kv" && options?.version !== undefined) {
    return fail(400, `secrets engine "${type}" does not allow setting a version`);
  }
  return { type, options };
}

function enableMount(ctx: Ctx, path: string): Reply {
  const resolved = resolveType(ctx.data ?? {});
  if ("kind" in resolved) return resolved;
  if (resolved.type === "approle")
    return fail(400, `plugin not found in the catalog: ${resolved.type}`);
  const backend = ctx.state.mountFactory(resolved.type, resolved.options);
  if (backend === undefined) return fail(400, `plugin not found in the catalog: ${resolved.type}`);
  if (conflicts(ctx.ns.mounts, path)) return fail(400, `path is already in use at ${path}`);
  const description = typeof ctx.data?.description === "string" ? ctx.data.description : "";
  ctx.ns.mounts.set(path, newMount(path, resolved.type, resolved.options, backend, description));
  return none();
}

function tuneMount(ctx: Ctx, m: Mount): Reply {
  if (ctx.op === "read") {
    return ok({
      default_lease_ttl: 2764800,
      max_lease_ttl: 2764800,
      options: m.options,
      description: m.description,
    });
  }
  const opts = isObject(ctx.data?.options) ? ctx.data.options : {};
  const wanted = opts.version === undefined ? undefined : String(opts.version);
  const current = m.options?.version ?? "1";
  if (m.type === "kv" && wanted !== undefined && wanted !== current) {
    if (wanted !== "2") return fail(400, "cannot downgrade mount from version 2");
    const old = m.backend as { store?: Map<string, Record<string, unknown>> };
    const backend = ctx.state.mountFactory("kv", { version: "2" }) as unknown as {
      store: Kv2Store;
    };
    for (const [key, value] of old.store ?? []) writeVersion(backend.store, key, value);
    m.backend = backend as unknown as Mount["backend"];
    m.options = { ...(m.options ?? {}), version: "2" };
  }
  if (typeof ctx.data?.description === "string") m.description = ctx.data.description;
  return none();
}

/** `sys/mounts`, `sys/mounts/<p>`, `sys/mounts/<p>/tune`. */
export function handleSysMounts(ctx: Ctx, rest: string): Reply {
  if (rest === "") {
    if (ctx.op !== "read") return fail(405, "1 error occurred:\n\t* unsupported operation\n\n");
    const data = Object.fromEntries([...ctx.ns.mounts].map(([p, m]) => [p, mountInfo(m)]));
    return ok(data, { inject: true });
  }
  const tune = rest.endsWith("/tune");
  const path = normalizeMountPath(tune ? rest.slice(0, -5) : rest);
  const existing = ctx.ns.mounts.get(path);
  if (tune)
    return existing === undefined
      ? fail(400, `no mount entry found for path ${path}`)
      : tuneMount(ctx, existing);
  switch (ctx.op) {
    case "read":
      return existing === undefined
        ? fail(400, `No secret engine mount at ${path}`)
        : ok(mountInfo(existing), { inject: true });
    case "delete":
      if (path !== "sys/") ctx.ns.mounts.delete(path);
      return none();
    default:
      return enableMount(ctx, path);
  }
}

/** `sys/auth`, `sys/auth/<p>`. */
export function handleSysAuth(ctx: Ctx, rest: string): Reply {
  if (rest === "") {
    const data = Object.fromEntries([...ctx.ns.authMounts].map(([p, m]) => [p, mountInfo(m)]));
    return ok(data, { inject: true });
  }
  const path = normalizeMountPath(rest);
  if (ctx.op === "delete") {
    if (path !== "token/") ctx.ns.authMounts.delete(path);
    return none();
  }
  if (ctx.op === "read") {
    const m = ctx.ns.authMounts.get(path);
    return m === undefined
      ? fail(400, `No auth engine at ${path}`)
      : ok(mountInfo(m), { inject: true });
  }
  const type = typeof ctx.data?.type === "string" ? ctx.data.type : "";
  const backend =
    type === "approle" || type === "cert" ? ctx.state.mountFactory(type, null) : undefined;
  if (backend === undefined) return fail(400, `plugin not found in the catalog: ${type}`);
  if (conflicts(ctx.ns.authMounts, path)) return fail(400, `path is already in use at ${path}`);
  const description = typeof ctx.data?.description === "string" ? ctx.data.description : "";
  ctx.ns.authMounts.set(path, newMount(path, type, null, backend, description));
  return none();
}

/** `sys/internal/ui/mounts[/<p>]`: version detection with the preflight 403 (§4.2). */
export function handleUiMounts(ctx: Ctx, rest: string): Reply {
  if (ctx.token === undefined) return fail(403, "permission denied");
  const policies = policiesOf(ctx.token);
  const nsPrefix = relativeNsPrefix(ctx.token.ns, ctx.ns);
  if (rest === "") {
    const visible = (mounts: Map<string, Mount>, prefix: string) =>
      Object.fromEntries(
        [...mounts]
          .filter(([p]) => hasAccessUnder(policies, nsPrefix + prefix + p))
          .map(([p, m]) => [prefix + p, mountInfo(m)]),
      );
    return ok({ secret: visible(ctx.ns.mounts, ""), auth: visible(ctx.ns.authMounts, "auth/") });
  }
  const route = findRoute(ctx.ns, rest.replace(/\/+$/, ""));
  if (route === undefined || !hasAccessUnder(policies, nsPrefix + route.prefix)) {
    const shown = `${rest.replace(/\/+$/, "")}/`;
    return fail(
      403,
      `preflight capability check returned 403, please ensure client's policies grant access to path "${shown}"`,
    );
  }
  return ok({ ...mountInfo(route.mount), path: route.prefix });
}

/** Path of `ns` relative to the token's namespace `tokenNs` ("" when the same). */
export function relativeNsPrefix(tokenNs: Namespace, ns: Namespace): string {
  return ns.path.slice(tokenNs.path.length);
}
