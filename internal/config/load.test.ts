import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { IDLE_TIMEOUT_MS, MAX_CONNECTIONS, MAX_CONNECTIONS_PER_CLIENT } from "../limits.js";
import type { Config } from "./config.js";
import { ConfigError, loadConfigFile } from "./load.js";

const FIXTURES = fileURLToPath(new URL("../../test/fixtures/config/", import.meta.url));
const HEX1 = "3ecfcdf38fcbe141ae26a1030f81e96b753365a46760ae6b578698a97c59fd22";

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("invalid fixtures: every problem, exactly", () => {
  const cases: [string, string[]][] = [
    ["missing-admin", ["1 admin.identity: required field is missing"]],
    ["bad-auth", ["6 tls.auth: invalid auth 'maybe' (want on or off)"]],
    [
      "identity-two-policies",
      [
        `14 policy.backup.identities[0]: cannot assign policy 'backup' to '${HEX1}': identity already has a policy`,
      ],
    ],
    [
      "admin-in-policy",
      [
        "7 tls.proxy.identities[0]: the admin identity cannot be a TLS proxy identity",
        "10 policy.minio.identities[0]: the admin identity cannot be assigned to a policy",
      ],
    ],
    [
      "bad-duration",
      [
        '8 cache.expiry.any: unknown unit "x" in duration "5x"',
        '9 cache.expiry.unused: missing unit in duration "30"',
        '12 api["/v1/ready"].timeout: invalid duration "soon"',
      ],
    ],
    [
      "bad-lifecycle",
      [
        '8 cache.expiry.refresh: unknown unit "d" in duration "5d"',
        "11 keys[0].rotate: rotation period '500ms' is out of range (want 0 or 1s to 36500d)",
        '15 keys[2].rotate: unknown unit "days" in duration "90days"',
        "18 keystore.deletion.window: deletion window '400d' is longer than 365d",
        "19 keystore.deletion.decrypt: invalid value 'maybe' (want deny or allow)",
      ],
    ],
    ["negative-cache", ["8 cache.expiry.offline: must not be negative, got '-1m'"]],
    ["bad-cache-max-keys", ["7 cache.max_keys: must be >= 1"]],
    [
      "keystore-aws",
      ["7 keystore.aws: the 'aws' keystore is not supported by keyfront (supported: fs, vault)"],
    ],
    ["two-keystores", ["6 keystore: more than one keystore specified"]],
    ["duplicate-key", ["6 tls.key: duplicate key 'key'"]],
    [
      "missing-env",
      [
        "2 admin.identity: referenced env. variable 'KEYFRONT_TEST_UNSET_ADMIN' in line '2' not found",
      ],
    ],
    [
      "bad-policy-name",
      [
        `7 policy["my.app"]: invalid policy name 'my.app'`,
        "10 policy.ok-app.identities[0]: invalid identity 'not/an/identity'",
      ],
    ],
    ["wrong-version", ["1 version: unsupported config version 'v2' (want v1)"]],
    ["multiple-documents", ["3: the config file must contain exactly one YAML document"]],
    ["not-a-mapping", ["1: the top level must be a mapping"]],
    [
      "not-yaml",
      [
        "2: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
        "2: invalid YAML: Unexpected scalar at node end",
        "2: invalid YAML: Flow map in block collection must be sufficiently indented and end with a }",
        "2: invalid YAML: Flow map must end with a }",
      ],
    ],
    [
      "many-problems",
      [
        "1 address: invalid address 'localhost:7373': host must be an IP address",
        "3 admin.identity: must not be empty",
        "4 tls.key: required field is missing",
        "6 tls.auth: expected a string",
        "8 log.error: invalid log level 'LOUD'",
        "11 keys[1].name: key 'k1' is listed more than once",
        "12 keys[2].name: required field is missing",
        "14 server.workers: must be >= 0",
        "15 keystore: no keystore specified",
        "16 keystore.valut: unknown keystore 'valut'",
      ],
    ],
  ];
  test.each(cases)("%s", (name, want) => {
    const file = join(FIXTURES, "invalid", `${name}.yml`);
    const problems = problemsOf(() => loadConfigFile(file, {}));
    expect(problems).toEqual(want.map((w) => `${file}:${w}`));
  });

  test("the ConfigError message joins the problems", () => {
    const file = join(FIXTURES, "invalid", "admin-in-policy.yml");
    expect(() => loadConfigFile(file, {})).toThrow(
      `${file}:7 tls.proxy.identities[0]: the admin identity cannot be a TLS proxy identity\n${file}:10 `,
    );
  });
});

