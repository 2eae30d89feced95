// KV version 1 backend of the Vault test server: objects stored exactly as written, 204 writes,
// idempotent deletes, lists of direct children with folders ending in '/', and the advisory
// `lease_duration` of reads (vault-api.md §2, quirks 3, 9, 15). In memory only; it must never
// version or transform the stored object.

import { hideThisRead, loseThisWrite } from "./faults.js";
import { type Backend, type Ctx, fail, none, ok, type Reply, SYSTEM_DEFAULT_TTL } from "./state.js";
import { listChildren, multiError, parseDurationSeconds } from "./util.js";

/** `lease_duration` of a KV v1 read: the object's `ttl` (or legacy `lease`) else the mount default. */
function leaseOf(value: Record<string, unknown>): number {
  for (const field of ["ttl", "lease"]) {
    const v = value[field];
    if (v === undefined) continue;
    const secs = parseDurationSeconds(v);
    if (secs !== undefined && secs > 0) return secs;
  }
  return SYSTEM_DEFAULT_TTL;
}

export function createKv1Backend(): Backend & { store: Map<string, Record<string, unknown>> } {
  const store = new Map<string, Record<string, unknown>>();
  return {
    store,
    exists(ctx: Ctx): boolean {
      return store.has(ctx.path);
    },
    handle(ctx: Ctx): Reply {
      const key = ctx.path;
      switch (ctx.op) {
        case "read": {
          if (store.has(key) && hideThisRead(ctx.state)) return none(); // injected lag
          const value = store.get(key);
          return value === undefined ? none() : ok(value, { leaseDuration: leaseOf(value) });
        }
        case "list": {
          const keys = listChildren(store.keys(), key === "/" ? "" : key);
          return keys.length === 0 ? none() : ok({ keys });
        }
        case "create":
        case "update": {
          const data = ctx.data;
          if (data === null || Object.keys(data).length === 0)
            return fail(400, "missing data fields");
          if (loseThisWrite(ctx.state)) return none(); // injected fault: acknowledged, not kept
          store.set(key, structuredClone(data));
          return none();
        }
        case "delete":
          store.delete(key);
          return none();
        default:
          return fail(405, multiError("unsupported operation"));
      }
    },
  };
}
