import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { MAX_CONFIG_BYTES } from "../limits.js";
import type { Config } from "./config.js";
import { ConfigError, loadConfigFile, parseConfigText } from "./load.js";

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("unknown fields are warnings, not errors", () => {
  test("reported with line and path, value ignored", () => {
    const text =
      "admin:\n  identity: disabled\n  colour: blue\ntls:\n  key: k\n  cert: c\nmlock: true\nkeystore:\n  fs:\n    path: p\n    mode: 0600\n";
    const { config, warnings } = parseConfigText(text, "w.yml", {});
    expect(warnings).toEqual([
      "w.yml:3 admin.colour: unknown field 'colour' (ignored)",
      "w.yml:7 mlock: unknown field 'mlock' (ignored)",
      "w.yml:11 keystore.fs.mode: unknown field 'mode' (ignored)",
    ]);
    expect(config.keystore).toEqual({ kind: "fs", fs: { path: "p" } });
  });

  test("an unset env reference in an unknown field is not an error", () => {
    const text = `${MINIMAL}mlock: \${UNSET_VAR}\nlegacy:\n  root: \${UNSET_VAR}\n`;
    expect(parseConfigText(text, "w.yml", {}).warnings).toEqual([
      "w.yml:9 mlock: unknown field 'mlock' (ignored)",
      "w.yml:10 legacy: unknown field 'legacy' (ignored)",
    ]);
  });
});

const MINIMAL =
  "admin:\n  identity: disabled\ntls:\n  key: k\n  cert: c\nkeystore:\n  fs:\n    path: p\n";

describe("KES tolerance", () => {
  test.each([
    [
      "digit-only identities stay text",
      "policy:\n  p:\n    identities: [0123, 1e5]\n",
      (c: Config) => c.policies[0]?.identities,
      ["0123", "1e5"],
    ],
    [
      "auth is case-insensitive",
      "tls:\n  key: k\n  cert: c\n  auth: ON\n",
      (c: Config) => c.tls.auth,
      "on",
    ],
    [
      "empty auth is off",
      'tls:\n  key: k\n  cert: c\n  auth: ""\n',
      (c: Config) => c.tls.auth,
      "off",
    ],
    [
      "yes is a boolean",
      "api:\n  /v1/status:\n    skip_auth: yes\n",
      (c: Config) => c.api["/v1/status"]?.skipAuth,
      true,
    ],
    [
      "null value is absent",
      "cache:\n  expiry:\n    any: ~\n",
      (c: Config) => c.cache.anyMs,
      300_000,
    ],
    [
      "0 duration is allowed",
      "cache:\n  expiry:\n    unused: 0\n",
      (c: Config) => c.cache.unusedMs,
      30_000,
    ],
    [
      "empty policy body",
      "policy:\n  empty:\n",
      (c: Config) => c.policies,
      [{ name: "empty", allow: [], deny: [], identities: [] }],
    ],
    [
      "anchors and aliases",
      "policy:\n  a: &p {allow: [/v1/status]}\n  b: *p\n",
      (c: Config) => c.policies.map((p) => p.allow),
      [["/v1/status"], ["/v1/status"]],
    ],
    [
      "api keys as written",
      "api:\n  '/v1/key/create/ ':\n    timeout: 1s\n",
      (c: Config) => Object.keys(c.api),
      ["/v1/key/create/ "],
    ],
    [
      "__proto__ is an ordinary key",
      "api:\n  __proto__:\n    timeout: 1s\n",
      (c: Config) => Object.keys(c.api),
      ["__proto__"],
    ],
    ["workers 0", "server:\n  workers: 0\n", (c: Config) => c.server.workers, 0],
    [
      "key algorithm",
      "server:\n  key_algorithm: ChaCha20\n",
      (c: Config) => c.server.keyAlgorithm,
      "ChaCha20",
    ],
    [
      "connection bounds",
      "server:\n  max_connections: 50\n  max_connections_per_client: 5\n  idle_timeout: 2s\n",
      (c: Config) => [
        c.server.maxConnections,
        c.server.maxConnectionsPerClient,
        c.server.idleTimeoutMs,
      ],
      [50, 5, 2_000],
    ],
    [
      "tls.trust_system_roots",
      "tls:\n  key: k\n  cert: c\n  auth: on\n  ca: ca.pem\n  trust_system_roots: true\n",
      (c: Config) => [c.tls.ca, c.tls.trustSystemRoots],
      ["ca.pem", true],
    ],
  ])("%s", (_, extra, pick, want) => {
    // A case that sets `tls:` replaces the minimal one.
    const base = extra.startsWith("tls:") ? MINIMAL.replace(/^tls:\n( {2}.*\n)+/m, "") : MINIMAL;
    const { config } = parseConfigText(base + extra, "t.yml", {});
    expect(pick(config)).toEqual(want);
  });
});

