import { describe, expect, it } from "vitest";
import { cleanPath, decodePath, normalizeRequestPath } from "./path.js";

describe("normalizeRequestPath", () => {
  const table: [string, ReturnType<typeof normalizeRequestPath>][] = [
    ["/v1/key/create/a", { kind: "ok", path: "/v1/key/create/a" }],
    ["/v1/key/list/", { kind: "ok", path: "/v1/key/list/" }],
    ["/v1/key/list/?x=1&y", { kind: "ok", path: "/v1/key/list/" }],
    ["/v1/%6Bey/generate/x", { kind: "ok", path: "/v1/key/generate/x" }],
    ["/v1/key/create/a%2Fb", { kind: "ok", path: "/v1/key/create/a/b" }],
    ["/v1//key/create/a", { kind: "redirect", location: "/v1/key/create/a" }],
    ["/v1/key/./create/a", { kind: "redirect", location: "/v1/key/create/a" }],
    ["/v1/key/x/../create/a?q", { kind: "redirect", location: "/v1/key/create/a?q" }],
    ["/v1/key/create/a%2F..%2Fb", { kind: "redirect", location: "/v1/key/create/b" }],
    ["/v1/key/create/%2e%2e/x", { kind: "redirect", location: "/v1/key/x" }],
    ["/../../etc/passwd", { kind: "redirect", location: "/etc/passwd" }],
    ["/v1/key/create/a%00", { kind: "bad", message: "request path contains a NUL byte" }],
    ["/v1/key/create/%zz", { kind: "bad", message: "invalid URL escape in request path" }],
    ["/v1/key/create/%4", { kind: "bad", message: "invalid URL escape in request path" }],
    ["/v1/key/create/%ff", { kind: "bad", message: "invalid URL escape in request path" }],
    ["v1/key", { kind: "bad", message: "invalid request path" }],
    ["*", { kind: "bad", message: "invalid request path" }],
  ];
  it.each(table)("%s", (target, want) => {
    expect(normalizeRequestPath(target)).toEqual(want);
  });

  it("rejects overlong URLs", () => {
    expect(normalizeRequestPath(`/${"a".repeat(9000)}`).kind).toBe("bad");
  });
});

describe("cleanPath", () => {
  it.each([
    ["", "/"],
    ["/", "/"],
    ["//", "/"],
    ["/a/b/", "/a/b/"],
    ["/a/../..", "/"],
    ["/a/./b/.", "/a/b"],
    ["/a//b//", "/a/b/"],
  ])("%s → %s", (p, want) => {
    expect(cleanPath(p)).toBe(want);
  });
});

describe("decodePath", () => {
  it("decodes UTF-8 and leaves plain paths alone", () => {
    expect(decodePath("/a%C3%A9")).toBe("/aé");
    expect(decodePath("/plain")).toBe("/plain");
    expect(decodePath("/%C3")).toBeUndefined();
  });
});
