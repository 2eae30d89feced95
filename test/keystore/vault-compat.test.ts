// KES storage compatibility of the Vault keystore (kes-api.md §7.8, §8.3): values KES wrote — the
// base64 protobuf of HEAD and both legacy JSON forms — placed into Vault directly over HTTP, in
// KES's layout (field named after the key, under engine/prefix), are served by the store and
// decrypt KES ciphertexts; values the store writes are in exactly that layout; Transit wrapping.
// Runs on the test server and, with VAULT_ADDR/VAULT_TOKEN, on a real Vault.

import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decrypt } from "../../internal/crypto/aead.js";
import { decodeKeyVersion } from "../../internal/crypto/key-encoding.js";
import type { KeyStore } from "../../internal/keystore/keystore.js";
import { connectVault } from "../../internal/keystore/vault/vault-store.js";
import { startVaultTestServer } from "../vault-server/server.js";
import {
  captureLog,
  pick,
  REAL_VAULT,
  tokenAuth,
  unique,
  VaultAdmin,
  vaultConfig,
  warnIfNoRealVault,
} from "./vault/vault-admin.js";

interface Vectors {
  key_values: { era: string; value: string; want: { key: string; algorithm: string } }[];
  legacy_ciphertexts: {
    format: string;
    key: string;
    context: string;
    plaintext: string;
    ciphertext: string;
  }[];
}
const VECTORS = JSON.parse(
  readFileSync(new URL("../vectors/crypto-kes.json", import.meta.url), "utf8"),
) as Vectors;

type TestServer = Awaited<ReturnType<typeof startVaultTestServer>>;
let server: TestServer | undefined;
beforeAll(async () => {
  server = await startVaultTestServer({});
});
afterAll(async () => {
  await server?.close();
});

function compatTests(label: string, admin: () => VaultAdmin) {
  describe(label, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0)) await c();
    });
    const open = async (
      version: "v1" | "v2",
      prefix: string,
      over = {},
    ): Promise<[KeyStore, VaultAdmin, string]> => {
      const a = admin();
      const engine = unique("kv");
      await a.mountKv(engine, version);
      const store = await connectVault(
        vaultConfig(a.addr, tokenAuth(a.token), { engine, version, prefix, ...over }),
        {
          log: captureLog().log,
        },
      );
      cleanups.push(async () => {
        await store.close();
        await a.unmount(engine);
      });
      return [store, a, engine];
    };

    for (const version of ["v1", "v2"] as const) {
      it(`serves keys KES wrote into KV ${version} (every §7.8 encoding)`, async () => {
        const [store, a, engine] = await open(version, "/kes/keys/");
        for (const [i, vector] of VECTORS.key_values.entries()) {
          const name = `kes-key-${i}`;
          const path =
            version === "v2" ? `${engine}/data/kes/keys/${name}` : `${engine}/kes/keys/${name}`;
          const fields = { [name]: vector.value };
          await a.call(
            "POST",
            path,
            version === "v2" ? { options: { cas: 0 }, data: fields } : fields,
          );
          const stored = await store.get(name);
          expect(stored, vector.era).toBe(vector.value);
          const kv = decodeKeyVersion(stored);
          expect([kv.key.toString("hex"), kv.algorithm], vector.era).toEqual([
            vector.want.key,
            vector.want.algorithm,
          ]);
        }
        expect((await store.list("kes-key-", "", 0)).names).toHaveLength(VECTORS.key_values.length);
        // A KES ciphertext decrypts with the key read back from Vault.
        const c = VECTORS.legacy_ciphertexts[0];
        const holder = VECTORS.key_values.findIndex(
          (v) => v.want.key === c?.key && v.want.algorithm === "AES256",
        );
        if (!c || holder < 0) throw new Error("vectors changed");
        const kv = decodeKeyVersion(await store.get(`kes-key-${holder}`));
        const plain = decrypt(
          kv,
          Buffer.from(c.ciphertext, "base64"),
          Buffer.from(c.context, "hex"),
        );
        expect(plain.toString("hex")).toBe(c.plaintext);
      });

      it(`writes KV ${version} secrets in the layout KES reads`, async () => {
        const [store, a, engine] = await open(version, "tenant");
        const value = VECTORS.key_values[0]?.value ?? "";
        await store.create("my-key", value);
        const res = await a.call(
          "GET",
          version === "v2" ? `${engine}/data/tenant/my-key` : `${engine}/tenant/my-key`,
        );
        const data = res.body?.data as Record<string, unknown>;
        const fields = (version === "v2" ? data.data : data) as Record<string, unknown>;
        expect(fields).toEqual({ "my-key": value });
        if (version === "v2") expect((data.metadata as { version: number }).version).toBe(1);
      });
    }

    it("wraps values with Transit when configured, and says so when it is not", async () => {
      const a = admin();
      const transit = unique("transit");
      await a.call("POST", `sys/mounts/${transit}`, { type: "transit" });
      cleanups.push(() => a.unmount(transit));
      const [store, , engine] = await open("v2", "", {
        transit: { engine: transit, key: "keyfront" },
      });
      const value = VECTORS.key_values[1]?.value ?? "";
      await store.create("wrapped", value);
      const raw = await a.call("GET", `${engine}/data/wrapped`);
      const stored = String(pick(raw.body, "data", "data", "wrapped"));
      expect(stored).toMatch(/^vault:v1:/);
      expect(await store.get("wrapped")).toBe(value);

      const plain = await connectVault(vaultConfig(a.addr, tokenAuth(a.token), { engine }), {
        log: captureLog().log,
      });
      cleanups.push(() => plain.close());
      await expect(plain.get("wrapped")).rejects.toThrow(/encrypted with a Vault transit key/);
    });
  });
}

compatTests("vault test server", () => {
  if (!server) throw new Error("vault test server not started");
  return new VaultAdmin(server.addr, server.rootToken);
});

warnIfNoRealVault("vault-compat.test.ts");
describe.skipIf(!REAL_VAULT)("real Vault", () => {
  compatTests("real Vault", () => new VaultAdmin(REAL_VAULT?.addr ?? "", REAL_VAULT?.token ?? ""));
});
