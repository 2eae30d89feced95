// The example Vault configurations in config/ load without problems or warnings and mean what
// their comments say (KV version, auth method, wrapped secret, namespace, HA endpoints, cert login).

import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { parseConfigText } from "../../internal/config/load.js";
import { ROOT } from "../helpers/server.js";

const ENV = {
  KEYFRONT_ADMIN: "a".repeat(64),
  MINIO_IDENTITY: "b".repeat(64),
  KEYFRONT_ROLE_ID: "role",
  KEYFRONT_WRAPPED_SECRET: "wrapping",
  VAULT_ADDR: "http://127.0.0.1:8200",
  VAULT_TOKEN: "token",
  ACME_ROLE_ID: "role",
  ACME_SECRET_ID: "secret",
};

it.each([
  [
    "vault-approle",
    { version: "v2", prefix: "keyfront", auth: { kind: "approle", wrapped: true } },
    2,
  ],
  ["vault-token-kv1", { version: "v1", engine: "kes", auth: { kind: "token", token: "token" } }, 1],
  [
    "vault-cert",
    { version: "v2", prefix: "keyfront", auth: { kind: "cert", name: "keyfront", engine: "cert" } },
    1,
  ],
  [
    "vault-namespace-tenants",
    { version: "v2", namespace: "acme", auth: { kind: "approle", wrapped: false } },
    1,
  ],
])("config/%s.yaml loads", (name, want, endpoints) => {
  const file = `${ROOT}/config/${name}.yaml`;
  const loaded = parseConfigText(readFileSync(file, "utf8"), file, ENV);
  expect(loaded.warnings).toEqual([]);
  const ks = loaded.config.keystore;
  if (ks.kind !== "vault") throw new Error("not a vault config");
  expect(ks.vault).toMatchObject(want);
  expect(ks.vault.endpoints).toHaveLength(endpoints);
});
