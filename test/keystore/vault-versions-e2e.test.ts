// End to end over mTLS: the real keyfront server (built CLI) on the Vault test server (K/V v2),
// with another replica (a key service in this process on the same Vault) rotating its key. The
// server must decrypt a ciphertext of a version it has not seen yet (its cache miss loads the
// key again) and from then on seal with that version; and a flood of forged ciphertexts whose
// header claims versions the key does not have must all fail without flooding Vault: the server
// reloads the key at most once per VERSION_MISS_RELOAD_MS (design.md §2).

import { afterAll, beforeAll, expect, it } from "vitest";
import { claimedVersion, versionedHeader } from "../../internal/crypto/versioned.js";
import { connectVault } from "../../internal/keystore/vault/vault-store.js";
import { VERSION_MISS_RELOAD_MS } from "../../internal/limits.js";
import { type Fixture, makeFixture } from "../api/fixture.js";
import { serviceOn, type TestService } from "../helpers/key-service.js";
import { type RunningServer, startServer } from "../helpers/server.js";
import { startVaultTestServer } from "../vault-server/server.js";
import { vaultServerYaml } from "./vault/server-yaml.js";
import {
  captureLog,
  tokenAuth,
  unique,
  VaultAdmin,
  vaultConfig,
  waitFor,
} from "./vault/vault-admin.js";

type TestServer = Awaited<ReturnType<typeof startVaultTestServer>>;
let vault: TestServer;
let f: Fixture;
let s: RunningServer;
let replica: TestService;
const engine = unique("kv");
const ctx = Buffer.from('{"bucket":"b"}').toString("base64");

beforeAll(async () => {
  vault = await startVaultTestServer({});
  const admin = new VaultAdmin(vault.addr, vault.rootToken);
  await admin.mountKv(engine, "v2");
  f = makeFixture();
  const cache = "cache:\n  expiry: { any: 10m, unused: 10m }\n";
  s = await startServer({
    yaml: vaultServerYaml(
      f,
      { addr: vault.addr, engine, version: "v2", token: vault.rootToken },
      cache,
    ),
    caPem: f.serverCertPem,
    files: { "server.crt": f.serverCertPem, "server.key": f.serverKeyPem },
  });
  await waitFor("ready", async () =>
    (await s.request(f.clients.admin, "GET", "/v1/ready")).status === 200 ? true : undefined,
  );
  const config = vaultConfig(vault.addr, tokenAuth(vault.rootToken), { engine, version: "v2" });
  replica = serviceOn(await connectVault(config, { log: captureLog().log }));
}, 30_000);
afterAll(async () => {
  replica?.close();
  await s?.stop();
  await vault?.close();
});

const call = (path: string, body?: unknown) =>
  s.request(f.clients.admin, "POST", path, body === undefined ? undefined : JSON.stringify(body));
const json = (r: { json: () => unknown }) => r.json() as Record<string, string>;

it("decrypts a ciphertext of a version another replica made, then seals with it", async () => {
  expect((await call("/v1/key/create/shared")).status).toBe(200);
  const old = json(await call("/v1/key/generate/shared", { context: ctx }));
  expect(claimedVersion(Buffer.from(old.ciphertext ?? "", "base64"))).toBeUndefined();
  // Another replica rotates; this server still holds version 1 in its cache.
  expect((await replica.keys.rotate("shared", "replica")).version).toBe(2);
  const sealed = await replica.keys.encrypt(
    "shared",
    Buffer.from("new data"),
    Buffer.from(ctx, "base64"),
  );
  expect(sealed.version).toBe(2);
  const res = await call("/v1/key/decrypt/shared", {
    ciphertext: sealed.ciphertext.toString("base64"),
    context: ctx,
  });
  expect(res.status).toBe(200);
  expect(Buffer.from(json(res).plaintext ?? "", "base64").toString()).toBe("new data");
  const dek = json(await call("/v1/key/generate/shared", { context: ctx }));
  expect(claimedVersion(Buffer.from(dek.ciphertext ?? "", "base64"))).toBe(2);
  const back = await call("/v1/key/decrypt/shared", { ciphertext: old.ciphertext, context: ctx });
  expect(json(back).plaintext).toBe(old.plaintext);
});

it("refuses forged versioned ciphertexts and reloads the key at most once per window", async () => {
  expect((await call("/v1/key/create/forged")).status).toBe(200);
  expect((await call("/v1/key/generate/forged", { context: ctx })).status).toBe(200);
  vault.resetRequestCount();
  const started = performance.now();
  // 10 clients, each sending 4 forged ciphertexts one after the other, claiming new versions.
  const answers = (
    await Promise.all(
      Array.from({ length: 10 }, async (_, client) => {
        const got = [];
        for (let i = 0; i < 4; i++) {
          const forged = Buffer.concat([versionedHeader(3 + client * 4 + i), Buffer.alloc(64, i)]);
          const body = { ciphertext: forged.toString("base64"), context: ctx };
          got.push(await call("/v1/key/decrypt/forged", body));
        }
        return got;
      }),
    )
  ).flat();
  const elapsed = performance.now() - started;
  for (const a of answers) {
    expect([a.status, a.body]).toEqual([
      400,
      '{"message":"decryption failed: ciphertext is not authentic"\n}',
    ]);
  }
  // One reload reads v1, v2 and s1 (3 reads). Reloads start at least VERSION_MISS_RELOAD_MS
  // apart, so there are at most 1 + elapsed / window of them, however many forged requests.
  const reloads = 1 + Math.ceil(elapsed / VERSION_MISS_RELOAD_MS);
  const reads = vault.requestCount(`${engine}/data/`);
  expect(reads).toBeGreaterThanOrEqual(3);
  expect(reads, `${reads} reads in ${Math.round(elapsed)} ms`).toBeLessThanOrEqual(3 * reloads);
});
