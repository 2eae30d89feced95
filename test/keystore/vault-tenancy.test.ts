// Multi-tenancy on one Vault (README "Vault keystore"): two keyfront deployments, each with its
// own prefix (one mount) or its own namespace (Vault Enterprise), its own AppRole and its own
// Vault ACL policy, using the same key names. Neither can read, list or delete the other's keys —
// not even when misconfigured with the other's prefix, because Vault's policy says no.

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KeyExistsError, KeyNotFoundError } from "../../internal/errors.js";
import type { KeyStore } from "../../internal/keystore/keystore.js";
import { connectVault } from "../../internal/keystore/vault/vault-store.js";
import { startVaultTestServer } from "../vault-server/server.js";
import {
  approleAuth,
  captureLog,
  REAL_VAULT,
  tenantPolicy,
  unique,
  VaultAdmin,
  vaultConfig,
  warnIfNoRealVault,
} from "./vault/vault-admin.js";

type TestServer = Awaited<ReturnType<typeof startVaultTestServer>>;
let server: TestServer | undefined;
beforeAll(async () => {
  server = await startVaultTestServer({ enterprise: true });
});
afterAll(async () => {
  await server?.close();
});

interface Tenant {
  store: KeyStore;
  /** A store with this tenant's credentials but `other`'s prefix (a misconfiguration). */
  openWithPrefix: (prefix: string) => Promise<KeyStore>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** One tenant: an AppRole (in `a`'s namespace) whose policy covers only engine/prefix. */
async function tenant(
  a: VaultAdmin,
  engine: string,
  version: "v1" | "v2",
  prefix: string,
  namespace: string,
) {
  const approle = unique("approle");
  const policy = unique("tenant");
  await a.enableAuth(approle, "approle");
  await a.putPolicy(policy, tenantPolicy(engine, version, prefix));
  const roleId = await a.createRole(approle, "keyfront", {
    token_policies: [policy],
    token_ttl: "60s",
  });
  const secret = await a.secretId(approle, "keyfront");
  cleanups.push(async () => {
    await a.disableAuth(approle);
    await a.deletePolicy(policy);
  });
  const openWithPrefix = async (p: string) => {
    const config = vaultConfig(a.addr, approleAuth(roleId, secret, { engine: approle }), {
      engine,
      version,
      prefix: p,
      namespace,
    });
    const store = await connectVault(config, { log: captureLog().log });
    cleanups.push(() => store.close());
    return store;
  };
  return { store: await openWithPrefix(prefix), openWithPrefix } satisfies Tenant;
}

async function expectIsolated(a: Tenant, b: Tenant) {
  await a.store.create("shared-name", "value-of-a");
  await b.store.create("shared-name", "value-of-b");
  await a.store.create("only-a", "a");
  // The tenant policy is create-only: an overwrite is a 403 at Vault's ACL layer → "exists".
  await expect(a.store.create("shared-name", "again")).rejects.toBeInstanceOf(KeyExistsError);
  expect(await a.store.get("shared-name")).toBe("value-of-a");
  expect(await b.store.get("shared-name")).toBe("value-of-b");
  expect((await a.store.list("", "", 0)).names).toEqual(["only-a", "shared-name"]);
  expect((await b.store.list("", "", 0)).names).toEqual(["shared-name"]);
  await expect(b.store.get("only-a")).rejects.toBeInstanceOf(KeyNotFoundError);
  await b.store.delete("only-a");
  expect(await a.store.get("only-a")).toBe("a");
  await b.store.delete("shared-name");
  expect(await a.store.get("shared-name")).toBe("value-of-a");
}

/**
 * `namespaces`: whether the Vault has them (the test server in Enterprise mode), or "detect" to
 * ask it (a real Vault: Enterprise and OpenBao ≥ 2.3 have them, Vault OSS has not).
 */
function tenancyTests(label: string, admin: () => VaultAdmin, namespaces: boolean | "detect") {
  describe(label, () => {
    for (const version of ["v1", "v2"] as const) {
      it(`keeps prefix tenants on one KV ${version} mount apart, enforced by Vault policy`, async () => {
        const a0 = admin();
        const engine = unique("kv");
        await a0.mountKv(engine, version);
        cleanups.push(() => a0.unmount(engine));
        const ta = await tenant(a0, engine, version, "tenants/a", "");
        const tb = await tenant(a0, engine, version, "tenants/b", "");
        await expectIsolated(ta, tb);

        // Tenant B's credentials pointed at A's prefix: Vault's ACL refuses every operation.
        const intruder = await tb.openWithPrefix("tenants/a");
        for (const op of [
          () => intruder.get("shared-name"),
          () => intruder.list("", "", 0),
          () => intruder.delete("shared-name"),
          () => intruder.create("planted", "x"),
        ]) {
          await expect(op()).rejects.toThrow(/permission denied/);
        }
        expect(await ta.store.get("shared-name")).toBe("value-of-a");
        await expect(ta.store.get("planted")).rejects.toBeInstanceOf(KeyNotFoundError);
      });
    }

    it.skipIf(namespaces === false)(
      "keeps namespace tenants apart (same mount path, same key names)",
      async (ctx) => {
        const root = admin();
        if (namespaces === "detect" && !(await root.supportsNamespaces())) {
          console.warn(`*** ${label}: this Vault has no namespaces; namespace tenants SKIPPED ***`);
          ctx.skip();
        }
        const [nsA, nsB] = [unique("tenant-a"), unique("tenant-b")];
        const tenants: Tenant[] = [];
        for (const ns of [nsA, nsB]) {
          await root.createNamespace(ns);
          cleanups.push(() => root.deleteNamespace(ns));
          const a = root.in(ns);
          await a.mountKv("kv", "v2");
          tenants.push(await tenant(a, "kv", "v2", "", ns));
        }
        const [ta, tb] = tenants as [Tenant, Tenant];
        await expectIsolated(ta, tb);
      },
    );
  });
}

tenancyTests(
  "vault test server",
  () => {
    if (!server) throw new Error("vault test server not started");
    return new VaultAdmin(server.addr, server.rootToken);
  },
  true,
);

warnIfNoRealVault("vault-tenancy.test.ts");
describe.skipIf(!REAL_VAULT)("real Vault", () => {
  tenancyTests(
    "real Vault",
    () => new VaultAdmin(REAL_VAULT?.addr ?? "", REAL_VAULT?.token ?? ""),
    "detect",
  );
});
