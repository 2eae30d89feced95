// Namespaces of the Vault test server (Enterprise mode): resolving `X-Vault-Namespace` + URL path
// by longest existing prefix, namespace creation/lookup/deletion under `sys/namespaces`, and the
// OSS mode where the header is ignored (vault-api.md §1.6, quirk 21). It must never invent a
// "namespace not found" error: unknown segments stay part of the path.

import { DEFAULT_POLICY_TEXT, parsePolicy } from "./acl.js";
import {
  type Ctx,
  fail,
  type Namespace,
  newNamespace,
  none,
  ok,
  type Reply,
  type ServerState,
} from "./state.js";
import { listChildren, multiError } from "./util.js";

/** Prepares a fresh namespace: sys/, auth/token/ and the default policy. */
export type NamespaceSetup = (ns: Namespace) => void;

export function setupPolicies(ns: Namespace): void {
  ns.policies.set("default", parsePolicy("default", DEFAULT_POLICY_TEXT));
}

/** Namespace and namespace-relative path of a request (OSS: always root). */
export function resolveNamespace(
  state: ServerState,
  header: string | undefined,
  path: string,
): { ns: Namespace; path: string; missing?: boolean } {
  if (!state.enterprise) return { ns: state.root, path };
  const prefix = (header ?? "").replace(/^\/+|\/+$/g, "");
  // A header naming a namespace that does not exist: 404 "namespace not found" (vault-diff).
  const depth = prefix === "" ? 0 : prefix.split("/").length;
  const full = prefix === "" ? path : `${prefix}/${path}`;
  const segments = full.split("/");
  let ns = state.root;
  let used = 0;
  while (used < segments.length) {
    const child = ns.children.get(segments[used] as string);
    if (child === undefined) break;
    ns = child;
    used++;
  }
  return { ns, path: segments.slice(used).join("/"), ...(used < depth ? { missing: true } : {}) };
}

/** Whether `ns` is `ancestor` or below it. */
export function isWithin(ns: Namespace, ancestor: Namespace): boolean {
  for (let n: Namespace | undefined = ns; n !== undefined; n = n.parent)
    if (n === ancestor) return true;
  return false;
}

function infoOf(ns: Namespace): Record<string, unknown> {
  return {
    id: ns.id,
    uuid: ns.uuid,
    path: ns.path,
    custom_metadata: {},
    locked: false,
    tainted: false,
  };
}

/** `sys/namespaces[/<name>]` in the request's namespace. */
export function handleSysNamespaces(ctx: Ctx, rest: string, setup: NamespaceSetup): Reply {
  if (!ctx.state.enterprise) return fail(404, multiError("unsupported path"));
  const name = rest.replace(/^\/+|\/+$/g, "");
  if (ctx.op === "list" || name === "") {
    if (ctx.op !== "list") return fail(405, multiError("unsupported operation"));
    const keys = listChildren(
      [...ctx.ns.children.keys()].map((k) => `${k}/`),
      "",
    );
    const keyInfo = Object.fromEntries(
      [...ctx.ns.children].map(([k, child]) => [`${k}/`, infoOf(child)]),
    );
    return keys.length === 0 ? none() : ok({ keys, key_info: keyInfo });
  }
  if (name.includes("/")) return fail(400, "namespace name cannot contain '/'");
  const existing = ctx.ns.children.get(name);
  switch (ctx.op) {
    case "read":
      return existing === undefined ? none() : ok(infoOf(existing));
    case "delete":
      // OpenBao deletes a namespace in the background and says so (vault-diff).
      if (existing === undefined) return none();
      ctx.ns.children.delete(name);
      return ok({ status: "in-progress" });
    default: {
      if (existing !== undefined) return ok(infoOf(existing));
      const child = newNamespace(`${ctx.ns.path}${name}/`, ctx.ns);
      setup(child);
      ctx.ns.children.set(name, child);
      return ok(infoOf(child));
    }
  }
}
