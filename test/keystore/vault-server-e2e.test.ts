// End to end: the real keyfront server (built CLI) with a `keystore.vault` config — AppRole with a
// response-wrapped secret ID, KV v2 under a prefix — against the Vault test server. Keys are
// created, listed, used and deleted over mTLS and are visible in Vault under the prefix; while
// Vault is sealed, cached keys keep serving, misses answer 502 `failed to read key` with the state
// in X-Keyfront-Detail, /v1/ready and /v1/status tell the truth, and unsealing recovers.

import { afterAll, beforeAll, expect, it } from "vitest";
import { type Fixture, makeFixture } from "../api/fixture.js";
import { type RunningServer, startServer } from "../helpers/server.js";
import { startVaultTestServer } from "../vault-server/server.js";
import { pick, tenantPolicy, unique, VaultAdmin, waitFor } from "./vault/vault-admin.js";

type TestServer = Awaited<ReturnType<typeof startVaultTestServer>>;
let vault: TestServer;
let admin: VaultAdmin;
let f: Fixture;
let s: RunningServer;
const engine = unique("kv");
const PREFIX = "keyfront/prod";
let wrapped: string;

beforeAll(async () => {
  vault = await startVaultTestServer({});
  admin = new VaultAdmin(vault.addr, vault.rootToken);
  await admin.mountKv(engine, "v2");
  await admin.enableAuth("approle", "approle");
  await admin.putPolicy("keyfront", tenantPolicy(engine, "v2", PREFIX));
  const roleId = await admin.createRole("approle", "keyfront", {
    token_policies: ["keyfront"],
    token_ttl: "60s",
  });
  wrapped = await admin.secretId("approle", "keyfront", "120s");
  f = makeFixture();
  s = await startServer({
    yaml: `
admin:
  identity: ${f.clients.admin.identity}
tls:
  key: \${DIR}/server.key
  cert: \${DIR}/server.crt
cache:
  expiry: { any: 5m, unused: 5m, offline: 5m }
log:
  error: debug
keystore:
  vault:
    endpoint: ${vault.addr}
    engine: ${engine}
    version: v2
    prefix: /${PREFIX}/
    approle:
      id: ${roleId}
      secret: \${VAULT_WRAPPED_SECRET}
      wrapped: true
      retry: 200ms
    status:
      ping: 500ms
`,
    caPem: f.serverCertPem,
    files: { "server.crt": f.serverCertPem, "server.key": f.serverKeyPem },
    env: { VAULT_WRAPPED_SECRET: wrapped },
  });
  await waitFor("ready", async () =>
    (await s.request(f.clients.admin, "GET", "/v1/ready")).status === 200 ? true : undefined,
  );
}, 30_000);
afterAll(async () => {
  await s?.stop();
  await vault?.close();
});

const call = (method: string, path: string, body?: string) =>
  s.request(f.clients.admin, method, path, body);

it("creates, lists, uses and deletes keys that live in Vault under the prefix", async () => {
  for (const name of ["app-key1", "app-key2"])
    expect((await call("POST", `/v1/key/create/${name}`)).status).toBe(200);
  expect((await call("POST", "/v1/key/create/app-key1")).body).toBe(
    '{"message":"key already exists"\n}',
  );
  const listed = (await call("GET", "/v1/key/list/app-*")).json();
  expect(JSON.stringify(listed)).toMatch(/app-key1.*app-key2/);

  const inVault = await admin.call("GET", `${engine}/metadata/${PREFIX}/?list=true`);
  expect(pick(inVault.body, "data", "keys")).toEqual(["app-key1", "app-key2"]);

  const gen = await call("POST", "/v1/key/generate/app-key1", JSON.stringify({ context: "Y3R4" }));
  const { plaintext, ciphertext } = gen.json() as { plaintext: string; ciphertext: string };
  const dec = await call(
    "POST",
    "/v1/key/decrypt/app-key1",
    JSON.stringify({ ciphertext, context: "Y3R4" }),
  );
  expect((dec.json() as { plaintext: string }).plaintext).toBe(plaintext);

  const status = (await call("GET", "/v1/status")).json() as Record<string, unknown>;
  expect(status.keystore_state).toBe("ok");
  expect(s.stderr()).not.toContain(wrapped);
});

it("serves cached keys while Vault is sealed, says so, and recovers on unseal", async () => {
  expect((await call("POST", "/v1/key/generate/app-key1", "{}")).status).toBe(200); // cached
  vault.faults.seal();
  const miss = await call("POST", "/v1/key/generate/app-key2", "{}");
  expect([miss.status, miss.body]).toEqual([502, '{"message":"failed to read key"\n}']);
  expect(miss.headers["x-keyfront-detail"]).toBe("Vault is sealed");
  expect((await call("POST", "/v1/key/generate/app-key1", "{}")).status).toBe(200);
  expect((await call("GET", "/v1/ready")).status).toBe(504);
  const status = (await call("GET", "/v1/status")).json() as Record<string, unknown>;
  expect(status).toMatchObject({
    keystore_unreachable: true,
    keystore_state: "sealed",
    keystore_error: "Vault is sealed",
  });
  expect(s.stderr()).toContain("Vault is sealed");

  vault.faults.unseal();
  await waitFor("ready again", async () =>
    (await call("GET", "/v1/ready")).status === 200 ? true : undefined,
  );
  expect((await call("POST", "/v1/key/generate/app-key2", "{}")).status).toBe(200);
});

it("deletes keys from Vault", async () => {
  for (const name of ["app-key1", "app-key2"])
    expect((await call("DELETE", `/v1/key/delete/${name}`)).status).toBe(200);
  const inVault = await admin.call("GET", `${engine}/metadata/${PREFIX}/?list=true`, undefined, {
    allow: [404],
  });
  expect(inVault.status).toBe(404);
  const listed = (await call("GET", "/v1/key/list/*")).json() as { names?: string[] };
  expect(listed.names ?? []).toEqual([]);
});
