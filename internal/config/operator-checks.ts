// Checks for config values that KES accepts but that silently do nothing (or too much): an admin
// identity no certificate can have, policy patterns and identities that can never match, an
// `api:` entry that names no route, and skip_auth on a route that serves more than a probe.
// Errors where the mistake fails open (a deny that denies nothing, an admin that was meant to
// exist), warnings where it fails closed or opens a route knowingly. Pure: reports into Problems.

import { whyPatternNeverMatches } from "../policy/rule-check.js";
import { isRoutePath } from "../server/route-paths.js";
import { ADMIN_DISABLED, isIdentityHex } from "./names.js";
import type { Problems } from "./problems.js";

const API_KEY_PREFIX = "kes:v1:";

/**
 * admin.identity is 64 lowercase hex or `disabled` (kes-api.md §5.2). KES turns any other value
 * into a disabled admin without a word, so a typo or an uppercase digest locked the operator out.
 * Returns false when an error was reported.
 */
export function checkAdminIdentity(identity: string, p: Problems): boolean {
  if (identity === "" || identity === ADMIN_DISABLED || isIdentityHex(identity)) return true;
  const want = `want 64 lowercase hex digits (see 'keyfront identity of'), or '${ADMIN_DISABLED}' to have no admin`;
  if (identity.startsWith(API_KEY_PREFIX)) {
    // Never echo it: it is a secret, not an identity.
    p.error(["admin", "identity"], `this is an API key, not an identity: ${want}`);
  } else if (isIdentityHex(identity.toLowerCase())) {
    p.error(["admin", "identity"], `invalid identity '${identity}': hex digits must be lowercase`);
  } else {
    p.error(["admin", "identity"], `invalid identity '${identity}': ${want}`);
  }
  return false;
}

/** A policy identity that no certificate can have grants nothing: a warning naming it. */
export function checkPolicyIdentity(id: string, at: (string | number)[], p: Problems): void {
  if (isIdentityHex(id)) return;
  p.warn(at, `identity '${id}' never matches a client: an identity is 64 lowercase hex digits`);
}

/** Deny patterns that never match are errors (fail closed), allow patterns warnings. */
export function checkPolicyPatterns(
  name: string,
  allow: readonly string[] | undefined,
  deny: readonly string[] | undefined,
  p: Problems,
): void {
  (deny ?? []).forEach((pattern, i) => {
    const why = whyPatternNeverMatches(pattern);
    if (why !== undefined) {
      p.error(
        ["policy", name, "deny", i],
        `${why}; a deny rule that never matches denies nothing, so it is refused`,
      );
    }
  });
  (allow ?? []).forEach((pattern, i) => {
    const why = whyPatternNeverMatches(pattern);
    if (why !== undefined) p.warn(["policy", name, "allow", i], `${why}; it allows nothing`);
  });
}

/**
 * Routes that `skip_auth` may open without a warning (KES's sample config lists /v1/ready,
 * /v1/status, /v1/metrics and /v1/api): they tell about the server and its health (or, for
 * self/describe, who the caller is), never a key, a policy, another client's identity or a log
 * line. SECURITY.md says what they do tell.
 */
const PROBE_ROUTES: ReadonlySet<string> = new Set([
  "/version",
  "/v1/ready",
  "/v1/status",
  "/v1/metrics",
  "/v1/api",
  "/v1/identity/self/describe",
]);

/**
 * An `api:` entry must name a route exactly (kes-api.md §10.4); KES ignores any other without a
 * word, so `/v1/key/create` (no trailing slash) or `/v1/metric` silently kept its settings from
 * applying: a warning naming it. `skip_auth` on a route that serves keys, policies, identities or
 * logs lets any client that reaches the port, with or without a certificate, use it: a warning.
 */
export function checkApiRoute(route: string, skipAuth: boolean | undefined, p: Problems): void {
  if (!isRoutePath(route)) {
    const near = [`${route}/`, route.replace(/\/?\*$/, "/")].find(isRoutePath);
    const hint = near !== undefined && near !== route ? ` (did you mean '${near}'?)` : "";
    p.warn(["api", route], `no route '${route}'${hint}: its settings are ignored`);
    return;
  }
  if (skipAuth !== true || PROBE_ROUTES.has(route)) return;
  const scope = route.startsWith("/v1/key/")
    ? " on every key"
    : route.startsWith("/v1/log/")
      ? " and read every event of that log"
      : "";
  p.warn(
    ["api", route, "skip_auth"],
    `route '${route}' skips authentication and policy: any client that reaches the port, with or without a certificate, can use it${scope}`,
  );
}
