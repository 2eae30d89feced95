// How the Vault keystore behaves when Vault misbehaves (kes-api.md §8.3; vault-api.md §7, §10),
// on the test server's fault injection: sealed → fast failure naming the state, then recovery on
// unseal; Vault down at startup; uninitialised and standby told apart; bursts of 5xx retried;
// create races and a retried create whose first attempt landed answer "exists"; a revoked token
// is replaced by a fresh login; a policy denial is not retried in a loop.

import { createServer } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { KeyExistsError, KeystoreUnreachableError } from "../../internal/errors.js";
import type { KeyStore } from "../../internal/keystore/keystore.js";
import { connectVault } from "../../internal/keystore/vault/vault-store.js";
import { startVaultTestServer } from "../vault-server/server.js";
import { startDropProxy } from "./vault/drop-proxy.js";
import {
  approleAuth,
  captureLog,
  tenantPolicy,
  tokenAuth,
  unique,
  VaultAdmin,
  vaultConfig,
  waitFor,
} from "./vault/vault-admin.js";

type TestServer = Awaited<ReturnType<typeof startVaultTestServer>>;
let server: TestServer;
let admin: VaultAdmin;
let engine: string;
const stores: KeyStore[] = [];

beforeAll(async () => {
  server = await startVaultTestServer({});
  admin = new VaultAdmin(server.addr, server.rootToken);
});
afterAll(async () => {
  await server?.close();
});
beforeEach(async () => {
  engine = unique("kv");
  await admin.mountKv(engine, "v2");
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  server.faults.reset();
  await admin.unmount(engine);
});

async function open(
  over: Parameters<typeof vaultConfig>[2] = {},
  addr = server.addr,
  log = captureLog(),
) {
  const config = vaultConfig(addr, tokenAuth(server.rootToken), {
    engine,
    statusPingMs: 60_000,
    ...over,
  });
  const store = await connectVault(config, { log: log.log });
  stores.push(store);
  return store;
}

it("fails fast naming Vault's state while sealed, and recovers on unseal", async () => {
  const store = await open();
  await store.create("k1", "v1");
  server.faults.seal();
  server.resetRequestCount();
  for (const op of [
    () => store.get("k1"),
    () => store.create("k2", "v"),
    () => store.list("", "", 0),
  ]) {
    const err = await op().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeystoreUnreachableError);
    expect((err as Error).message).toBe("Vault is sealed");
  }
  await expect(store.status()).rejects.toThrow("Vault is sealed");
  // Fast means not retried: at most one more try per operation on a new connection (http.ts).
  expect(server.requestCount()).toBeLessThanOrEqual(8);

  server.faults.unseal();
  expect(await waitFor("recovery", () => store.get("k1"), 5_000)).toBe("v1");
  expect((await store.status()).state).toBe("ok");
});

it("starts while Vault is down, says unreachable, and works once Vault comes up", async () => {
  const port = await freePort();
  const log = captureLog();
  // open() resolves although nothing listens on the port yet: it does not wait for Vault.
  const store = await open({}, `http://127.0.0.1:${port}`, log);
  const err = await store.status().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(KeystoreUnreachableError);
  expect((err as Error).message).toMatch(/^Vault is unreachable: .*ECONNREFUSED/);
  await expect(store.get("k")).rejects.toBeInstanceOf(KeystoreUnreachableError);

  const late = await startVaultTestServer({ port, rootToken: server.rootToken });
  try {
    const lateAdmin = new VaultAdmin(late.addr, late.rootToken);
    await lateAdmin.mountKv(engine, "v2");
    await waitFor("Vault to be seen", () => store.status(), 5_000);
    await store.create("k", "v");
    expect(await store.get("k")).toBe("v");
    expect(log.text()).toContain("Vault is unreachable");
    expect(log.text()).toContain("Vault is active");
  } finally {
    await store.close();
    await late.close();
  }
});

it("tells uninitialised, standby and unreachable apart", async () => {
  const store = await open();
  await store.create("k", "v");
  server.faults.setStandby(true);
  expect((await store.status()).state).toBe("standby");
  expect(await store.get("k")).toBe("v");
  server.faults.setStandby(false);
  server.faults.setInitialized(false);
  await expect(store.status()).rejects.toThrow("Vault is not initialized");
});