const DEFAULTS = {
  address: "0.0.0.0:7373",
  policies: [],
  cache: { anyMs: 300_000, unusedMs: 30_000, offlineMs: 0, maxKeys: 100_000, refreshMs: 30_000 },
  api: {},
  log: { error: 0, audit: 0 },
  keys: [],
  deletion: { windowMs: 0, decrypt: "deny" as const },
  server: {
    workers: 1,
    keyAlgorithm: "AES256" as const,
    maxConnections: MAX_CONNECTIONS,
    maxConnectionsPerClient: MAX_CONNECTIONS_PER_CLIENT,
    idleTimeoutMs: IDLE_TIMEOUT_MS,
  },
};

describe("valid fixtures load to the exact normalised Config", () => {
  test("full KES-style config", () => {
    const file = join(FIXTURES, "full.yml");
    const want: Config = {
      file,
      address: "0.0.0.0:7373",
      admin: { identity: "disabled" },
      tls: {
        key: "./certs/server.key",
        cert: "./certs/server.cert",
        password: undefined,
        auth: "off",
        ca: "./certs/ca",
        trustSystemRoots: false,
      },
      policies: [
        {
          name: "minio",
          allow: [
            "/v1/key/create/minio-*",
            "/v1/key/generate/minio-*",
            "/v1/key/decrypt/minio-*",
            "/v1/key/list/minio-*",
          ],
          deny: ["/v1/key/delete/*"],
          identities: [HEX1],
        },
        {
          name: "monitoring",
          allow: ["/v1/metrics", "/v1/status"],
          deny: [],
          identities: ["f6a8cb3d1c0e2e5e0c1d3b9a8e7f6d5c4b3a29181716151413121110090807ff"],
        },
      ],
      cache: { anyMs: 300_000, unusedMs: 20_000, offlineMs: 0, maxKeys: 5_000, refreshMs: 30_000 },
      api: {
        "/v1/ready": { skipAuth: true, timeoutMs: 15_000 },
        "/v1/status": { skipAuth: false, timeoutMs: undefined },
      },
      log: { error: 0, audit: 9 },
      keys: [{ name: "minio-default-key" }, { name: "minio-backup-key" }],
      keystore: { kind: "fs", fs: { path: "./keys" } },
      deletion: DEFAULTS.deletion,
      server: DEFAULTS.server,
    };
    expect(loadConfigFile(file, {})).toStrictEqual({ config: want, warnings: [] });
  });

  test("minimal config gets every default", () => {
    const file = join(FIXTURES, "minimal.yml");
    const want: Config = {
      ...DEFAULTS,
      file,
      admin: { identity: "c84cc9b91ae2399b043da7eca616048e4b7e27b8b5e3c31234f6ef6ac2d38d95" },
      tls: {
        key: "server.key",
        cert: "server.cert",
        password: undefined,
        auth: "off",
        ca: undefined,
        trustSystemRoots: false,
      },
      keystore: { kind: "fs", fs: { path: "/var/lib/keyfront/keys" } },
    };
    expect(loadConfigFile(file, {})).toStrictEqual({ config: want, warnings: [] });
  });
});

test("lifecycle settings: rotation periods, deletion window, cache refresh", () => {
  const { config } = loadConfigFile(join(FIXTURES, "lifecycle.yml"), {});
  expect(config.keys).toStrictEqual([
    { name: "rotated", rotateMs: 90 * 86_400_000 },
    { name: "plain" },
  ]);
  expect(config.deletion).toStrictEqual({ windowMs: 7 * 86_400_000, decrypt: "allow" });
  expect(config.cache.refreshMs).toBe(5_000);
  expect(config.keystore).toStrictEqual({ kind: "fs", fs: { path: "./keys" } });
});

describe("the loaded config is deeply frozen", () => {
  const { config } = loadConfigFile(join(FIXTURES, "full.yml"), {});
  test.each([
    ["top level", () => Object.assign(config, { address: "x" })],
    ["nested object", () => Object.assign(config.tls, { auth: "on" })],
    ["array", () => (config.policies as unknown[]).push({})],
    ["array item", () => Object.assign(config.policies[0] ?? {}, { name: "x" })],
    ["inner array", () => config.policies[0]?.allow.push("/v1/*")],
    ["record entry", () => Object.assign(config.api["/v1/ready"] ?? {}, { skipAuth: false })],
  ])("%s", (_, mutate) => {
    expect(mutate).toThrow(TypeError);
  });
});
