// Vault faults under a steady load, end to end: the real keyfront server (KV v2, token auth,
// offline cache on) against the Vault test server while 8 clients generate and decrypt with a
// cached key. For each fault — sealed then unsealed, down (connections dropped) then back, slow
// (+300 ms per request), a burst of 500s, standby — it counts the failed requests of the steady
// load, and measures how long after the fault is cleared a request that must reach Vault
// (creating a new key) succeeds again. The figures are printed; the assertions are that the
// cached load never fails and that everything recovers without a restart.

import { afterAll, beforeAll, expect, it } from "vitest";
import { type Fixture, makeFixture } from "../api/fixture.js";
import { type RunningServer, startServer } from "../helpers/server.js";
import { startVaultTestServer, type VaultTestServer } from "../vault-server/server.js";
import { underLoad as runUnderLoad } from "./vault/load.js";

let vault: VaultTestServer;
let f: Fixture;
let s: RunningServer;
const FAULT_MS = 2_500;
const RECOVERY_LIMIT_MS = 30_000;
const rows: string[] = [];

beforeAll(async () => {
  vault = await startVaultTestServer({});
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
  error: error
  audit: off
keystore:
  vault:
    endpoint: ${vault.addr}
    engine: secret
    version: v2
    prefix: faults
    token: ${vault.rootToken}
    status:
      ping: 500ms
`,
    caPem: f.serverCertPem,
    files: { "server.crt": f.serverCertPem, "server.key": f.serverKeyPem },
  });
  const r = await s.request(f.clients.admin, "POST", "/v1/key/create/hot");
  expect(r.status).toBe(200);
});

afterAll(async () => {
  if (rows.length > 0) {
    console.log(
      ["vault fault under load   | load requests | failed | recovery (s)", ...rows].join("\n"),
    );
  }
  await s?.stop();
  await vault?.close();
});

async function underLoad(name: string, inject: () => void, clear: () => void): Promise<void> {
  const { total, failed, recovery } = await runUnderLoad({
    s,
    client: f.clients.admin,
    key: "hot",
    faultMs: FAULT_MS,
    recoveryLimitMs: RECOVERY_LIMIT_MS,
    inject,
    clear,
  });
  rows.push(
    `${name.padEnd(24)} | ${String(total).padStart(13)} | ${String(failed).padStart(6)} | ${recovery.toFixed(2).padStart(12)}`,
  );
  expect(total).toBeGreaterThan(0);
  expect(failed).toBe(0);
}

it("keeps serving cached keys while Vault is sealed and recovers after unsealing", async () => {
  await underLoad(
    "sealed, then unsealed",
    () => vault.faults.seal(),
    () => vault.faults.unseal(),
  );
  const st = (await s.request(f.clients.admin, "GET", "/v1/status")).json() as Record<
    string,
    unknown
  >;
  expect(st.keystore_unreachable).toBeUndefined();
});

it("keeps serving while Vault is down (connections dropped) and recovers when it is back", async () => {
  await underLoad(
    "down, then back",
    () => vault.faults.dropNext(1_000_000),
    () => vault.faults.reset(),
  );
});

it("keeps serving while Vault is slow", async () => {
  await underLoad(
    "slow (+300 ms)",
    () => vault.faults.setLatency(300),
    () => vault.faults.setLatency(0),
  );
});

it("rides out a burst of 500s", async () => {
  await underLoad(
    "burst of 40 × 500",
    () => vault.faults.failNext(40, 500),
    () => {},
  );
});

it("treats a standby Vault as healthy", async () => {
  await underLoad(
    "standby",
    () => vault.faults.setStandby(true),
    () => vault.faults.setStandby(false),
  );
});
