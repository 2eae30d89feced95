// ACL policy endpoints of the Vault test server: `sys/policies/acl[/<name>]`, the legacy
// `sys/policy[/<name>]` (data injected at top level) and `sys/capabilities-self`
// (vault-api.md §8, quirk 24). Policies live in the request's namespace. It must never store a
// policy it could not parse, and never change or delete `root`.

import { capabilitiesOf, parsePolicy } from "./acl.js";
import { relativeNsPrefix } from "./mounts.js";
import { type Ctx, fail, none, ok, type Reply } from "./state.js";
import { policiesOf } from "./token-store.js";
import { stringList } from "./util.js";

function writePolicy(ctx: Ctx, name: string, legacy: boolean): Reply {
  if (name === "root") return fail(400, 'cannot update "root" policy');
  const text = ctx.data?.policy ?? (legacy ? ctx.data?.rules : undefined);
  if (typeof text !== "string" || text.trim() === "")
    return fail(400, "'policy' parameter not supplied or empty");
  try {
    ctx.ns.policies.set(name, parsePolicy(name, text));
  } catch (err) {
    return fail(400, `failed to parse policy: ${(err as Error).message}`);
  }
  return none();
}

function deletePolicy(ctx: Ctx, name: string): Reply {
  if (name === "root" || name === "default") return fail(400, `cannot delete "${name}" policy`);
  ctx.ns.policies.delete(name);
  return none();
}

function policyNames(ctx: Ctx): string[] {
  return [
    ...new Set([...ctx.ns.policies.keys(), ...(ctx.ns.parent === undefined ? ["root"] : [])]),
  ].sort();
}

/** `sys/policies/acl[/<name>]` (`legacy` false) or `sys/policy[/<name>]` (`legacy` true). */
export function handlePolicies(ctx: Ctx, rest: string, legacy: boolean): Reply {
  const name = rest.replace(/^\/+|\/+$/g, "").toLowerCase();
  if (name === "") {
    if (ctx.op !== "list" && !(legacy && ctx.op === "read"))
      return fail(405, "1 error occurred:\n\t* unsupported operation\n\n");
    const keys = policyNames(ctx);
    return ok(legacy ? { keys, policies: keys } : { keys }, { inject: legacy });
  }
  switch (ctx.op) {
    case "read": {
      if (name === "root" && ctx.ns.parent === undefined) {
        return ok(legacy ? { name, rules: "" } : { name, policy: "" }, { inject: legacy });
      }
      const p = ctx.ns.policies.get(name);
      if (p === undefined) return none();
      return ok(legacy ? { name, rules: p.text } : { name, policy: p.text }, { inject: legacy });
    }
    case "delete":
      return deletePolicy(ctx, name);
    case "create":
    case "update":
      return writePolicy(ctx, name, legacy);
    default:
      return fail(405, "1 error occurred:\n\t* unsupported operation\n\n");
  }
}

/** `sys/capabilities-self` `{"paths":[…]}` → capabilities per path (and `capabilities` for one). */
export function handleCapabilitiesSelf(ctx: Ctx): Reply {
  if (ctx.token === undefined) return fail(403, "permission denied");
  const paths = stringList(ctx.data?.paths ?? ctx.data?.path);
  if (paths.length === 0) return fail(400, "missing paths");
  const policies = policiesOf(ctx.token);
  const prefix = relativeNsPrefix(ctx.token.ns, ctx.ns);
  const data: Record<string, unknown> = {};
  for (const p of paths) {
    const caps = [...capabilitiesOf(policies, prefix + p)].sort();
    const shown = policies.some((x) => x.name === "root")
      ? ["root"]
      : caps.length === 0
        ? ["deny"]
        : caps;
    data[p] = shown;
    if (paths.length === 1) data.capabilities = shown;
  }
  return ok(data, { inject: true });
}
