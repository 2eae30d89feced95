// The explanation core against the real route table: every step of the request loop it mirrors
// (clean-path 301, trailing-slash 301, 404, 405, auth modes, admin, unknown, allow, deny, default).

import { describe, expect, it } from "vitest";
import { PolicySet } from "../policy/policy.js";
import { explainRequest } from "./explain.js";
import { Router } from "./router.js";
import { ROUTES } from "./routes.js";

const admin = "a".repeat(64);
const user = "b".repeat(64);
const stranger = "c".repeat(64);
const policies = new PolicySet(admin, [
  {
    name: "app",
    allow: ["/v1/key/create/app-*", "/v1/key/generate/*", "/v1/status", "/v1/key/list/*"],
    deny: ["/v1/key/generate/secret-*"],
    identities: [user],
  },
]);
const router = new Router(ROUTES);
const explain = (id: string, method: string, path: string) =>
  explainRequest(router, policies, id, method, path);

describe("explainRequest", () => {
  it("allowed by an allow rule", () => {
    expect(explain(user, "POST", "/v1/key/create/app-1")).toEqual({
      identity: user,
      role: "policy",
      policy: "app",
      method: "POST",
      path: "/v1/key/create/app-1",
      redirects: [],
      evaluated_path: "/v1/key/create/app-1",
      route: { method: "PUT", path: "/v1/key/create/", auth: "policy" },
      rule: { effect: "allow", pattern: "/v1/key/create/app-*" },
      outcome: "allowed",
      decided_by: "rule",
      allowed: true,
      reason: "allow rule '/v1/key/create/app-*' of policy 'app' matched and no deny rule did",
    });
  });

  it("denied by a deny rule, though an allow rule matches too", () => {
    const e = explain(user, "PUT", "/v1/key/generate/secret-1");
    expect(e).toMatchObject({
      rule: { effect: "deny", pattern: "/v1/key/generate/secret-*" },
      outcome: "denied",
      allowed: false,
      status: 403,
    });
    expect(e.reason).toBe(
      "deny rule '/v1/key/generate/secret-*' of policy 'app' matched (deny wins over allow): the server answers 403 'not authorized: insufficient permissions'",
    );
  });

  it("denied by default when no rule matches", () => {
    const e = explain(user, "DELETE", "/v1/key/delete/app-1");
    expect(e).toMatchObject({ outcome: "denied", decided_by: "default", status: 403 });
    expect(e.rule).toBeUndefined();
    expect(e.reason).toMatch(/^no rule of policy 'app' matched: denied by default/);
  });

  it("the admin may do anything; an unknown identity nothing that needs a policy", () => {
    expect(explain(admin, "DELETE", "/v1/key/delete/x")).toMatchObject({
      role: "admin",
      outcome: "allowed",
      decided_by: "admin",
      reason: "the admin identity may use every route",
    });
    const e = explain(stranger, "GET", "/v1/status");
    expect(e).toMatchObject({
      role: "unknown",
      outcome: "denied",
      decided_by: "unknown_identity",
      status: 403,
    });
    expect(e.policy).toBeUndefined();
    expect(e.reason).toMatch(/^the identity is neither the admin nor in any policy/);
  });

  it("routes without a policy check are allowed for anyone", () => {
    expect(explain(stranger, "GET", "/version")).toMatchObject({
      outcome: "allowed",
      decided_by: "route",
      route: { auth: "none" },
    });
    expect(explain(stranger, "GET", "/v1/identity/self/describe")).toMatchObject({
      outcome: "allowed",
      route: { auth: "identify" },
    });
  });

  it("an api skip_auth override is explained as such", () => {
    const open = new Router(ROUTES, { "/v1/status": { skipAuth: true, timeoutMs: undefined } });
    const e = explainRequest(open, policies, stranger, "GET", "/v1/status");
    expect(e).toMatchObject({ outcome: "allowed", route: { auth: "identify" } });
    expect(e.reason).toMatch(/api\.\/v1\/status\.skip_auth/);
  });

  it("explains the cleaned path after the server's 301", () => {
    const e = explain(user, "PUT", "/v1/key/x/../generate/secret-2?q=1");
    expect(e.redirects).toEqual(["/v1/key/generate/secret-2?q=1"]);
    expect(e).toMatchObject({ evaluated_path: "/v1/key/generate/secret-2", outcome: "denied" });
  });

  it("decodes percent-escapes before routing and policy, as the server does", () => {
    const e = explain(user, "PUT", "/v1/key/generate/%73ecret-3");
    expect(e).toMatchObject({ evaluated_path: "/v1/key/generate/secret-3", outcome: "denied" });
    // an encoded slash is a slash, and an encoded `..` is cleaned (301) like a literal one
    expect(
      explain(user, "PUT", "/v1/key/create/app-1%2F..%2F..%2Fgenerate%2Fsecret-4"),
    ).toMatchObject({
      redirects: ["/v1/key/generate/secret-4"],
      outcome: "denied",
    });
  });

  it("follows the trailing-slash 301 of a prefix route", () => {
    expect(explain(user, "GET", "/v1/key/list")).toMatchObject({
      redirects: ["/v1/key/list/"],
      evaluated_path: "/v1/key/list/",
      rule: { effect: "allow", pattern: "/v1/key/list/*" },
      outcome: "allowed",
    });
  });

  it("a method the route does not take is a 405", () => {
    const e = explain(admin, "GET", "/v1/key/create/app-1");
    expect(e).toMatchObject({ outcome: "method_not_allowed", decided_by: "routing", status: 405 });
    expect(e.reason).toBe(
      "the route takes PUT or POST: the server answers 405 'received method 'GET' expected 'PUT''",
    );
    expect(explain(admin, "POST", "/v1/status")).toMatchObject({ status: 405 });
  });

  it("an unknown path is a 404 and a malformed one a 400", () => {
    expect(explain(admin, "GET", "/v1/nothing")).toMatchObject({
      outcome: "not_found",
      status: 404,
    });
    expect(explain(admin, "GET", "/v1/key/describe/%zz")).toMatchObject({
      outcome: "bad_request",
      status: 400,
      reason: "the server answers 400 'invalid URL escape in request path'",
    });
    expect(explain(admin, "GET", "/v1/key/describe/a%00")).toMatchObject({ status: 400 });
  });
});
