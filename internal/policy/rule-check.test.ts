import { describe, expect, it } from "vitest";
import { compilePolicy } from "./policy.js";
import { whyPatternNeverMatches } from "./rule-check.js";

// Real request paths a pattern is tried against (decoded, cleaned: kes-api.md §1.3, §6.3).
const PATHS = [
  "/v1/key/create/secret-a",
  "/v1/key/generate/secret-a",
  "/v1/key/decrypt/app-1",
  "/v1/key/list/",
  "/v1/key/list/app-",
  "/v1/status",
  "/v1/policy/describe/p",
  "/version",
];

describe("whyPatternNeverMatches (kes-api.md §6.2)", () => {
  it.each([
    ["*"],
    ["/v1/*"],
    ["/v1/key/create/*"],
    ["/v1/key/generate/secret-*"],
    ["/v1/status"],
    ["/v1/key/list/"],
    ["/v1/key/create/.*"], // a prefix may end in "/." (clean paths may hold "/.x")
  ])("accepts %s", (pattern) => {
    expect(whyPatternNeverMatches(pattern)).toBeUndefined();
  });

  it.each([
    ["", "empty pattern"],
    ["v1/key/create/*", "always starts with '/'"],
    ["/v1/key/*/secret-*", "'*' is a wildcard only as the last character"],
    ["/v1/key/*/app", "'*' is a wildcard only as the last character"],
    ["**", "'/'"],
    ["/v1/key/generate/secret-?", "'?' is compared literally"],
    ["/v1/key/generate/[a-z]*", "'[' is compared literally"],
    ["/v1/key/generate/a]", "']' is compared literally"],
    ["/v1/key/generate/\\*", "'\\' is compared literally"],
    ["/v1//key/*", "'//', '.' or '..'"],
    ["/v1/key/../status", "'//', '.' or '..'"],
    ["/v1/./status", "'//', '.' or '..'"],
    ["/v1/key/create/.", "'//', '.' or '..'"],
    ["/v1/key/create/..", "'//', '.' or '..'"],
  ])("reports %s", (pattern, reason) => {
    expect(whyPatternNeverMatches(pattern)).toContain(reason);
  });

  // The check must agree with the matcher: every reported pattern matches none of the real paths.
  it.each([
    "/v1/key/*/secret-*",
    "/v1/key/generate/secret-?",
    "/v1/key/generate/[s]ecret-*",
    "v1/status",
    "/v1//status",
    "/v1/key/../status",
  ])("%s is reported and matches no real path", (pattern) => {
    expect(whyPatternNeverMatches(pattern)).toBeDefined();
    const p = compilePolicy({ name: "p", allow: [pattern], deny: [], identities: [] });
    expect(PATHS.filter((path) => p.allows(path))).toEqual([]);
  });
});
