// Key lifecycle end to end (issue 10) on the Vault test server, K/V v1 and v2: the real server over
// mTLS. Rotation under load with 0 failed requests, KES-stored keys and KES ciphertexts after 3
// rotations, the deletion window; and two replicas on the same Vault: rotating at once makes one
// version, the other replica uses a new version within `cache.expiry.refresh`, and decrypts a
// ciphertext of a version it has never seen (the cache miss loads it).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Fixture, makeFixture } from "../api/fixture.js";
import {
  type Answer,
  Api,
  expectError,
  expectKesCiphertextsDecrypt,
  KES_VECTORS,
  lifecycleYaml,
  rotateUnderLoad,
} from "../api/key-lifecycle-helpers.js";
import { type RunningServer, startServer } from "../helpers/server.js";
import { startVaultTestServer } from "../vault-server/server.js";
import { unique, VaultAdmin, waitFor } from "./vault/vault-admin.js";

type TestServer = Awaited<ReturnType<typeof startVaultTestServer>>;
let vault: TestServer;
let admin: VaultAdmin;
let f: Fixture;
const running: RunningServer[] = [];

beforeAll(async () => {
  vault = await startVaultTestServer({});
  admin = new VaultAdmin(vault.addr, vault.rootToken);
  f = makeFixture();
}, 30_000);
afterAll(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await vault?.close();
});

async function replica(engine: string, version: "v1" | "v2"): Promise<Api> {
  const s = await startServer({
    yaml: lifecycleYaml(
      f,
      `  deletion:
    window: 1h
    decrypt: allow
  vault:
    endpoint: ${vault.addr}
    engine: ${engine}
    version: ${version}
    token: ${vault.rootToken}
    status:
      ping: 500ms
`,
      "cache:\n  expiry:\n    refresh: 1s\n",
    ),
    caPem: f.serverCertPem,
    files: { "server.crt": f.serverCertPem, "server.key": f.serverKeyPem },
  });
  running.push(s);
  const api = new Api(s, f.clients.admin);
  await waitFor("ready", async () =>
    (await api.call("GET", "/v1/ready")).status === 200 ? true : undefined,
  );
  return api;
}

/** Writes a key into Vault exactly as KES does: one secret per key, the field named after it. */
async function putKesKey(engine: string, version: "v1" | "v2", name: string, value: string) {
  const fields = { [name]: value };
  await admin.call(
    "POST",
    version === "v2" ? `${engine}/data/${name}` : `${engine}/${name}`,
    version === "v2" ? { options: { cas: 0 }, data: fields } : fields,
  );
}

/** The secrets in the mount that are `name` or one of its records, sorted. */
async function recordsIn(engine: string, version: "v1" | "v2", name: string): Promise<string[]> {
  const path = version === "v2" ? `${engine}/metadata` : engine;
  const listed = await admin.call("LIST", path, undefined, { allow: [404] });
  const data = listed.body?.data as { keys?: string[] } | undefined;
  return (data?.keys ?? []).filter((k) => k === name || k.startsWith(`${name}.`)).sort();
}

