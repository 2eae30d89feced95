// Checks for config values that KES accepts but that silently do nothing (or too much): an admin
// identity no certificate can have, policy patterns and identities that can never match, and
// skip_auth on a key route. Errors where the mistake fails open (a deny that denies nothing, an
// admin that was meant to exist), warnings where it fails closed. Pure: reports into Problems.

import { whyPatternNeverMatches } from "../policy/rule-check.js";
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

/** skip_auth on a `/v1/key/…` route lets any client, with or without a certificate, use it. */
export function checkSkipAuth(route: string, skipAuth: boolean | undefined, p: Problems): void {
  if (skipAuth !== true || !route.startsWith("/v1/key/")) return;
  p.warn(
    ["api", route, "skip_auth"],
    `route '${route}' skips authentication and policy: any client that reaches the port, with or without a certificate, can use it on every key`,
  );
}
