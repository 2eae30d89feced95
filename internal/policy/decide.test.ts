// `decide` names the rule behind every access decision (`policy explain`); it must always agree
// with `allows`, the hot path the server uses.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy, PolicySet } from "./policy.js";

const minio = compilePolicy({
  name: "minio",
  allow: ["/v1/key/create/*", "/v1/key/generate/*", "/v1/status", "/v1/key/list/my-app*"],
  deny: ["/v1/key/generate/secret-*", "/v1/key/generate/exact"],
  identities: [],
});

describe("CompiledPolicy.decide", () => {
  it.each([
    ["/v1/key/create/a", { allowed: true, effect: "allow", pattern: "/v1/key/create/*" }],
    ["/v1/status", { allowed: true, effect: "allow", pattern: "/v1/status" }],
    ["/v1/key/list/my-app-2", { allowed: true, effect: "allow", pattern: "/v1/key/list/my-app*" }],
    [
      "/v1/key/generate/secret-1",
      { allowed: false, effect: "deny", pattern: "/v1/key/generate/secret-*" },
    ],
    [
      "/v1/key/generate/exact",
      { allowed: false, effect: "deny", pattern: "/v1/key/generate/exact" },
    ],
    ["/v1/key/delete/a", { allowed: false, effect: "default" }],
    ["/v1/status/", { allowed: false, effect: "default" }],
    ["", { allowed: false, effect: "default" }],
  ])("%s", (path, want) => {
    expect(minio.decide(path)).toEqual(want);
    expect(minio.allows(path)).toBe(want.allowed);
  });

  it("reports the exact pattern before a prefix that also matches", () => {
    const p = compilePolicy({
      name: "p",
      allow: ["/v1/*", "/v1/status"],
      deny: [],
      identities: [],
    });
    expect(p.decide("/v1/status")).toEqual({
      allowed: true,
      effect: "allow",
      pattern: "/v1/status",
    });
  });
});

describe("PolicySet.decide", () => {
  const admin = "a".repeat(64);
  const user = "b".repeat(64);
  const set = new PolicySet(admin, [
    { name: "app", allow: ["/v1/key/*"], deny: ["/v1/key/delete/*"], identities: [user] },
  ]);

  it("names the admin, an unknown identity and the deciding rule", () => {
    expect(set.decide(admin, "/v1/key/delete/x")).toEqual({ allowed: true, role: "admin" });
    expect(set.decide("c".repeat(64), "/v1/key/create/x")).toEqual({
      allowed: false,
      role: "unknown",
    });
    expect(set.decide(user, "/v1/key/delete/x")).toEqual({
      role: "policy",
      policy: "app",
      allowed: false,
      effect: "deny",
      pattern: "/v1/key/delete/*",
    });
    expect(set.decide(user, "/v1/status")).toEqual({
      role: "policy",
      policy: "app",
      allowed: false,
      effect: "default",
    });
  });

  it("never treats the empty identity as the admin", () => {
    expect(new PolicySet("", []).decide("", "/v1/status")).toEqual({
      allowed: false,
      role: "unknown",
    });
  });

  it("agrees with allows on random policies and paths", () => {
    const segment = fc.constantFrom("v1", "key", "create", "a", "a-", "b", "", "status", "*");
    const pathOf = fc.array(segment, { maxLength: 5 }).map((s) => `/${s.join("/")}`);
    const pattern = fc.oneof(
      pathOf,
      pathOf.map((p) => `${p}*`),
      fc.constant(""),
      fc.constant("*"),
    );
    const ids = ["1".repeat(64), "2".repeat(64), "3".repeat(64)];
    fc.assert(
      fc.property(
        fc.array(pattern, { maxLength: 6 }),
        fc.array(pattern, { maxLength: 4 }),
        fc.constantFrom(...ids),
        pathOf,
        (allow, deny, id, path) => {
          const s = new PolicySet(ids[0] as string, [
            { name: "p", allow, deny, identities: [ids[1] as string] },
          ]);
          const d = s.decide(id, path);
          expect(d.allowed).toBe(s.allows(id, path));
          if (d.role === "policy" && d.effect !== "default") {
            // The reported pattern is one of the configured ones and does match the path.
            expect(d.effect === "deny" ? deny : allow).toContain(d.pattern);
            const one = compilePolicy({ name: "x", allow: [d.pattern], deny: [], identities: [] });
            expect(one.allows(path)).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
