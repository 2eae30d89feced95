// Handlers of the read-only policy and identity routes (kes-api.md §3.7, §3.8). Policies and
// identities come only from the config; `created_at` is the time this configuration was loaded.

import { errIdentityNotFound, errPolicyNotFound } from "../../errors.js";
import type { CompiledPolicy } from "../../policy/policy.js";
import { jsonReply, type Reply, type RequestContext } from "../route.js";
import { identityName, listingPrefix, policyName } from "./resource.js";

const patternMap = (patterns: readonly string[]) =>
  Object.fromEntries(patterns.map((p) => [p, {}])) as Record<string, Record<string, never>>;

function policyDocument(p: CompiledPolicy, createdAt: string, createdBy: string) {
  return {
    name: p.name,
    ...(p.allow.length > 0 ? { allow: patternMap(p.allow) } : {}),
    ...(p.deny.length > 0 ? { deny: patternMap(p.deny) } : {}),
    created_at: createdAt,
    created_by: createdBy,
  };
}

function findPolicy(ctx: RequestContext): CompiledPolicy {
  const policy = ctx.state.policies.policies.get(policyName(ctx.resource));
  if (policy === undefined) throw errPolicyNotFound();
  return policy;
}

export function describePolicy(ctx: RequestContext): Reply {
  const p = findPolicy(ctx);
  return jsonReply({
    name: p.name,
    created_at: ctx.state.loadedAt,
    created_by: ctx.state.policies.admin,
  });
}

export function readPolicy(ctx: RequestContext): Reply {
  return jsonReply(policyDocument(findPolicy(ctx), ctx.state.loadedAt, ctx.state.policies.admin));
}

export function listPolicies(ctx: RequestContext): Reply {
  const prefix = listingPrefix(ctx.resource);
  const names = [...ctx.state.policies.policies.keys()].filter((n) => n.startsWith(prefix)).sort();
  return jsonReply({ names, continue_at: "" });
}

export function describeIdentity(ctx: RequestContext): Reply {
  const id = identityName(ctx.resource);
  const { policies, loadedAt } = ctx.state;
  if (id === policies.admin) return jsonReply({ admin: true, created_at: loadedAt });
  const policy = policies.policyOf(id);
  if (policy === undefined) throw errIdentityNotFound();
  return jsonReply({ policy: policy.name, created_at: loadedAt, created_by: policies.admin });
}

/** The admin identity is always part of a full listing (kes-api.md §3.8). */
export function listIdentities(ctx: RequestContext): Reply {
  const prefix = listingPrefix(ctx.resource);
  const all = new Set([ctx.state.policies.admin, ...ctx.state.policies.identities()]);
  const identities = [...all].filter((i) => i.startsWith(prefix)).sort();
  return jsonReply({ identities, continue_at: "" });
}

/**
 * The SDK's flat self-describe shape for admin and non-admin callers alike (KES HEAD answers 404
 * to every non-admin, kes-api.md §3.8; keyfront fixes that).
 */
export function describeSelf(ctx: RequestContext): Reply {
  const { policies, loadedAt } = ctx.state;
  const id = ctx.identity;
  if (id === "") throw errIdentityNotFound();
  if (policies.isAdmin(id)) return jsonReply({ identity: id, admin: true, created_at: loadedAt });
  const policy = policies.policyOf(id);
  if (policy === undefined) throw errIdentityNotFound();
  return jsonReply({
    identity: id,
    created_at: loadedAt,
    created_by: policies.admin,
    policy: policy.name,
    ...(policy.allow.length > 0 ? { allow: patternMap(policy.allow) } : {}),
    ...(policy.deny.length > 0 ? { deny: patternMap(policy.deny) } : {}),
  });
}