it.each([
  ["bursts of 500s, 429s and 503s", [500, 429, 503]],
  // A freshly mounted K/V v2 answers 400 "Upgrading…" for a moment (OpenBao with raft storage).
  ["a K/V v2 mount that is still upgrading (400)", [400, 400, 400]],
] as const)("retries %s", async (_, [first, second, third]) => {
  const store = await open();
  server.faults.failNext(2, first);
  await store.create("k", "v");
  server.faults.failNext(2, second);
  expect(await store.get("k")).toBe("v");
  server.faults.failNext(1, third);
  expect((await store.list("", "", 0)).names).toEqual(["k"]);
});

it("answers KeyExistsError to every loser of a create race between replicas", async () => {
  const replicas = [await open(), await open(), await open()];
  const results = await Promise.allSettled(replicas.map((r, i) => r.create("race", `value-${i}`)));
  const won = results.filter((r) => r.status === "fulfilled");
  expect(won).toHaveLength(1);
  for (const r of results)
    if (r.status === "rejected") expect(r.reason).toBeInstanceOf(KeyExistsError);
});

it("answers KeyExistsError when a retried create finds its own first attempt", async () => {
  const proxy = await startDropProxy(server.addr);
  try {
    const log = captureLog();
    const store = await open({}, proxy.addr, log);
    await store.status();
    proxy.dropAfterForwarding("POST", `/v1/${engine}/data/dropped`);
    await expect(store.create("dropped", "value")).rejects.toBeInstanceOf(KeyExistsError);
    expect(await store.get("dropped")).toBe("value");
    expect(log.text()).toContain("create was retried after its first attempt landed");
  } finally {
    await proxy.close();
  }
});

it("also survives a connection dropped before Vault saw the request", async () => {
  const store = await open();
  await store.status();
  server.faults.dropNext(1);
  await store.create("k", "v");
  expect(await store.get("k")).toBe("v");
});

it("logs in again when Vault says the token is dead, and retries the request once", async () => {
  const approle = unique("approle");
  const policy = unique("p");
  await admin.enableAuth(approle, "approle");
  await admin.putPolicy(policy, tenantPolicy(engine, "v2", ""));
  // Each token is good for 3 requests, then Vault answers 403 "invalid token" (vault-api.md §6).
  const roleId = await admin.createRole(approle, "r", {
    token_policies: [policy],
    token_ttl: "60s",
    token_num_uses: 3,
  });
  const secret = await admin.secretId(approle, "r");
  const log = captureLog();
  const config = vaultConfig(server.addr, approleAuth(roleId, secret, { engine: approle }), {
    engine,
    statusPingMs: 60_000,
  });
  const store = await connectVault(config, { log: log.log });
  stores.push(store);
  try {
    await store.create("k", "v");
    for (let i = 0; i < 8; i++) expect(await store.get("k")).toBe("v");
    expect(log.lines.filter((l) => l.includes("vault: logged in")).length).toBeGreaterThanOrEqual(
      3,
    );
    expect(log.text()).toContain("token rejected as invalid");
    expect(log.text()).not.toContain(secret);
  } finally {
    await admin.disableAuth(approle);
    await admin.deletePolicy(policy);
  }
});

it("does not loop on a policy denial: one request, one failure, no login storm", async () => {
  const policy = unique("p");
  // Access under the mount (so its K/V version can be checked) but not to the key read.
  await admin.putPolicy(policy, `path "${engine}/data/elsewhere/*" { capabilities = ["read"] }`);
  const token = await admin.createToken({ policies: [policy], ttl: "60s" });
  const store = await connectVault(
    vaultConfig(server.addr, tokenAuth(token), { engine, statusPingMs: 60_000 }),
    {
      log: captureLog().log,
    },
  );
  stores.push(store);
  await store.status();
  server.resetRequestCount();
  const err = await store.get("k").catch((e: unknown) => e);
  expect(err).not.toBeInstanceOf(KeystoreUnreachableError);
  expect((err as Error).message).toMatch(/HTTP 403: permission denied/);
  expect(server.requestCount()).toBe(1);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
