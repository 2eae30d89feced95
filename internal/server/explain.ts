// `policy explain`: what the server would do with one request from one identity, and why. It
// walks the request loop's own steps with the loop's own functions (kes-api.md §1.3): path
// normalisation and its 301 (path.ts), route lookup and its trailing-slash 301 (router.ts), the
// method check (route.ts acceptsMethod), then the route's auth mode and the policy decision
// (policy.ts decide, the matcher behind `allows`). It never reimplements one of them, so an
// explanation cannot disagree with the server. Pure: no I/O, no logging; it decides nothing that
// is not already in the configuration (it never looks at keys).

import { errMethod, errNotAllowed } from "../errors.js";
import { EXPLAIN_MAX_REDIRECTS } from "../limits.js";
import type { AccessDecision, PolicySet } from "../policy/policy.js";
import { normalizeRequestPath } from "./path.js";
import { acceptsMethod, type Method } from "./route.js";
import type { Router } from "./router.js";

export type ExplainOutcome =
  | "allowed"
  | "denied"
  | "bad_request"
  | "not_found"
  | "method_not_allowed";

/**
 * What decided: the request loop before any policy (routing: 400, 404, 405), a route that checks
 * no policy, the admin, an identity in no policy, a rule, no rule (default deny), or a rule the
 * caller may not read (set by the handler).
 */
export type DecidedBy =
  | "routing"
  | "route"
  | "admin"
  | "unknown_identity"
  | "rule"
  | "default"
  | "rule_withheld";

export interface ExplainRule {
  readonly effect: "allow" | "deny";
  readonly pattern: string;
}

/** The explanation, in the shape the route answers (snake_case wire names). */
export interface Explanation {
  readonly identity: string;
  /** admin, a policy's identity, or unknown (neither: every policy route is denied). */
  readonly role: "admin" | "policy" | "unknown";
  readonly policy?: string;
  readonly method: string;
  /** The request target as given. */
  readonly path: string;
  /** The 301s the server answers, in order; the first is its answer to `path` itself. */
  readonly redirects: readonly string[];
  /** The decoded, cleaned path that routing and the policy see (absent if the path is bad). */
  readonly evaluated_path?: string;
  readonly route?: { readonly method: Method; readonly path: string; readonly auth: string };
  /** The pattern that decided; absent for the admin, an unknown identity or no match. */
  readonly rule?: ExplainRule;
  readonly outcome: ExplainOutcome;
  readonly decided_by: DecidedBy;
  readonly allowed: boolean;
  /** The status the server answers instead of running the handler; absent when allowed. */
  readonly status?: number;
  /** One sentence: why. */
  readonly reason: string;
}

type Verdict = Pick<
  Explanation,
  "outcome" | "decided_by" | "allowed" | "status" | "reason" | "rule"
>;

function roleOf(policies: PolicySet, identity: string) {
  if (policies.isAdmin(identity)) return { role: "admin" as const };
  const policy = policies.policyOf(identity);
  if (policy === undefined) return { role: "unknown" as const };
  return { role: "policy" as const, policy: policy.name };
}

function policyVerdict(d: AccessDecision): Verdict {
  const denied = errNotAllowed();
  const deny = (decidedBy: DecidedBy, reason: string, rule?: ExplainRule): Verdict => ({
    outcome: "denied",
    decided_by: decidedBy,
    allowed: false,
    status: denied.status,
    reason: `${reason}: the server answers ${denied.status} '${denied.message}'`,
    ...(rule === undefined ? {} : { rule }),
  });
  if (d.role === "admin") {
    return {
      outcome: "allowed",
      decided_by: "admin",
      allowed: true,
      reason: "the admin identity may use every route",
    };
  }
  if (d.role === "unknown") {
    return deny("unknown_identity", "the identity is neither the admin nor in any policy");
  }
  if (d.effect === "deny") {
    return deny(
      "rule",
      `deny rule '${d.pattern}' of policy '${d.policy}' matched (deny wins over allow)`,
      {
        effect: "deny",
        pattern: d.pattern,
      },
    );
  }
  if (d.effect === "allow") {
    return {
      outcome: "allowed",
      decided_by: "rule",
      allowed: true,
      reason: `allow rule '${d.pattern}' of policy '${d.policy}' matched and no deny rule did`,
      rule: { effect: "allow", pattern: d.pattern },
    };
  }
  return deny("default", `no rule of policy '${d.policy}' matched: denied by default`);
}

/**
 * Explains `method target` sent by `identity` (64 hex) under this router and these policies.
 * `target` is a request target as sent on the wire (percent-encoded, optional query).
 */
export function explainRequest(
  router: Router,
  policies: PolicySet,
  identity: string,
  method: string,
  target: string,
): Explanation {
  const head = { identity, ...roleOf(policies, identity), method, path: target };
  const redirects: string[] = [];
  let current = target;
  for (;;) {
    // A clean path stays clean: at most one redirect of each kind, anything more is a bug.
    if (redirects.length > EXPLAIN_MAX_REDIRECTS) throw new Error("redirects do not converge");
    const normal = normalizeRequestPath(current);
    if (normal.kind === "bad") {
      return {
        ...head,
        redirects,
        outcome: "bad_request",
        decided_by: "routing",
        allowed: false,
        status: 400,
        reason: `the server answers 400 '${normal.message}'`,
      };
    }
    if (normal.kind === "redirect") {
      redirects.push(normal.location);
      current = normal.location;
      continue;
    }
    const path = normal.path;
    const found = router.lookup(path);
    if (found.kind === "redirect") {
      redirects.push(found.location);
      current = found.location;
      continue;
    }
    const at = { ...head, redirects, evaluated_path: path };
    if (found.kind === "none") {
      return {
        ...at,
        outcome: "not_found",
        decided_by: "routing",
        allowed: false,
        status: 404,
        reason: "no route has this path: the server answers 404 '404 page not found'",
      };
    }
    const { spec, auth } = found.route;
    const withRoute = { ...at, route: { method: spec.method, path: spec.path, auth } };
    if (!acceptsMethod(spec.method, method)) {
      const e = errMethod(method, spec.method);
      return {
        ...withRoute,
        outcome: "method_not_allowed",
        decided_by: "routing",
        allowed: false,
        status: e.status,
        reason: `the route takes ${spec.method === "PUT" ? "PUT or POST" : spec.method}: the server answers ${e.status} '${e.message}'`,
      };
    }
    if (auth === "none") {
      return {
        ...withRoute,
        outcome: "allowed",
        decided_by: "route",
        allowed: true,
        reason: "the route needs no authentication: anyone may call it",
      };
    }
    if (auth === "identify") {
      const skipped = spec.auth === "policy";
      return {
        ...withRoute,
        outcome: "allowed",
        decided_by: "route",
        allowed: true,
        reason: skipped
          ? `the configuration sets api.${spec.path}.skip_auth: no policy is checked, anyone may call it`
          : "the route checks no policy, only who calls it: any identity may call it",
      };
    }
    return { ...withRoute, ...policyVerdict(policies.decide(identity, path)) };
  }
}
