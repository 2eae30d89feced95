// A client that hangs up on /v1/status while keyfront waits on Vault's health is no keystore
// failure: the abandoned probe is not logged as "keystore status probe failed" (issue 8 item 8).
// Vault is made slow with the test server's latency fault; the request is dropped once Vault has
// it; the server has handled the hang-up before it answers the next request of the client.

import { afterAll, beforeAll, expect, it } from "vitest";
import { type Fixture, makeFixture } from "../api/fixture.js";
import { type RunningServer, requestTo, startServer } from "../helpers/server.js";
import { startVaultTestServer } from "../vault-server/server.js";
import { vaultServerYaml } from "./vault/server-yaml.js";
import { unique, VaultAdmin, waitFor } from "./vault/vault-admin.js";

type TestServer = Awaited<ReturnType<typeof startVaultTestServer>>;
let vault: TestServer;
let f: Fixture;
let s: RunningServer;
const engine = unique("kv");

beforeAll(async () => {
  vault = await startVaultTestServer({});
  await new VaultAdmin(vault.addr, vault.rootToken).mountKv(engine, "v2");
  f = makeFixture();
  s = await startServer({
    yaml: vaultServerYaml(f, {
      addr: vault.addr,
      engine,
      version: "v2",
      token: vault.rootToken,
      ping: "1h",
      audit: true,
    }),
    caPem: f.serverCertPem,
    files: { "server.crt": f.serverCertPem, "server.key": f.serverKeyPem },
  });
}, 30_000);
afterAll(async () => {
  vault?.faults.setLatency(0);
  await s?.stop();
  await vault?.close();
});

it("does not log a status request whose client hung up as a failed keystore probe", async () => {
  expect((await s.request(f.clients.admin, "GET", "/v1/status")).status).toBe(200);
  const before = vault.requestCount("sys/health");
  vault.faults.setLatency(60_000);
  const req = requestTo(s, f.clients.admin, "GET", "/v1/status");
  req.on("error", () => {});
  req.end();
  await waitFor("Vault to receive the status probe", async () =>
    vault.requestCount("sys/health") > before ? true : undefined,
  );
  req.destroy();
  vault.faults.setLatency(0);
  // The server handles the hang-up (and the probe's end, logged synchronously) before it can
  // answer a request that needs a new TLS handshake from the same client.
  expect((await s.request(f.clients.admin, "GET", "/v1/status")).status).toBe(200);
  expect(s.stderr()).not.toContain("keystore status probe failed");
  expect(
    s
      .stderr()
      .split("\n")
      .filter((l) => l.includes('"level":50')),
  ).toEqual([]);
});
