import { describe, expect, it } from "vitest";
import { isValidPattern, prefixOfPattern } from "./patterns.js";
import { compilePolicy, PolicySet } from "./policy.js";

describe("compilePolicy (kes-api.md §6.2)", () => {
  const minio = compilePolicy({
    name: "minio",
    allow: [
      "/v1/key/create/*",
      "/v1/key/generate/*",
      "/v1/key/decrypt/*",
      "/v1/status",
      "/v1/key/list/my-app*",
    ],
    deny: ["/v1/key/generate/secret-*", "/v1/key/decrypt/secret-*"],
    identities: [],
  });
  const table: [string, boolean][] = [
    ["/v1/key/create/a", true],
    ["/v1/key/create/", true],
    ["/v1/key/generate/my-key", true],
    ["/v1/key/decrypt/x/y", true], // `*` crosses `/` (prefix semantics)
    ["/v1/key/generate/secret-1", false], // deny wins
    ["/v1/key/decrypt/secret-", false],
    ["/v1/key/generate/secret", true], // deny prefix needs the dash
    ["/v1/status", true],
    ["/v1/status/", false], // exact patterns are exact
    ["/v1/statusx", false],
    ["/v1/key/delete/a", false], // nothing allows it
    ["/v1/key/list/my-app", true],
    ["/v1/key/list/my-app-2", true],
    ["/v1/key/list/", false],
    ["/V1/key/create/a", false], // case matters
    ["", false],
  ];
  it.each(table)("%s → %s", (path, want) => {
    expect(minio.allows(path)).toBe(want);
  });

  it("treats `*` elsewhere, `?` and `[…]` literally", () => {
    const p = compilePolicy({
      name: "p",
      allow: ["/v1/key/*/my-key", "/v1/key/describe/a?", "/v1/[a]"],
      deny: [],
      identities: [],
    });
    expect(p.allows("/v1/key/create/my-key")).toBe(false);
    expect(p.allows("/v1/key/*/my-key")).toBe(true);
    expect(p.allows("/v1/key/describe/ab")).toBe(false);
    expect(p.allows("/v1/key/describe/a?")).toBe(true);
    expect(p.allows("/v1/a")).toBe(false);
  });

  it("never matches the empty pattern and denies everything when empty", () => {
    expect(compilePolicy({ name: "e", allow: [""], deny: [], identities: [] }).allows("")).toBe(
      false,
    );
    expect(
      compilePolicy({ name: "e", allow: [], deny: [], identities: [] }).allows("/v1/status"),
    ).toBe(false);
  });

  it("lets `*` alone allow every path, and a deny `*` beat it", () => {
    expect(
      compilePolicy({ name: "all", allow: ["*"], deny: [], identities: [] }).allows("/v1/anything"),
    ).toBe(true);
    expect(
      compilePolicy({ name: "none", allow: ["*"], deny: ["*"], identities: [] }).allows(
        "/v1/status",
      ),
    ).toBe(false);
  });

  it("collapses duplicate patterns", () => {
    const p = compilePolicy({
      name: "d",
      allow: ["/a", "/a", "/b*"],
      deny: ["/c", "/c"],
      identities: [],
    });
    expect(p.allow).toEqual(["/a", "/b*"]);
    expect(p.deny).toEqual(["/c"]);
  });
});

describe("PolicySet", () => {
  const admin = "a".repeat(64);
  const user = "b".repeat(64);
  const set = new PolicySet(admin, [
    { name: "app", allow: ["/v1/key/generate/*"], deny: [], identities: [user] },
  ]);

  it("lets the admin do anything and nobody else more than its policy", () => {
    expect(set.allows(admin, "/v1/key/delete/x")).toBe(true);
    expect(set.allows(user, "/v1/key/generate/x")).toBe(true);
    expect(set.allows(user, "/v1/key/delete/x")).toBe(false);
    expect(set.allows("c".repeat(64), "/v1/key/generate/x")).toBe(false);
  });

  it("never treats the empty identity as admin, even with an empty admin", () => {
    const open = new PolicySet("", []);
    expect(open.isAdmin("")).toBe(false);
    expect(open.allows("", "/v1/status")).toBe(false);
  });

  it("matches identities exactly (upper-case hex is another identity)", () => {
    expect(set.allows(user.toUpperCase(), "/v1/key/generate/x")).toBe(false);
    expect(set.isAdmin(admin.toUpperCase())).toBe(false);
  });
});

describe("listing patterns (kes-api.md §13.1)", () => {
  it.each([
    ["", true],
    ["*", true],
    ["my-key", true],
    ["ab-*", true],
    ["my*", true],
    ["_0", true],
    ["ab-", false],
    ["-ab", false],
    ["_", false],
    ["a*b", false],
    ["**", false],
    ["a.b", false],
    ["a/b", false],
    ["x".repeat(80), true],
    ["x".repeat(81), false],
    ["ключ", false],
  ])("%s → %s", (p, want) => {
    expect(isValidPattern(p)).toBe(want);
  });

  it("strips one trailing star", () => {
    expect(prefixOfPattern("my-key*")).toBe("my-key");
    expect(prefixOfPattern("*")).toBe("");
    expect(prefixOfPattern("abc")).toBe("abc");
  });
});