describe("garbage never throws anything but ConfigError", () => {
  test.each([
    "",
    "# only a comment\n",
    "null",
    "42",
    "- a\n- b\n",
    "\u0000\u0001\u0002",
    "{{{{",
    "a: b: c",
    "admin: [",
    "\t\tadmin: x",
    "&a [*a]",
    "admin: !!binary aGVsbG8=\n",
    "? [a, b]\n: c\n",
    "admin: *undefined\n",
    "policy: [1, 2]\napi: 5\nkeys: {a: b}\nkeystore: x\n",
    `${"a: &a [x, x, x, x, x, x, x, x, x, x]\n"}${Array.from({ length: 9 }, (_, i) => `b${i}: &b${i} [${`*${i === 0 ? "a" : `b${i - 1}`}, `.repeat(10)}]\n`).join("")}`,
    `${"[".repeat(200)}${"]".repeat(200)}`,
  ])("%j", (text) => {
    expect(() => parseConfigText(text, "g.yml", {})).toThrow(ConfigError);
  });

  test("an empty file says so", () => {
    expect(problemsOf(() => parseConfigText("", "g.yml", {}))).toEqual([
      "g.yml:1: the config file is empty",
    ]);
  });

  test("an alias bomb is cut off", () => {
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 9 }, (_, i) => `b${i}: &b${i} [${`*${i === 0 ? "a" : `b${i - 1}`}, `.repeat(10)}]\n`).join("")}`;
    expect(problemsOf(() => parseConfigText(bomb, "g.yml", {}))).toEqual([
      "g.yml:1: the config file is too large or too deeply nested",
    ]);
  });
});

describe("reading files", () => {
  const dir = mkdtempSync(join(tmpdir(), "keyfront-config-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    [
      "missing file",
      () => join(dir, "nope.yml"),
      (p: string) => `${p}: cannot read the config file (ENOENT)`,
    ],
    ["a directory", () => dir, (p: string) => `${p}: not a regular file`],
    [
      "too large",
      () => {
        const p = join(dir, "big.yml");
        writeFileSync(p, `${MINIMAL}#${"x".repeat(MAX_CONFIG_BYTES)}\n`);
        return p;
      },
      (p: string) => `${p}: the config file is larger than ${MAX_CONFIG_BYTES} bytes`,
    ],
    [
      "not UTF-8",
      () => {
        const p = join(dir, "latin1.yml");
        writeFileSync(p, Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]));
        return p;
      },
      (p: string) => `${p}: the config file is not valid UTF-8`,
    ],
  ])("%s", (_, make, want) => {
    const path = make();
    expect(problemsOf(() => loadConfigFile(path, {}))).toEqual([want(path)]);
  });

  test("the default env is process.env", () => {
    const path = join(dir, "env.yml");
    writeFileSync(path, MINIMAL.replace("disabled", "$${KEYFRONT_CONFIG_TEST_ADMIN}"));
    process.env.KEYFRONT_CONFIG_TEST_ADMIN =
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    try {
      expect(loadConfigFile(path).config.admin.identity).toBe(
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      );
    } finally {
      delete process.env.KEYFRONT_CONFIG_TEST_ADMIN;
    }
  });
});

describe("connection bounds and tls.trust_system_roots", () => {
  test.each([
    ["server:\n  max_connections: 0\n", /server\.max_connections: /],
    ["server:\n  max_connections_per_client: -1\n", /server\.max_connections_per_client: /],
    ["server:\n  idle_timeout: soon\n", /server\.idle_timeout: invalid duration "soon"/],
  ])("%j is an error naming the field", (extra, want) => {
    const problems = problemsOf(() => parseConfigText(MINIMAL + extra, "t.yml", {}));
    expect(problems.join("\n")).toMatch(want);
  });

  test("trust_system_roots without auth on and ca is a warning", () => {
    const base = MINIMAL.replace(/^tls:\n( {2}.*\n)+/m, "");
    const text = `${base}tls:\n  key: k\n  cert: c\n  trust_system_roots: true\n`;
    const { config, warnings } = parseConfigText(text, "t.yml", {});
    expect(config.tls.trustSystemRoots).toBe(true);
    expect(warnings.join("\n")).toMatch(
      /tls\.trust_system_roots: has no effect without tls\.auth: on and tls\.ca/,
    );
  });
});
