// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal ${NAME} references
import { describe, expect, test } from "vitest";
import { expandEnvReference, parseEnvReference } from "./env.js";
import { ConfigError, parseConfigText } from "./load.js";

describe("parseEnvReference", () => {
  test.each([
    ["${X}", "X"],
    ["  ${X}  ", "X"],
    ["${ X }", "X"],
    ["${}", ""],
    ["foo-${X}", undefined],
    ["${X}-foo", undefined],
    ["$X", undefined],
    ["{X}", undefined],
    ["plain", undefined],
  ])("%j → %j", (text, name) => {
    expect(parseEnvReference(text)).toBe(name);
  });
});

describe("expandEnvReference", () => {
  const env = { SET: "value", EMPTY: "" };
  test.each([
    ["${SET}", { ok: true, value: "value" }],
    [" ${ SET } ", { ok: true, value: "value" }],
    ["${EMPTY}", { ok: true, value: "" }],
    ["a-${SET}", { ok: true, value: "a-${SET}" }],
    [
      "${MISSING}",
      { ok: false, message: "referenced env. variable 'MISSING' in line '7' not found" },
    ],
    [
      "${toString}",
      { ok: false, message: "referenced env. variable 'toString' in line '7' not found" },
    ],
  ])("%j", (text, want) => {
    expect(expandEnvReference(text, env, 7)).toEqual(want);
  });
});

const BASE = "tls:\n  key: k\n  cert: c\nkeystore:\n  fs:\n    path: ./keys\n";

function load(text: string, env: Record<string, string>) {
  return parseConfigText(BASE + text, "c.yml", env).config;
}

function problemsOf(text: string, env: Record<string, string>): readonly string[] {
  try {
    parseConfigText(BASE + text, "c.yml", env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("${ENV} in a config file (kes-api.md §10.1)", () => {
  test("a present variable replaces the whole scalar, quoted or not", () => {
    const c = load('admin:\n  identity: "${ADMIN}"\naddress: ${ADDR}\n', {
      ADMIN: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      ADDR: ":8080",
    });
    expect(c.admin.identity).toBe(
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    );
    expect(c.address).toBe("0.0.0.0:8080");
  });

  test("a missing variable is an error naming it and its line", () => {
    expect(problemsOf("admin:\n  identity: ${NOPE}\n", {})).toEqual([
      "c.yml:8 admin.identity: referenced env. variable 'NOPE' in line '8' not found",
    ]);
  });

  test("partial interpolation does not happen", () => {
    const c = load("admin:\n  identity: disabled\nkeys:\n  - name: a-${X}\n  - name: ${X}b\n", {
      X: "x",
    });
    expect(c.keys).toEqual([{ name: "a-${X}" }, { name: "${X}b" }]);
  });

  test("partial references are literal and fail name validation as written", () => {
    expect(problemsOf("admin:\n  identity: foo-${X}\n", { X: "x" })).toEqual([
      "c.yml:8 admin.identity: invalid identity 'foo-${X}': want 64 lowercase hex digits (see 'keyfront identity of'), or 'disabled' to have no admin",
    ]);
  });

  test("policy allow/deny patterns are not expanded, identities are", () => {
    const text =
      "admin:\n  identity: disabled\npolicy:\n  p:\n    allow:\n      - ${A}\n    identities: ['${ID}']\n";
    const { config, warnings } = parseConfigText(BASE + text, "c.yml", {
      A: "/v1/key/*",
      ID: "c".repeat(64),
    });
    expect(config.policies).toEqual([
      { name: "p", allow: ["${A}"], deny: [], identities: ["c".repeat(64)] },
    ]);
    // An unexpanded pattern can never match: a warning in allow, an error in deny.
    expect(warnings).toEqual([
      "c.yml:12 policy.p.allow[0]: pattern '${A}' never matches: a request path always starts with '/' (policy patterns are not expanded from the environment); it allows nothing",
    ]);
    expect(
      problemsOf("admin:\n  identity: disabled\npolicy:\n  p:\n    deny: ['${D}']\n", {
        D: "/v1/key/delete/*",
      }),
    ).toEqual([
      "c.yml:11 policy.p.deny[0]: pattern '${D}' never matches: a request path always starts with '/' (policy patterns are not expanded from the environment); a deny rule that never matches denies nothing, so it is refused",
    ]);
  });

  test("an expanded value is then parsed as the field's type", () => {
    const c = load(
      "admin:\n  identity: disabled\napi:\n  /v1/ready:\n    skip_auth: ${SKIP}\n    timeout: ${T}\ncache:\n  expiry:\n    any: ${ANY}\nserver:\n  workers: ${W}\n",
      { SKIP: "true", T: "1m", ANY: "90s", W: "3" },
    );
    expect(c.api).toEqual({ "/v1/ready": { skipAuth: true, timeoutMs: 60_000 } });
    expect(c.cache.anyMs).toBe(90_000);
    expect(c.server.workers).toBe(3);
  });

  test("an expanded value of the wrong type is reported at the reference", () => {
    expect(
      problemsOf(
        "admin:\n  identity: disabled\napi:\n  /v1/ready:\n    skip_auth: ${SKIP}\n    timeout: ${T}\n",
        {
          SKIP: "maybe",
          T: "5",
        },
      ),
    ).toEqual([
      `c.yml:11 api["/v1/ready"].skip_auth: expected a boolean (true or false), got 'maybe'`,
      `c.yml:12 api["/v1/ready"].timeout: missing unit in duration "5"`,
    ]);
  });

  test("an empty but set variable counts as present", () => {
    expect(problemsOf("admin:\n  identity: ${EMPTY}\n", { EMPTY: "" })).toEqual([
      "c.yml:8 admin.identity: must not be empty",
    ]);
  });
});
