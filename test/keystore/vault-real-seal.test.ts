// Seal and unseal under load on a real Vault or OpenBao that is not a dev server: needs VAULT_ADDR,
// a root-capable VAULT_TOKEN and VAULT_UNSEAL_KEY (one key share is enough to unseal: initialise
// with -key-shares=1 -key-threshold=1); skipped loudly without them. The real keyfront server
// (K/V v2, token auth, offline cache on) serves a steady generate/decrypt load with a cached key
// while the test seals Vault through its API for a few seconds and unseals it again; it counts
// the failed requests (none may fail), checks that a key that is not cached fails fast with the
// seal named, and measures how long after the unseal a Vault write succeeds again.

import { afterAll, describe, expect, it } from "vitest";
import { type Fixture, makeFixture } from "../api/fixture.js";
import { type RunningServer, startServer } from "../helpers/server.js";
import { underLoad } from "./vault/load.js";
import { vaultServerYaml } from "./vault/server-yaml.js";
import { REAL_VAULT, unique, VaultAdmin, waitFor } from "./vault/vault-admin.js";

const UNSEAL_KEY = process.env.VAULT_UNSEAL_KEY;
const RUN = REAL_VAULT !== undefined && UNSEAL_KEY !== undefined && UNSEAL_KEY !== "";
if (!RUN) {
  console.warn(
    "*** vault-real-seal.test.ts: seal/unseal tests SKIPPED — set VAULT_ADDR, VAULT_TOKEN and VAULT_UNSEAL_KEY (a non-dev Vault initialised with one key share) to run them ***",
  );
}

const SEALED_MS = 4_000;
const RECOVERY_LIMIT_MS = 60_000;
const f: Fixture = makeFixture();
let s: RunningServer | undefined;
const admin = () => new VaultAdmin(REAL_VAULT?.addr ?? "", REAL_VAULT?.token ?? "");
const engine = unique("kv");

async function unseal(): Promise<void> {
  await admin().call("PUT", "sys/unseal", { key: UNSEAL_KEY }, { token: "" });
  // An unsealed node becomes active a moment later (raft elects itself): wait for health 200.
  await waitFor(
    "Vault active",
    async () =>
      (await admin().call("GET", "sys/health", undefined, { allow: [429, 473, 501, 503] }))
        .status === 200
        ? true
        : undefined,
    RECOVERY_LIMIT_MS,
  );
}

afterAll(async () => {
  if (!RUN) return;
  await s?.stop();
  const health = await admin().call("GET", "sys/health", undefined, { allow: [429, 501, 503] });
  if (health.status === 503) await unseal(); // never leave the server sealed
  await admin().unmount(engine);
});

describe.skipIf(!RUN)("keyfront through a real seal and unseal", () => {
  it("serves cached keys while Vault is sealed, fails misses fast naming the seal, and recovers", async () => {
    await admin().mountKv(engine, "v2");
    s = await startServer({
      yaml: vaultServerYaml(
        f,
        {
          addr: REAL_VAULT?.addr ?? "",
          engine,
          version: "v2",
          token: "${ROOT_TOKEN}",
          ping: "500ms",
        },
        "cache:\n  expiry: { any: 5m, unused: 5m, offline: 5m }\n",
      ),
      caPem: f.serverCertPem,
      files: { "server.crt": f.serverCertPem, "server.key": f.serverKeyPem },
      env: { ROOT_TOKEN: REAL_VAULT?.token ?? "" },
    });
    const server = s;
    const call = (method: string, path: string, body?: string) =>
      server.request(f.clients.admin, method, path, body);
    await waitFor(
      "ready",
      async () => ((await call("GET", "/v1/ready")).status === 200 ? true : undefined),
      30_000,
    );
    for (const name of ["hot", "cold"])
      expect((await call("POST", `/v1/key/create/${name}`)).status).toBe(200);
    expect((await call("POST", "/v1/key/generate/hot", "{}")).status).toBe(200); // cached

    let activeMs = 0;
    let miss: { status: number; detail: unknown; ms: number } | undefined;
    const figures = await underLoad({
      s: server,
      client: f.clients.admin,
      key: "hot",
      faultMs: SEALED_MS,
      recoveryLimitMs: RECOVERY_LIMIT_MS,
      inject: async () => {
        await admin().call("PUT", "sys/seal");
        await waitFor(
          "keyfront to see the seal",
          async () => ((await call("GET", "/v1/ready")).status === 504 ? true : undefined),
          10_000,
        );
        const started = performance.now();
        const r = await call("POST", "/v1/key/generate/cold", "{}");
        miss = {
          status: r.status,
          detail: r.headers["x-keyfront-detail"],
          ms: performance.now() - started,
        };
      },
      clear: async () => {
        const started = performance.now();
        await unseal();
        activeMs = performance.now() - started;
      },
    });
    console.log(
      `seal under load: ${figures.total} requests, ${figures.failed} failed, sealed ${SEALED_MS / 1000} s; uncached key while sealed: ${miss?.status} in ${miss?.ms.toFixed(0)} ms; Vault active ${(activeMs / 1000).toFixed(2)} s after the unseal call, keyfront writing again ${figures.recovery.toFixed(2)} s after that`,
    );
    expect(figures.total).toBeGreaterThan(0);
    expect(figures.failed).toBe(0);
    expect(miss?.status).toBe(502);
    expect(miss?.detail).toBe("Vault is sealed");
    expect((await call("POST", "/v1/key/generate/cold", "{}")).status).toBe(200);
  }, 120_000);
});
