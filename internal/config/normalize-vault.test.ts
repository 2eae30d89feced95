import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import type { VaultConfig } from "./config.js";
import { ConfigError, loadConfigFile, parseConfigText } from "./load.js";

const FIXTURES = fileURLToPath(new URL("../../test/fixtures/config/", import.meta.url));
const HEAD = "admin:\n  identity: disabled\ntls:\n  key: k\n  cert: c\nkeystore:\n  vault:\n";

function vaultOf(body: string, env: Record<string, string> = {}): VaultConfig {
  const { keystore } = parseConfigText(HEAD + body, "v.yml", env).config;
  if (keystore.kind !== "vault") throw new Error("not a vault keystore");
  return keystore.vault;
}

function problemsOf(body: string, env: Record<string, string> = {}): readonly string[] {
  try {
    parseConfigText(HEAD + body, "v.yml", env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("vault fixtures", () => {
  test("approle with HA endpoints, transit, mTLS and env references", () => {
    const env = {
      KEYFRONT_ADMIN: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      MINIO_IDENTITY: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
      CACHE_ANY: "1m",
      VAULT_ROLE_ID: "r",
      VAULT_SECRET_ID: "s",
    };
    const file = join(FIXTURES, "vault-approle.yml");
    const { config, warnings } = loadConfigFile(file, env);
    // The fixture's KES-era patterns can never match keyfront's (and KES HEAD's) matcher.
    expect(warnings).toEqual([
      `${file}:11 policy.minio.allow[0]: pattern '/v1/key/*/minio-*' never matches: '*' is a wildcard only as the last character (a prefix match) and is compared literally elsewhere (KES ≤ v0.22 path.Match globs are not supported); it allows nothing`,
      `${file}:11 policy.minio.allow[1]: pattern '\${NOT_EXPANDED}' never matches: a request path always starts with '/' (policy patterns are not expanded from the environment); it allows nothing`,
    ]);
    expect(config.address).toBe("0.0.0.0:7373");
    expect(config.tls.auth).toBe("on");
    expect(config.log).toEqual({ error: 4, audit: 2 });
    expect(config.server).toMatchObject({ workers: 4, keyAlgorithm: "AES256" });
    expect(config.keystore).toStrictEqual({
      kind: "vault",
      vault: {
        endpoints: ["https://vault.internal:8200", "https://vault-2.internal:8200"],
        engine: "secret",
        version: "v2",
        namespace: "team-a",
        prefix: "keyfront",
        transit: { engine: "transit", key: "kes-wrap" },
        auth: {
          kind: "approle",
          namespace: "/",
          engine: "approle",
          id: "r",
          secret: "s",
          retryMs: 10_000,
          wrapped: true,
        },
        tls: {
          key: "/etc/keyfront/vault-client.key",
          cert: "/etc/keyfront/vault-client.cert",
          ca: "/etc/keyfront/vault-ca.pem",
        },
        statusPingMs: 30_000,
        timeoutMs: 10_000,
      },
    });
  });

  test("token from the env, endpoint from VAULT_ADDR, defaults", () => {
    const env = { VAULT_TOKEN: "t0k", VAULT_ADDR: "http://127.0.0.1:8200" };
    const { config } = loadConfigFile(join(FIXTURES, "vault-token.yml"), env);
    expect(config.keystore).toStrictEqual({
      kind: "vault",
      vault: {
        endpoints: ["http://127.0.0.1:8200"],
        engine: "kv",
        version: "v1",
        namespace: "",
        prefix: "",
        transit: undefined,
        auth: { kind: "token", token: "t0k" },
        tls: { key: undefined, cert: undefined, ca: undefined },
        statusPingMs: 10_000,
        timeoutMs: 2_500,
      },
    });
  });
});

describe("vault normalisation", () => {
  test("VAULT_TOKEN is used only when no auth is configured", () => {
    const v = vaultOf("    endpoint: https://v:8200\n    approle: {id: i, secret: s}\n", {
      VAULT_TOKEN: "t",
    });
    expect(v.auth.kind).toBe("approle");
    expect(vaultOf("    endpoint: https://v:8200\n", { VAULT_TOKEN: "t" }).auth).toEqual({
      kind: "token",
      token: "t",
    });
  });

  test("an explicit endpoint wins over VAULT_ADDR; duplicates collapse", () => {
    const v = vaultOf(
      "    endpoint: https://a:8200\n    endpoints: [https://a:8200, https://b:8200]\n    token: t\n",
      {
        VAULT_ADDR: "https://env:8200",
      },
    );
    expect(v.endpoints).toEqual(["https://a:8200", "https://b:8200"]);
  });

  test("cert: the role name, the mount and the retry, with defaults", () => {
    const tls = "    tls: {cert: c.pem, key: c.key}\n";
    const full = vaultOf(
      `    endpoint: https://v:8200\n${tls}    cert:\n      name: web\n      engine: tls-certs\n      namespace: /\n      retry: 2s\n`,
      { VAULT_TOKEN: "ignored" },
    );
    expect(full.auth).toEqual({
      kind: "cert",
      namespace: "/",
      engine: "tls-certs",
      name: "web",
      retryMs: 2_000,
    });
    expect(vaultOf(`    endpoint: https://v:8200\n${tls}    cert: {}\n`).auth).toEqual({
      kind: "cert",
      namespace: "",
      engine: "cert",
      name: undefined,
      retryMs: 5_000,
    });
  });

  test.each([
    ["    jwt: eyJhbGciOi.x.y\n", { jwt: "eyJhbGciOi.x.y", jwtFile: undefined }],
    [
      "    jwt: /var/run/secrets/kubernetes.io/serviceaccount/token\n",
      { jwt: undefined, jwtFile: "/var/run/secrets/kubernetes.io/serviceaccount/token" },
    ],
  ])("kubernetes jwt %j", (jwt, want) => {
    const v = vaultOf(
      `    endpoint: https://v:8200\n    kubernetes:\n      role: kes\n${jwt.replace("    ", "      ")}`,
    );
    expect(v.auth).toEqual({
      kind: "kubernetes",
      namespace: "",
      engine: "kubernetes",
      role: "kes",
      retryMs: 5_000,
      ...want,
    });
  });

  test.each([
    [
      "no endpoint",
      "    token: t\n",
      ["v.yml:7 keystore.vault.endpoint: required field is missing"],
    ],
    [
      "no auth",
      "    endpoint: https://v:8200\n",
      [
        "v.yml:7 keystore.vault: no authentication method specified (approle, kubernetes, cert, token or VAULT_TOKEN)",
      ],
    ],
    [
      "two auths",
      "    endpoint: https://v:8200\n    token: t\n    approle: {id: i, secret: s}\n",
      ["v.yml:7 keystore.vault: more than one authentication method specified (approle, token)"],
    ],
    [
      "approle incomplete",
      "    endpoint: https://v:8200\n    approle:\n      id: i\n      retry: -1s\n",
      [
        "v.yml:9 keystore.vault.approle.secret: required field is missing",
        "v.yml:11 keystore.vault.approle.retry: must not be negative, got '-1s'",
      ],
    ],
    [
      "cert and approle",
      "    endpoint: https://v:8200\n    tls: {cert: c.pem, key: c.key}\n    cert: {}\n    approle: {id: i, secret: s}\n",
      ["v.yml:7 keystore.vault: more than one authentication method specified (approle, cert)"],
    ],
    [
      "cert and a token",
      "    endpoint: https://v:8200\n    tls: {cert: c.pem, key: c.key}\n    token: t\n    cert:\n      name: web\n",
      ["v.yml:7 keystore.vault: more than one authentication method specified (cert, token)"],
    ],
    [
      "cert without a client certificate",
      "    endpoint: https://v:8200\n    tls: {ca: ca.pem}\n    cert: {name: web, retry: 1}\n",
      [
        "v.yml:10 keystore.vault.cert: needs keystore.vault.tls.cert and tls.key: the client certificate is the login credential",
        'v.yml:10 keystore.vault.cert.retry: missing unit in duration "1"',
      ],
    ],
    [
      "cert over plain http",
      "    endpoint: http://v:8200\n    endpoints: [https://w:8200, http://x:8200]\n    tls: {cert: c.pem, key: c.key}\n    cert: {}\n",
      [
        "v.yml:8 keystore.vault.endpoint: cert login needs an https:// endpoint, got 'http://v:8200': the certificate is presented in the TLS handshake",
        "v.yml:9 keystore.vault.endpoints[1]: cert login needs an https:// endpoint, got 'http://x:8200': the certificate is presented in the TLS handshake",
      ],
    ],
    [
      "kubernetes without jwt",
      "    endpoint: https://v:8200\n    kubernetes: {role: r}\n",
      ["v.yml:9 keystore.vault.kubernetes.jwt: required field is missing"],
    ],
    [
      "bad version",
      "    endpoint: https://v:8200\n    version: v3\n    token: t\n",
      ["v.yml:9 keystore.vault.version: invalid KV version 'v3' (want v1 or v2)"],
    ],
    [
      "key without cert",
      "    endpoint: https://v:8200\n    token: t\n    tls: {key: c.key}\n",
      ["v.yml:10 keystore.vault.tls.cert: required when tls.key is set"],
    ],
    [
      "cert without key",
      "    endpoint: https://v:8200\n    token: t\n    tls: {cert: c.pem}\n",
      ["v.yml:10 keystore.vault.tls.key: required when tls.cert is set"],
    ],
    [
      "transit without key",
      "    endpoint: https://v:8200\n    token: t\n    transit: {engine: t}\n",
      ["v.yml:10 keystore.vault.transit.key: required field is missing"],
    ],
    [
      "bad endpoints",
      "    endpoint: vault:8200\n    endpoints: [ftp://v]\n    token: t\n",
      [
        "v.yml:8 keystore.vault.endpoint: invalid endpoint 'vault:8200': want an http:// or https:// URL",
        "v.yml:9 keystore.vault.endpoints[0]: invalid endpoint 'ftp://v': want an http:// or https:// URL",
      ],
    ],
    [
      "bad durations and types",
      "    endpoint: https://v:8200\n    token: t\n    status: {ping: 10}\n    timeout: -5s\n    approle_typo: x\n    endpoints: https://x\n",
      [
        'v.yml:10 keystore.vault.status.ping: missing unit in duration "10"',
        "v.yml:11 keystore.vault.timeout: must not be negative, got '-5s'",
        "v.yml:13 keystore.vault.endpoints: expected a list",
      ],
    ],
  ])("%s", (_, body, want) => {
    expect(problemsOf(body)).toEqual(want);
  });
});

describe("KEYFRONT_VAULT_HOSTS_FILE (test/ops name lookup hook)", () => {
  test("is taken from the environment; absent or empty means the system resolver", () => {
    const body = "    endpoint: https://vault.ha.test:8200\n    token: t\n";
    expect(vaultOf(body, { KEYFRONT_VAULT_HOSTS_FILE: "/run/hosts" }).hostsFile).toBe("/run/hosts");
    expect(vaultOf(body, { KEYFRONT_VAULT_HOSTS_FILE: "" })).not.toHaveProperty("hostsFile");
    expect(vaultOf(body)).not.toHaveProperty("hostsFile");
  });
});
