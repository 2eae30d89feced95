// KV version 2 backend of the Vault test server: routes `data/`, `metadata/`, `delete/`,
// `undelete/`, `destroy/`, `subkeys/` and `config` of a versioned mount, with Vault's 404 shapes
// (`{"errors":[]}`, success envelope for deleted versions, warning envelope for v1-style paths)
// (vault-api.md §3, quirks 2, 10, 11, 17). It must never answer a v1-style call with a write.

import { hideThisRead, loseThisWrite } from "./faults.js";
import {
  changeVersions,
  checkCas,
  isHidden,
  type Kv2Store,
  mergePatch,
  metadataOf,
  newKeyMeta,
  newKv2Store,
  subkeysOf,
  versionMetadata,
  writeVersion,
} from "./kv2-store.js";
import { type Backend, type Ctx, fail, none, type Op, ok, type Reply } from "./state.js";
import {
  formatGoDuration,
  formatUtcNano,
  isObject,
  listChildren,
  multiError,
  parseDurationSeconds,
  weakBool,
} from "./util.js";

const CLI_VERB: Record<Op, string> = {
  read: "get",
  list: "list",
  create: "put",
  update: "put",
  delete: "delete",
  patch: "patch",
};

const SUBPATHS = ["data", "metadata", "delete", "undelete", "destroy", "subkeys"];

function warning404(text: string): Reply {
  return { kind: "response", status: 404, data: null, warnings: [text], mountType: "" };
}

function invalidPath(op: Op): Reply {
  return warning404(
    `Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv ${CLI_VERB[op]}' for this operation.`,
  );
}

function readData(store: Kv2Store, key: string, ctx: Ctx): Reply {
  const meta = store.keys.get(key);
  if (meta === undefined || hideThisRead(ctx.state)) return none(); // hidden: injected lag
  const n = Number(ctx.data?.version ?? 0) || meta.current;
  const v = meta.versions.get(n);
  if (v === undefined) return none();
  const metadata = versionMetadata(meta, n, v);
  if (isHidden(v)) {
    // A deleted/destroyed version is a 404 carrying a success envelope (quirk 2).
    return { kind: "response", status: 404, data: { data: null, metadata }, mountType: "" };
  }
  return ok({ data: v.data, metadata });
}

function writeData(store: Kv2Store, key: string, ctx: Ctx): Reply {
  const body = ctx.data ?? {};
  if (!isObject(body.data)) return fail(400, "no data provided");
  const meta = store.keys.get(key);
  const casError = checkCas(store, meta, body.options);
  if (casError !== undefined) return casError;
  if (loseThisWrite(ctx.state)) {
    // Injected fault: acknowledged as the next version, but nothing is kept.
    return ok({
      created_time: formatUtcNano(Date.now()),
      custom_metadata: null,
      deletion_time: "",
      destroyed: false,
      version: (meta?.current ?? 0) + 1,
    });
  }
  return writeVersion(store, key, body.data);
}

function patchData(store: Kv2Store, key: string, ctx: Ctx): Reply {
  const meta = store.keys.get(key);
  const current = meta?.versions.get(meta.current);
  if (meta === undefined || current === undefined) return { kind: "raw", status: 404, body: "" };
  if (isHidden(current)) {
    return {
      kind: "response",
      status: 404,
      data: versionMetadata(meta, meta.current, current),
      mountType: "",
    };
  }
  const body = ctx.data ?? {};
  if (!isObject(body.data)) return fail(400, "no data provided");
  const casError = checkCas(store, meta, body.options);
  if (casError !== undefined) return casError;
  const merged = mergePatch(current.data, body.data) as Record<string, unknown>;
  return writeVersion(store, key, merged);
}

function softDeleteLatest(store: Kv2Store, key: string): Reply {
  const meta = store.keys.get(key);
  const v = meta?.versions.get(meta.current);
  if (meta !== undefined && v !== undefined && !isHidden(v)) {
    v.deletion = formatUtcNano(Date.now());
    meta.updated = v.deletion;
  }
  return none();
}

function handleData(store: Kv2Store, key: string, ctx: Ctx): Reply {
  if (key.endsWith("/")) return invalidPath(ctx.op);
  switch (ctx.op) {
    case "read":
      return readData(store, key, ctx);
    case "create":
    case "update":
      return writeData(store, key, ctx);
    case "patch":
      return patchData(store, key, ctx);
    case "delete":
      return softDeleteLatest(store, key);
    default:
      return invalidPath(ctx.op);
  }
}

function listMetadata(store: Kv2Store, dir: string, ctx: Ctx): Reply {
  const excludeDeleted = weakBool(ctx.data?.exclude_deleted, false);
  const names = [...store.keys].filter(([, meta]) => {
    if (!excludeDeleted) return true;
    const v = meta.versions.get(meta.current);
    return v !== undefined && !isHidden(v);
  });
  const keys = listChildren(
    names.map(([k]) => k),
    dir,
  );
  return keys.length === 0 ? none() : ok({ keys });
}

