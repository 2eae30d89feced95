// End to end: the real keyfront server (built CLI, mTLS) configured for K/V v2 on a mount that is
// K/V v1 — the setup in which KES answered 200 to a second create of a name and replaced the key.
// The mismatch is in the error log, in /v1/status (`keystore_error`, which `keyfront status`
// prints) and on /v1/ready; create, delete and list answer 502 and Vault receives no K/V request
// at all; a remount to v2 is noticed at the next ping and keys then work; a write Vault
// acknowledges but loses fails the create.

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Fixture, makeFixture } from "../api/fixture.js";
import { kf } from "../cli/cli-helpers.js";
import { type RunningServer, startServer } from "../helpers/server.js";
import { startVaultTestServer } from "../vault-server/server.js";
import { vaultServerYaml } from "./vault/server-yaml.js";
import { pick, unique, VaultAdmin, waitFor } from "./vault/vault-admin.js";

type TestServer = Awaited<ReturnType<typeof startVaultTestServer>>;
let vault: TestServer;
let admin: VaultAdmin;
let f: Fixture;
let s: RunningServer;
const engine = unique("kv");
const MISMATCH = `vault: keystore.vault.version is v2, but the mount '${engine}/' is K/V v1: set keystore.vault.version: v1`;

beforeAll(async () => {
  vault = await startVaultTestServer({});
  admin = new VaultAdmin(vault.addr, vault.rootToken);
  await admin.mountKv(engine, "v1");
  f = makeFixture();
  s = await startServer({
    yaml: vaultServerYaml(f, {
      addr: vault.addr,
      engine,
      version: "v2",
      token: vault.rootToken,
      ping: "300ms",
    }),
    caPem: f.serverCertPem,
    files: { "server.crt": f.serverCertPem, "server.key": f.serverKeyPem },
  });
}, 30_000);
afterAll(async () => {
  await s?.stop();
  await vault?.close();
});

const call = (method: string, path: string, body?: string) =>
  s.request(f.clients.admin, method, path, body);

it("reports the mismatch in the log, /v1/status and /v1/ready, and runs no key operation", async () => {
  await waitFor("the mismatch in the log", async () =>
    s.stderr().includes(MISMATCH) ? true : undefined,
  );
  const line = s
    .stderr()
    .split("\n")
    .find((l) => l.includes(MISMATCH));
  expect(JSON.parse(line ?? "{}")).toMatchObject({
    level: 50,
    keystore: "vault",
    msg: expect.stringContaining(MISMATCH),
  });
  expect(s.stderr()).toContain("plain http://");
  const status = (await call("GET", "/v1/status")).json() as Record<string, unknown>;
  expect(status).toMatchObject({
    keystore_unavailable: true,
    keystore_error: expect.stringContaining(MISMATCH),
  });
  expect((await call("GET", "/v1/ready")).status).not.toBe(200);

  vault.resetRequestCount();
  for (let i = 0; i < 2; i++) {
    const created = await call("POST", "/v1/key/create/victim");
    expect([created.status, created.body]).toEqual([502, '{"message":"failed to create key"\n}']);
  }
  expect((await call("DELETE", "/v1/key/delete/victim")).status).toBe(502);
  expect((await call("GET", "/v1/key/list/*")).status).toBe(502);
  expect(vault.requestCount(`${engine}/`)).toBe(0);
  const listed = await admin.call("GET", `${engine}/?list=true`, undefined, { allow: [404] });
  expect(listed.status).toBe(404);
});

it("keyfront status names the mismatch, not only 'unavailable'", async () => {
  await writeFile(join(s.dir, "admin.crt"), f.clients.admin.certPem);
  await writeFile(join(s.dir, "admin.key"), f.clients.admin.keyPem, { mode: 0o600 });
  const r = await kf(["status", "-k"], {
    KES_SERVER: s.url,
    KES_CLIENT_CERT: join(s.dir, "admin.crt"),
    KES_CLIENT_KEY: join(s.dir, "admin.key"),
  });
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/Keystore\s+unavailable/);
  expect(r.stdout).toMatch(/Reason\s+vault: keystore\.vault\.version is v2, but the mount/);
});

it("notices a remount to K/V v2 at the next ping, then creates, verifies and lists keys", async () => {
  await admin.unmount(engine);
  await admin.mountKv(engine, "v2");
  await waitFor("ready", async () =>
    (await call("GET", "/v1/ready")).status === 200 ? true : undefined,
  );
  const status = (await call("GET", "/v1/status")).json() as Record<string, unknown>;
  expect(status.keystore_error).toBeUndefined();
  expect((await call("POST", "/v1/key/create/app-key")).status).toBe(200);
  expect((await call("POST", "/v1/key/create/app-key")).body).toBe(
    '{"message":"key already exists"\n}',
  );
  const inVault = await admin.call("GET", `${engine}/metadata/?list=true`);
  expect(pick(inVault.body, "data", "keys")).toEqual(["app-key"]);
  expect(s.stderr()).toContain(`K/V mount '${engine}/' is v2, as configured`);
});

it("answers 502 for a create whose write Vault acknowledged but lost", async () => {
  vault.faults.loseNextWrites(1);
  const lost = await call("POST", "/v1/key/create/lost-key");
  expect([lost.status, lost.body]).toEqual([502, '{"message":"failed to create key"\n}']);
  expect(s.stderr()).toContain(
    "vault: create of 'lost-key' is not confirmed: Vault acknowledged the write, but the key is not there when read back",
  );
  expect((await call("POST", "/v1/key/create/lost-key")).status).toBe(200);
  expect((await call("POST", "/v1/key/generate/lost-key", "{}")).status).toBe(200);
});
