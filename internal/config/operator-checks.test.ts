import { describe, expect, test } from "vitest";
import { ConfigError, parseConfigText } from "./load.js";

const HEX = "c84cc9b91ae2399b043da7eca616048e4b7e27b8b5e3c31234f6ef6ac2d38d95";
const TAIL = "tls:\n  key: k\n  cert: c\nkeystore:\n  fs:\n    path: p\n";

function problemsOf(text: string): readonly string[] {
  try {
    parseConfigText(text, "c.yml", {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

const admin = (id: string) => `admin:\n  identity: ${id}\n${TAIL}`;

describe("admin.identity (kes-api.md §5.2)", () => {
  test.each([[HEX], ["disabled"]])("accepts %s", (id) => {
    expect(parseConfigText(admin(id), "c.yml", {}).config.admin.identity).toBe(id);
  });

  test.each([
    ["none", "c.yml:2 admin.identity: invalid identity 'none': want 64 lowercase hex digits"],
    ["Disabled", "c.yml:2 admin.identity: invalid identity 'Disabled': want 64 lowercase hex"],
    [HEX.slice(1), `c.yml:2 admin.identity: invalid identity '${HEX.slice(1)}': want 64`],
    [`${HEX}0`, `c.yml:2 admin.identity: invalid identity '${HEX}0': want 64`],
    [
      HEX.toUpperCase(),
      `c.yml:2 admin.identity: invalid identity '${HEX.toUpperCase()}': hex digits must be lowercase`,
    ],
  ])("refuses %s", (id, want) => {
    const problems = problemsOf(admin(id));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(want);
  });

  test("an API key pasted as the identity is refused without echoing it", () => {
    const key = "kes:v1:AD9E7FSYWrMD+VjhI6q545cYT9YOyFxZb7UnjEepYDRc";
    const problems = problemsOf(admin(`"${key}"`));
    expect(problems).toEqual([
      "c.yml:2 admin.identity: this is an API key, not an identity: want 64 lowercase hex digits (see 'keyfront identity of'), or 'disabled' to have no admin",
    ]);
    expect(problems.join("\n")).not.toContain("AD9E7FSY");
  });
});

const policy = (body: string) => `admin:\n  identity: disabled\n${TAIL}policy:\n  p:\n${body}`;

describe("policy patterns that can never match (kes-api.md §6.2)", () => {
  test("a deny pattern that never matches is an error with file:line and field", () => {
    const text = policy(
      "    allow: ['/v1/key/*']\n    deny:\n      - /v1/key/generate/secret-*\n      - /v1/key/*/secret-*\n",
    );
    expect(problemsOf(text)).toEqual([
      "c.yml:14 policy.p.deny[1]: pattern '/v1/key/*/secret-*' never matches: '*' is a wildcard only as the last character (a prefix match) and is compared literally elsewhere (KES ≤ v0.22 path.Match globs are not supported); a deny rule that never matches denies nothing, so it is refused",
    ]);
  });

  test.each([["/v1/key/decrypt/secret-?"], ["v1/key/*"], ["'/v1/key/[a-z]*'"], ['""']])(
    "deny %s is refused",
    (pattern) => {
      const problems = problemsOf(policy(`    deny: [${pattern}]\n`));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^c\.yml:11 policy\.p\.deny\[0\]: .*never matches/);
    },
  );

  test("an allow pattern that never matches is a warning naming it; the config loads", () => {
    const text = policy("    allow:\n      - /v1/status\n      - /v1/key/*/app-*\n");
    const { config, warnings } = parseConfigText(text, "c.yml", {});
    expect(warnings).toEqual([
      "c.yml:13 policy.p.allow[1]: pattern '/v1/key/*/app-*' never matches: '*' is a wildcard only as the last character (a prefix match) and is compared literally elsewhere (KES ≤ v0.22 path.Match globs are not supported); it allows nothing",
    ]);
    expect(config.policies[0]?.allow).toEqual(["/v1/status", "/v1/key/*/app-*"]);
  });

  test("patterns that can match load without a word", () => {
    const text = policy(
      "    allow: ['*', /v1/key/create/*, /v1/status]\n    deny: [/v1/key/delete/*]\n",
    );
    expect(parseConfigText(text, "c.yml", {}).warnings).toEqual([]);
  });

  test("a policy identity that is not 64 lowercase hex is a warning (KES loads it)", () => {
    const text = policy(
      `    allow: [/v1/status]\n    identities:\n      - ${HEX}\n      - my-app\n`,
    );
    const { config, warnings } = parseConfigText(text, "c.yml", {});
    expect(warnings).toEqual([
      "c.yml:14 policy.p.identities[1]: identity 'my-app' never matches a client: an identity is 64 lowercase hex digits",
    ]);
    expect(config.policies[0]?.identities).toEqual([HEX, "my-app"]);
  });
});

describe("api skip_auth (kes-api.md §10.4)", () => {
  test("skip_auth on a key route warns naming the route; on /v1/ready it does not", () => {
    const text = `${admin("disabled")}api:\n  /v1/ready:\n    skip_auth: true\n  /v1/key/decrypt/:\n    skip_auth: true\n  /v1/key/create/:\n    skip_auth: false\n`;
    const { config, warnings } = parseConfigText(text, "c.yml", {});
    expect(warnings).toEqual([
      "c.yml:13 api[\"/v1/key/decrypt/\"].skip_auth: route '/v1/key/decrypt/' skips authentication and policy: any client that reaches the port, with or without a certificate, can use it on every key",
    ]);
    expect(config.api["/v1/key/decrypt/"]?.skipAuth).toBe(true);
  });
});
