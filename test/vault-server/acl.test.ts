// Unit tests of the test server's ACL engine: pattern matching, priority between patterns,
// deny, root, legacy and JSON policy syntax (vault-api.md §8.1, §8.2).

import { describe, expect, it } from "vitest";
import { capabilitiesOf, hasAccessUnder, hasHigherPriority, parsePolicy } from "./acl.js";

const policy = parsePolicy(
  "p",
  `path "secret/data/a" { capabilities = ["read"] }
path "secret/data/a*" { capabilities = ["list"] }
path "secret/data/+/x" { capabilities = ["update"] }
path "secret/data/+/+" { capabilities = ["delete"] }
path "secret/data/deny/*" { capabilities = ["deny"] }
path "kv/*" { policy = "write" }`,
);

describe("capabilitiesOf", () => {
  it.each([
    ["secret/data/a", ["read"]],
    ["secret/data/ab", ["list"]],
    ["secret/data/q/x", ["update"]],
    ["secret/data/q/y", ["delete"]],
    ["secret/data/deny/x", ["deny"]],
    ["secret/data", []],
    ["kv/k", ["create", "delete", "list", "read", "update"]],
  ])("%s → %j", (path, caps) => {
    expect([...capabilitiesOf([policy], path)].sort()).toEqual(caps);
  });

  it("root grants everything but deny; identical patterns in two policies are unioned", () => {
    expect(capabilitiesOf([{ name: "root", text: "", rules: [] }], "any/thing").has("sudo")).toBe(
      true,
    );
    const other = parsePolicy("o", '{"path":{"secret/data/a":{"capabilities":["update"]}}}');
    expect([...capabilitiesOf([policy, other], "secret/data/a")].sort()).toEqual([
      "read",
      "update",
    ]);
  });
});

describe("hasHigherPriority", () => {
  it.each([
    ["secret/a", "secret/*", true],
    ["secret/a/*", "secret/+/b", true],
    ["secret/+/b", "secret/+/*", true],
    ["secret/+/+", "secret/+/b", false],
    ["secret/ab*", "secret/a*", true],
  ])("%s over %s: %s", (a, b, expected) => {
    expect(hasHigherPriority(a, b)).toBe(expected);
  });
});

describe("parsePolicy / hasAccessUnder", () => {
  it("rejects unknown capabilities and empty stanzas", () => {
    expect(() => parsePolicy("x", 'path "a" { capabilities = ["fly"] }')).toThrow(
      /invalid capability/,
    );
    expect(() => parsePolicy("x", "nonsense")).toThrow();
  });
  it("finds access under a mount from deeper or glob patterns", () => {
    expect(hasAccessUnder([policy], "secret/")).toBe(true);
    expect(hasAccessUnder([policy], "transit/")).toBe(false);
  });
});