function writeMetadata(store: Kv2Store, key: string, ctx: Ctx, patch: boolean): Reply {
  const existing = store.keys.get(key);
  if (patch && existing === undefined) return none();
  const meta = existing ?? newKeyMeta();
  const d = ctx.data ?? {};
  if (d.max_versions !== undefined) meta.maxVersions = Number(d.max_versions) || 0;
  if (d.cas_required !== undefined) meta.casRequired = weakBool(d.cas_required, false);
  if (d.delete_version_after !== undefined) {
    const secs = parseDurationSeconds(d.delete_version_after);
    if (secs === undefined) return fail(400, "error parsing delete_version_after");
    meta.deleteVersionAfter = secs;
  }
  if (d.custom_metadata !== undefined) {
    if (d.custom_metadata !== null && !isObject(d.custom_metadata)) {
      return fail(400, "custom_metadata must be a map of strings");
    }
    const entries = Object.entries(d.custom_metadata ?? {});
    if (entries.length > 64) return fail(400, "custom_metadata may not exceed 64 keys");
    meta.custom =
      entries.length === 0 ? null : Object.fromEntries(entries.map(([k, v]) => [k, String(v)]));
  }
  meta.updated = formatUtcNano(Date.now());
  store.keys.set(key, meta);
  return none();
}

function handleMetadata(store: Kv2Store, key: string, ctx: Ctx): Reply {
  if (ctx.op === "list") return listMetadata(store, key, ctx);
  if (key === "" || key.endsWith("/")) return invalidPath(ctx.op);
  switch (ctx.op) {
    case "read": {
      const meta = store.keys.get(key);
      return meta === undefined ? none() : ok(metadataOf(meta));
    }
    case "create":
    case "update":
      return writeMetadata(store, key, ctx, false);
    case "patch":
      return writeMetadata(store, key, ctx, true);
    default:
      store.keys.delete(key);
      return none();
  }
}

function handleSubkeys(store: Kv2Store, key: string, ctx: Ctx): Reply {
  if (ctx.op !== "read") return fail(405, multiError("unsupported operation"));
  const meta = store.keys.get(key);
  if (meta === undefined) return none();
  const n = Number(ctx.data?.version ?? 0) || meta.current;
  const v = meta.versions.get(n);
  if (v === undefined) return none();
  if (isHidden(v))
    return {
      kind: "response",
      status: 404,
      data: { subkeys: null, metadata: versionMetadata(meta, n, v) },
      mountType: "",
    };
  const depth = Number(ctx.data?.depth ?? 0) || 0;
  return ok({ subkeys: subkeysOf(v.data, depth), metadata: versionMetadata(meta, n, v) });
}

function handleConfig(store: Kv2Store, ctx: Ctx): Reply {
  if (ctx.op === "read") {
    const c = store.config;
    return ok({
      cas_required: c.casRequired,
      delete_version_after: formatGoDuration(c.deleteVersionAfter),
      max_versions: c.maxVersions,
    });
  }
  if (ctx.op !== "create" && ctx.op !== "update")
    return fail(405, multiError("unsupported operation"));
  const d = ctx.data ?? {};
  if (d.max_versions !== undefined) store.config.maxVersions = Number(d.max_versions) || 0;
  if (d.cas_required !== undefined) store.config.casRequired = weakBool(d.cas_required, false);
  if (d.delete_version_after !== undefined) {
    const secs = parseDurationSeconds(d.delete_version_after);
    if (secs === undefined) return fail(400, "error parsing delete_version_after");
    store.config.deleteVersionAfter = secs;
  }
  return none();
}

/** Splits "data/app/key" into ["data", "app/key"]; a bare root has key undefined. */
function splitSubpath(path: string): [string, string | undefined] {
  const slash = path.indexOf("/");
  return slash === -1 ? [path, undefined] : [path.slice(0, slash), path.slice(slash + 1)];
}

export function createKv2Backend(): Backend & { store: Kv2Store } {
  const store = newKv2Store();
  return {
    store,
    exists(ctx: Ctx): boolean | undefined {
      const [sub, key] = splitSubpath(ctx.path);
      if ((sub === "data" || sub === "metadata") && key !== undefined) return store.keys.has(key);
      return undefined;
    },
    handle(ctx: Ctx): Reply {
      if (ctx.path === "config") return handleConfig(store, ctx);
      const [sub, key] = splitSubpath(ctx.path);
      if (!SUBPATHS.includes(sub)) return invalidPath(ctx.op);
      if (key === undefined || key === "") {
        if (ctx.op === "list" && sub === "metadata") return listMetadata(store, "", ctx);
        // `data/` has a route but no list operation: 405, as OpenBao answers (vault-diff).
        if (ctx.op === "list" && sub === "data")
          return fail(405, multiError("unsupported operation"));
        return ctx.op === "list"
          ? invalidPath(ctx.op)
          : warning404("Non-listing operations on the root of a K/V v2 mount are not supported.");
      }
      if (sub === "data") return handleData(store, key, ctx);
      if (sub === "metadata") return handleMetadata(store, key, ctx);
      if (sub === "subkeys") return handleSubkeys(store, key, ctx);
      if (ctx.op !== "create" && ctx.op !== "update")
        return fail(405, multiError("unsupported operation"));
      return changeVersions(store, sub as "delete" | "undelete" | "destroy", key, ctx.data);
    },
  };
}
