// The `sys/` backend of the Vault test server for authenticated requests: dispatches mounts,
// auth methods, policies, namespaces, ui/mounts, wrapping, capabilities-self, seal and leader.
// (Health, seal-status, unseal and init are answered earlier by the HTTP layer because they are
// unauthenticated and exempt from the seal.) It must never serve a path it does not know.

import { handleSysAuth, handleSysMounts, handleUiMounts } from "./mounts.js";
import { handleSysNamespaces, type NamespaceSetup } from "./namespaces.js";
import { handleCapabilitiesSelf, handlePolicies } from "./policies.js";
import { type Backend, type Ctx, fail, ok, type Reply } from "./state.js";
import { sealByRequest } from "./sys.js";
import { multiError } from "./util.js";
import { lookupWrapping, unwrapToken } from "./wrapping.js";

function under(path: string, prefix: string): string | undefined {
  if (path === prefix) return "";
  return path.startsWith(`${prefix}/`) ? path.slice(prefix.length + 1) : undefined;
}

function handleWrapping(ctx: Ctx, rest: string): Reply {
  const token = typeof ctx.data?.token === "string" ? ctx.data.token : "";
  switch (rest) {
    case "unwrap":
      return unwrapToken(ctx.state, token);
    case "lookup":
      return lookupWrapping(ctx.state, token);
    case "wrap":
      return ok(ctx.data ?? {});
    default:
      return fail(404, multiError("unsupported path"));
  }
}

/** The system backend; `setup` prepares namespaces created through `sys/namespaces`. */
export function createSysBackend(setup: NamespaceSetup): Backend {
  const table: Array<[string, (ctx: Ctx, rest: string) => Reply]> = [
    ["mounts", handleSysMounts],
    ["auth", handleSysAuth],
    ["policies/acl", (ctx, rest) => handlePolicies(ctx, rest, false)],
    ["policy", (ctx, rest) => handlePolicies(ctx, rest, true)],
    ["internal/ui/mounts", handleUiMounts],
    ["namespaces", (ctx, rest) => handleSysNamespaces(ctx, rest, setup)],
    ["wrapping", handleWrapping],
    ["capabilities-self", (ctx) => handleCapabilitiesSelf(ctx)],
    ["seal", (ctx) => sealByRequest(ctx.state)],
    [
      "leader",
      () =>
        ok({
          ha_enabled: false,
          is_self: true,
          leader_address: "",
          leader_cluster_address: "",
          performance_standby: false,
        }),
    ],
  ];
  return {
    handle(ctx: Ctx): Reply {
      for (const [prefix, handler] of table) {
        const rest = under(ctx.path.replace(/\/$/, ""), prefix);
        if (rest !== undefined) return handler(ctx, rest);
      }
      return fail(404, multiError("unsupported path"));
    },
  };
}