for (const version of ["v1", "v2"] as const) {
  describe(`K/V ${version}`, () => {
    const engine = unique("kv");
    let a: Api;
    let b: Api;
    beforeAll(async () => {
      await admin.mountKv(engine, version);
      [a, b] = await Promise.all([replica(engine, version), replica(engine, version)]);
    }, 60_000);

    it("rotates under concurrent generate/decrypt load with 0 failed requests", async () => {
      await a.ok("POST", "/v1/key/create/busy");
      await rotateUnderLoad(a, "busy", 3);
      expect((await a.ok("GET", "/v1/key/versions/busy")).latest).toBe(4);
    });

    it("KES-stored keys and KES ciphertexts decrypt after 3 rotations", async () => {
      const names: Record<string, string> = {};
      for (const [i, v] of KES_VECTORS.key_values.entries()) {
        if (!v.era.startsWith("protobuf")) continue;
        const name = `kes-${i}`;
        names[v.want.algorithm] = name;
        await putKesKey(engine, version, name, v.value);
        for (let r = 0; r < 3; r++) await a.rotate(name);
      }
      await expectKesCiphertextsDecrypt(a, (alg) => names[alg] ?? "");
      await expectKesCiphertextsDecrypt(b, (alg) => names[alg] ?? "");
      // version 1 in Vault is still exactly what KES wrote
      for (const [i, v] of KES_VECTORS.key_values.entries()) {
        if (!v.era.startsWith("protobuf")) continue;
        const path = version === "v2" ? `${engine}/data/kes-${i}` : `${engine}/kes-${i}`;
        const res = await admin.call("GET", path);
        const outer = res.body?.data as Record<string, unknown> | undefined;
        const data = version === "v2" ? (outer?.data as Record<string, unknown>) : outer;
        expect(data).toEqual({ [`kes-${i}`]: v.value });
      }
    });

    it("two replicas rotating at once make one new version", async () => {
      await a.ok("POST", "/v1/key/create/race");
      await Promise.all([a.generate("race"), b.generate("race")]); // both have it cached
      // Every Vault call takes 1 s: both replicas read the key before either writes version 2.
      vault.faults.setLatency(1_000);
      let answers: Answer[];
      try {
        answers = await Promise.all([a, b].map((r) => r.call("POST", "/v1/key/rotate/race")));
      } finally {
        vault.faults.setLatency(0);
      }
      const seen = answers.map((x) => (x.status === 200 ? x.body.version : x.body.message));
      if (version === "v2") {
        // cas=0: the loser's write fails and it answers the winner's version
        expect(seen).toEqual([2, 2]);
      } else {
        // K/V v1 has no compare-and-set: the write read back by the other replica is refused
        // loudly (502) rather than answered; never two different versions 2
        expect(seen.filter((x) => x === 2).length).toBeGreaterThanOrEqual(1);
        expect(seen.every((x) => x === 2 || x === "failed to update key")).toBe(true);
      }
      // one version 2 in Vault (a replica whose rotation was refused sees it within the refresh)
      for (const api of [a, b]) {
        await waitFor("version 2 listed", async () =>
          (await api.ok("GET", "/v1/key/versions/race")).latest === 2 ? true : undefined,
        );
      }
      expect(await recordsIn(engine, version, "race")).toEqual(["race", "race.v2"]);
      // both replicas hold the same version 2: each opens what the other sealed under it
      for (const [from, to] of [
        [a, b],
        [b, a],
      ] as const) {
        await waitFor("version 2 on both replicas", async () =>
          (await from.generate("race")).version === "2" ? true : undefined,
        );
        const dek = await from.generate("race");
        const d = await to.decrypt("race", dek.ciphertext);
        expect([dek.version, d.status, d.body.plaintext]).toEqual(["2", 200, dek.plaintext]);
      }
    });

    it("the other replica uses a new version within cache.expiry.refresh and opens newer ones at once", async () => {
      await a.ok("POST", "/v1/key/create/spread");
      expect((await b.generate("spread")).version).toBe("1"); // cached on b
      await a.rotate("spread");
      const started = Date.now();
      let seen = "1";
      for (let i = 0; i < 300 && seen !== "2"; i++) {
        seen = (await b.generate("spread")).version;
        if (seen !== "2") await new Promise((r) => setTimeout(r, 50));
      }
      expect(seen).toBe("2");
      console.log(`replica used version 2 after ${Date.now() - started} ms (refresh 1s)`);
      // a ciphertext of a version b has not seen yet: the cache miss loads it
      await a.rotate("spread");
      const dek = await a.generate("spread");
      expect(dek.version).toBe("3");
      const d = await b.decrypt("spread", dek.ciphertext);
      expect([d.status, d.body.plaintext]).toEqual([200, dek.plaintext]);
    });

    it("deletion window: pending on both replicas (decrypt: allow), restore, purge removes every record", async () => {
      await a.ok("POST", "/v1/key/create/gone");
      await a.rotate("gone");
      const dek = await b.generate("gone");
      await a.ok("DELETE", "/v1/key/delete/gone");
      for (const api of [a, b]) {
        await waitFor("pending on every replica", async () =>
          (await api.call("POST", "/v1/key/generate/gone", {})).status === 404 ? true : undefined,
        );
        expectError(
          await api.call("GET", "/v1/key/describe/gone"),
          404,
          "key does not exist",
          /^key is pending deletion until /,
        );
        const d = await api.decrypt("gone", dek.ciphertext); // keystore.deletion.decrypt: allow
        expect([d.status, d.body.plaintext]).toEqual([200, dek.plaintext]);
      }
      await b.ok("POST", "/v1/key/restore/gone");
      await waitFor("restored on every replica", async () =>
        (await a.call("POST", "/v1/key/generate/gone", {})).status === 200 ? true : undefined,
      );
      await a.ok("DELETE", "/v1/key/delete/gone");
      await a.ok("DELETE", "/v1/key/purge/gone");
      expect(await recordsIn(engine, version, "gone")).toEqual([]);
      await waitFor("purged on every replica", async () =>
        (await b.decrypt("gone", dek.ciphertext)).status === 404 ? true : undefined,
      );
      expectError(await b.decrypt("gone", dek.ciphertext), 404, "key does not exist");
    });
  });
}
