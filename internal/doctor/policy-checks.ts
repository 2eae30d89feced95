// Checks of the admin and policy identities and of the routes a MinIO deployment needs
// (kes-api.md §6.3: a MinIO policy allows key create/generate/decrypt; its KMS status and metrics
// calls need /v1/status and /v1/metrics — the "insufficient permissions" support threads). A
// policy counts as a KMS client's when it lets some key be generated and decrypted. Pure: works
// on the loaded Config and the same policy matcher the server uses.

import type { Config } from "../config/config.js";
import { ADMIN_DISABLED, isIdentityHex } from "../config/names.js";
import { type CompiledPolicy, compilePolicy } from "../policy/policy.js";
import { type CheckResult, fail, ok, warn } from "./report.js";

/** admin, and one line per policy: reachable (has identities), identities well-formed. */
export function checkIdentities(config: Config): CheckResult[] {
  const admin = config.admin.identity;
  const out: CheckResult[] = [
    admin === ADMIN_DISABLED || admin === ""
      ? ok("identity.admin", "no admin identity (disabled): only policy identities have access")
      : ok("identity.admin", `admin identity ${admin}`),
  ];
  for (const policy of config.policies) {
    const id = `policy.${policy.name}`;
    const bad = policy.identities.filter((i) => !isIdentityHex(i));
    if (policy.identities.length === 0) {
      out.push(
        fail(
          id,
          `policy '${policy.name}' has no identity: no client can use it`,
          `add its client's identity ('keyfront identity of CLIENT.crt') under policy.${policy.name}.identities, or remove the policy`,
        ),
      );
    } else if (bad.length > 0) {
      out.push(
        fail(
          id,
          `policy '${policy.name}' lists ${bad.map((b) => `'${b}'`).join(", ")}, which no client can have (an identity is 64 lowercase hex digits)`,
          "replace it with the output of 'keyfront identity of CLIENT.crt'",
        ),
      );
    } else {
      const n = policy.identities.length;
      out.push(ok(id, `policy '${policy.name}': ${n} identit${n === 1 ? "y" : "ies"}`));
    }
  }
  return out;
}

interface NeededRoute {
  route: string;
  /** A key route takes a name after the prefix. */
  keyed: boolean;
  required: boolean;
}

/** What MinIO calls (kes-api.md §6.3), required first. */
export const MINIO_ROUTES: readonly NeededRoute[] = [
  { route: "/v1/key/create/", keyed: true, required: true },
  { route: "/v1/key/generate/", keyed: true, required: true },
  { route: "/v1/key/decrypt/", keyed: true, required: true },
  { route: "/v1/status", keyed: false, required: true },
  { route: "/v1/metrics", keyed: false, required: false },
  { route: "/v1/key/list/", keyed: true, required: false },
];

/** Paths of `route` this policy's allow patterns could admit, to test with the real matcher. */
function samplePaths(policy: CompiledPolicy, route: NeededRoute): string[] {
  if (!route.keyed) return [route.route];
  const out: string[] = [];
  for (const pattern of policy.allow) {
    if (pattern.endsWith("*")) {
      const prefix = pattern.slice(0, -1);
      if (prefix.startsWith(route.route)) out.push(`${prefix}x`);
      else if (route.route.startsWith(prefix)) out.push(`${route.route}x`);
    } else if (pattern.startsWith(route.route) && pattern.length > route.route.length) {
      out.push(pattern);
    }
  }
  return out;
}

function grants(policy: CompiledPolicy, route: NeededRoute, config: Config): boolean {
  const open = Object.entries(config.api).some(
    ([path, s]) => s.skipAuth && (path === route.route || path === `${route.route}*`),
  );
  return open || samplePaths(policy, route).some((p) => policy.allows(p));
}

const shown = (r: NeededRoute) => (r.keyed ? `${r.route}<key>` : r.route);

/** One line per KMS-client policy: which of MinIO's routes it lacks. */
export function checkMinioRoutes(config: Config): CheckResult[] {
  const kms = config.policies
    .map((p) => compilePolicy(p))
    .filter((p) => p.identities.length > 0)
    .filter((p) => MINIO_ROUTES.slice(1, 3).every((r) => grants(p, r, config)));
  if (kms.length === 0) {
    return [
      warn(
        "minio.routes",
        "no policy with an identity lets a client generate and decrypt data keys: MinIO cannot use this server",
        `give MinIO's identity a policy allowing ${MINIO_ROUTES.filter((r) => r.required)
          .map((r) => `${r.route}${r.keyed ? "*" : ""}`)
          .join(", ")}`,
      ),
    ];
  }
  return kms.map((policy) => {
    const id = `minio.routes.${policy.name}`;
    const missing = MINIO_ROUTES.filter((r) => !grants(policy, r, config));
    const required = missing.filter((r) => r.required);
    const allow = (list: NeededRoute[]) =>
      list.map((r) => `${r.route}${r.keyed ? "*" : ""}`).join(", ");
    if (required.length > 0) {
      return fail(
        id,
        `policy '${policy.name}' does not allow ${required.map(shown).join(", ")}: MinIO reports "insufficient permissions"`,
        `add ${allow(required)} to policy.${policy.name}.allow`,
      );
    }
    if (missing.length > 0) {
      return warn(
        id,
        `policy '${policy.name}' does not allow ${missing.map(shown).join(", ")} (MinIO's KMS metrics and key listing)`,
        `add ${allow(missing)} to policy.${policy.name}.allow`,
      );
    }
    return ok(id, `policy '${policy.name}' allows every route MinIO calls`);
  });
}
