// The `auth/token/` backend of the Vault test server: create (test setup), lookup-self,
// renew-self (increment, max-TTL cap with warning, periodic reset), revoke-self, lookup and
// revoke (vault-api.md §6). It must never extend a token past its max TTL.

import { type Backend, type Ctx, fail, none, ok, type Reply, type TokenEntry } from "./state.js";
import { authBlockOf, findToken, lookupDataOf, mintToken, revokeToken } from "./token-store.js";
import {
  formatGoDuration,
  isObject,
  multiError,
  parseDurationSeconds,
  stringList,
  weakBool,
} from "./util.js";

function createToken(ctx: Ctx, orphanPath: boolean): Reply {
  const parent = ctx.token as TokenEntry;
  const d = ctx.data ?? {};
  const policies = stringList(d.policies);
  const isRoot = parent.policies.includes("root");
  const wanted = policies.length === 0 ? parent.policies.filter((p) => p !== "default") : policies;
  if (!isRoot && wanted.some((p) => p !== "default" && !parent.policies.includes(p))) {
    return fail(400, "child policies must be subset of parent");
  }
  const ttl = parseDurationSeconds(d.ttl ?? d.lease);
  const period = parseDurationSeconds(d.period);
  const explicitMax = parseDurationSeconds(d.explicit_max_ttl);
  const numUses = Number(d.num_uses ?? 0);
  if (ttl === undefined || period === undefined || explicitMax === undefined) {
    return fail(400, "error parsing duration");
  }
  if (!Number.isInteger(numUses) || numUses < 0)
    return fail(400, "number of uses cannot be negative");
  const meta = isObject(d.meta)
    ? Object.fromEntries(Object.entries(d.meta).map(([k, v]) => [k, String(v)]))
    : null;
  const rootChild = isRoot && wanted.includes("root");
  const { entry } = mintToken(ctx.state, {
    ns: ctx.ns,
    policies: wanted,
    noDefaultPolicy: weakBool(d.no_default_policy, false) || rootChild,
    path: orphanPath ? "auth/token/create-orphan" : "auth/token/create",
    displayName: `token${typeof d.display_name === "string" ? `-${d.display_name}` : ""}`,
    meta,
    ttl,
    explicitMaxTtl: explicitMax,
    period,
    numUses,
    renewable: weakBool(d.renewable, true),
    orphan: orphanPath || weakBool(d.no_parent, false),
    noExpiry: rootChild && ttl === 0 && period === 0,
  });
  return ok(null, { auth: authBlockOf(entry) });
}

/** New TTL for a renewal, with Vault's capping warning (vault-api.md §6, quirk 28). */
function renewToken(entry: TokenEntry, increment: number): { warnings: string[] } | string {
  if (!entry.renewable || entry.expireAt === 0) return "lease is not renewable";
  const now = Date.now();
  let ttl = entry.period !== 0 ? entry.period : increment > 0 ? increment : entry.renewTtl;
  const warnings: string[] = [];
  if (entry.maxExpireAt !== 0 && now + ttl * 1000 > entry.maxExpireAt) {
    const capped = Math.max(0, Math.floor((entry.maxExpireAt - now) / 1000));
    warnings.push(
      `TTL of "${formatGoDuration(ttl)}" exceeded the effective max_ttl of "${formatGoDuration(capped)}"; TTL value is capped accordingly`,
    );
    ttl = capped;
  }
  entry.expireAt = now + ttl * 1000;
  entry.lastRenewal = now;
  return { warnings };
}

function renewSelf(ctx: Ctx): Reply {
  const entry = ctx.token as TokenEntry;
  const increment = parseDurationSeconds(ctx.data?.increment);
  if (increment === undefined) return fail(400, "invalid increment");
  const refused = entry.renewCheck?.(ctx, entry);
  if (refused !== undefined) return refused;
  const result = renewToken(entry, increment);
  if (typeof result === "string") return fail(400, result);
  return ok(null, {
    auth: authBlockOf(entry),
    ...(result.warnings.length > 0 ? { warnings: result.warnings } : {}),
  });
}

/** `auth/token/lookup-accessor`: the token's lookup data without its ID (vault-diff). */
function lookupAccessor(ctx: Ctx): Reply {
  const accessor = ctx.data?.accessor;
  if (typeof accessor !== "string" || accessor === "") return fail(400, "missing accessor");
  const entry = [...ctx.state.tokens.values()].find((t) => t.accessor === accessor);
  return entry ? ok({ ...lookupDataOf(entry), id: "" }) : fail(400, "invalid accessor");
}

function targetToken(ctx: Ctx): TokenEntry | Reply {
  const id = ctx.data?.token;
  if (typeof id !== "string" || id === "") return fail(400, "missing token");
  const entry = findToken(ctx.state, id);
  return entry ?? fail(403, "bad token");
}

export function createTokenBackend(): Backend {
  return {
    handle(ctx: Ctx): Reply {
      const { op, path } = ctx;
      const write = op === "create" || op === "update";
      const entry = ctx.token as TokenEntry;
      if (path === "create" || path === "create-orphan") {
        return write
          ? createToken(ctx, path === "create-orphan")
          : fail(405, multiError("unsupported operation"));
      }
      if (path === "lookup-self" && (op === "read" || write)) return ok(lookupDataOf(entry));
      if (path === "renew-self" && write) return renewSelf(ctx);
      if (path === "revoke-self" && write) {
        revokeToken(ctx.state, entry.id);
        return none();
      }
      if (path === "lookup" && write) {
        const target = targetToken(ctx);
        return "kind" in target ? target : ok(lookupDataOf(target));
      }
      if (path === "lookup-accessor" && write) return lookupAccessor(ctx);
      if (path === "revoke" && write) {
        const id = ctx.data?.token;
        if (typeof id === "string") revokeToken(ctx.state, id);
        return none();
      }
      return fail(404, multiError("unsupported path"));
    },
  };
}
