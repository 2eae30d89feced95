// The Vault keystore checks the K/V mount it is pointed at (vault-api.md §4.2, §4.3): a version
// mismatch in either direction, a missing mount and a mount of another type are reported by
// status() and refuse create/get/delete/list without a single K/V request; the check works for
// prefix tenants (a token limited to its folder) and namespace tenants (relative to the
// namespace); a remount is noticed; Vault's warnings reach the log; and a create whose write Vault
// acknowledged but did not keep fails loudly instead of answering success. Runs on the Vault test
// server and, where it needs no fault injection, on a real Vault when VAULT_ADDR/VAULT_TOKEN are set.

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KeystoreUnreachableError } from "../../internal/errors.js";
import type { KeyStore } from "../../internal/keystore/keystore.js";
import {
  connectVault,
  VaultMountMismatchError,
} from "../../internal/keystore/vault/vault-store.js";
import { VAULT_READBACK_ATTEMPTS } from "../../internal/limits.js";
import { startVaultTestServer } from "../vault-server/server.js";
import {
  captureLog,
  pick,
  REAL_VAULT,
  tenantPolicy,
  tokenAuth,
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

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  server?.faults.reset();
});

type Version = "v1" | "v2";

/** Every key-bearing entry under a K/V mount, by listing it the way its real version lists. */
async function entriesIn(a: VaultAdmin, engine: string, mounted: Version): Promise<unknown> {
  const list = async (path: string) =>
    pick(
      (await a.call("GET", `${path}?list=true`, undefined, { allow: [404] })).body,
      "data",
      "keys",
    );
  return mounted === "v2" ? list(`${engine}/metadata/`) : list(`${engine}/`);
}

async function open(a: VaultAdmin, over: Parameters<typeof vaultConfig>[2], token = a.token) {
  const log = captureLog();
  const store = await connectVault(
    vaultConfig(a.addr, tokenAuth(token), { statusPingMs: 60_000, ...over }),
    { log: log.log },
  );
  cleanups.push(() => store.close());
  return { store, log };
}

async function mount(a: VaultAdmin, version: Version): Promise<string> {
  const engine = unique("kv");
  await a.mountKv(engine, version);
  cleanups.push(() => a.unmount(engine));
  return engine;
}

/** Every key operation fails with the mismatch and no K/V request reaches Vault. */
async function expectRefused(store: KeyStore, pattern: RegExp): Promise<void> {
  for (const op of [
    () => store.create("k1", "value-1"),
    () => store.get("k1"),
    () => store.delete("k1"),
    () => store.list("", "", 0),
  ]) {
    const err = await op().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VaultMountMismatchError);
    expect((err as Error).message).toMatch(pattern);
  }
}

function describeMountChecks(label: string, admin: () => VaultAdmin, fake: boolean) {
  describe(label, () => {
    it.each([
      ["v2", "v1"],
      ["v1", "v2"],
    ] as const)(
      "config %s on a K/V %s mount: status says so, nothing runs",
      async (configured, mounted) => {
        const a = admin();
        const engine = await mount(a, mounted);
        const { store, log } = await open(a, { engine, version: configured });
        const want = new RegExp(
          `keystore.vault.version is ${configured}, but the mount '${engine}/' is K/V ${mounted}: set keystore.vault.version: ${mounted}`,
        );
        await expect(store.status()).rejects.toThrow(want);
        server?.resetRequestCount();
        await expectRefused(store, want);
        if (fake) expect(server?.requestCount(`${engine}/`)).toBe(0);
        expect(await entriesIn(a, engine, mounted)).toBeUndefined();
        expect(log.lines.filter((l) => l.includes('"level":50') && want.test(l))).toHaveLength(1);
      },
    );

    it("notices a remount at the next check, in both directions", async () => {
      const a = admin();
      const engine = await mount(a, "v1");
      const { store, log } = await open(a, { engine, version: "v2" });
      await expect(store.status()).rejects.toBeInstanceOf(VaultMountMismatchError);
      await a.unmount(engine);
      await a.mountKv(engine, "v2");
      await store.status();
      await store.create("k1", "value-1");
      expect(await store.get("k1")).toBe("value-1");
      expect(await entriesIn(a, engine, "v2")).toEqual(["k1"]);
      expect(log.text()).toContain(`K/V mount '${engine}/' is v2, as configured`);
      await a.unmount(engine);
      await a.mountKv(engine, "v1");
      await expect(store.status()).rejects.toThrow(/is K\/V v1: set keystore.vault.version: v1/);
      await expectRefused(store, /is K\/V v1/);
    });

    it("checks before the first operation, without waiting for a ping", async () => {
      const a = admin();
      const engine = await mount(a, "v1");
      const { store } = await open(a, { engine, version: "v2" });
      // No status() call: the first create itself asks for the mount's version.
      await expect(store.create("k1", "value-1")).rejects.toBeInstanceOf(VaultMountMismatchError);
      expect(await entriesIn(a, engine, "v1")).toBeUndefined();
    });

    it("reports a missing mount and a mount that is not K/V", async () => {
      const a = admin();
      const missing = unique("nokv");
      const { store } = await open(a, { engine: missing, version: "v2" });
      await expect(store.status()).rejects.toThrow(
        new RegExp(`the K/V mount '${missing}/' does not exist, or the token has no capability`),
      );
      await expectRefused(store, /does not exist/);
      const transit = unique("transit");
      await a.call("POST", `sys/mounts/${transit}`, { type: "transit" });
      cleanups.push(() => a.unmount(transit));
      const wrong = await open(a, { engine: transit, version: "v1" });
      await expect(wrong.store.status()).rejects.toThrow(
        `the mount '${transit}/' is of type 'transit', not a K/V secrets engine`,
      );
    });

    it("works for a prefix tenant whose token only reaches its folder", async () => {
      const a = admin();
      const engine = await mount(a, "v2");
      const policy = unique("tenant");
      await a.putPolicy(policy, tenantPolicy(engine, "v2", "tenant-a"));
      cleanups.push(() => a.deletePolicy(policy));
      const token = await a.createToken({ policies: [policy], ttl: "60s" });
      const good = await open(a, { engine, version: "v2", prefix: "tenant-a" }, token);
      await good.store.status();
      await good.store.create("k1", "value-1");
      const bad = await open(a, { engine, version: "v1", prefix: "tenant-a" }, token);
      await expect(bad.store.status()).rejects.toThrow(
        /is K\/V v2: set keystore.vault.version: v2/,
      );
      await expectRefused(bad.store, /is K\/V v2/);
    });

    it("surfaces Vault's warnings when a call still meets the wrong layout", async () => {
      const a = admin();
      const engine = await mount(a, "v1");
      const { store, log } = await open(a, { engine, version: "v1" });
      await store.status();
      // Remounted as v2 between two pings: the v1 call gets Vault's 404 + warning (§3.8).
      await a.unmount(engine);
      await a.mountKv(engine, "v2");
      const err = await store.create("k1", "value-1").catch((e: unknown) => e);
      expect((err as Error).message).toMatch(
        /HTTP 404: warning: Invalid path for a versioned K\/V secrets engine/,
      );
      expect(log.text()).toMatch(/Vault warns: warning: Invalid path for a versioned K\/V/);
      expect(await entriesIn(a, engine, "v2")).toBeUndefined();
      await expect(store.status()).rejects.toBeInstanceOf(VaultMountMismatchError);
    });
  });
}

describeMountChecks(
  "vault test server",
  () => {
    if (!server) throw new Error("vault test server not started");
    return new VaultAdmin(server.addr, server.rootToken);
  },
  true,
);

describe("vault test server only", () => {
  const admin = () => new VaultAdmin(server?.addr ?? "", server?.rootToken ?? "");

  it("checks the mount relative to the namespace", async () => {
    const root = admin();
    const ns = unique("ns");
    await root.createNamespace(ns);
    cleanups.push(() => root.deleteNamespace(ns));
    const engine = unique("kv");
    // The same mount path is v2 in the root namespace and v1 in the tenant's namespace.
    await root.mountKv(engine, "v2");
    cleanups.push(() => root.unmount(engine));
    await root.in(ns).mountKv(engine, "v1");
    const good = await open(root, { engine, version: "v1", namespace: ns });
    await good.store.status();
    await good.store.create("k1", "value-1");
    expect(await entriesIn(root.in(ns), engine, "v1")).toEqual(["k1"]);
    const bad = await open(root, { engine, version: "v2", namespace: ns });
    await expect(bad.store.status()).rejects.toThrow(
      `the mount '${engine}/' in namespace '${ns}' is K/V v1`,
    );
    await expectRefused(bad.store, /in namespace/);
    expect(await entriesIn(root, engine, "v2")).toBeUndefined();
  });

  it.each(["v1", "v2"] as const)(
    "K/V %s: a create whose write Vault acknowledged but did not keep fails loudly",
    async (version) => {
      const a = admin();
      const engine = await mount(a, version);
      const { store, log } = await open(a, { engine, version });
      await store.status();
      server?.faults.loseNextWrites(1);
      server?.resetRequestCount();
      const err = await store.create("lost", "value-1").catch((e: unknown) => e);
      expect(err).not.toBeInstanceOf(KeystoreUnreachableError);
      expect((err as Error).message).toBe(
        "vault: create of 'lost' is not confirmed: Vault acknowledged the write, but the key is not there when read back",
      );
      expect(log.text()).toContain("not there when read back");
      expect(log.text()).not.toContain("value-1");
      // The write (v1: check and write), then every read-back attempt.
      const path = version === "v2" ? `${engine}/data/lost` : `${engine}/lost`;
      expect(server?.requestCount(path)).toBe((version === "v1" ? 2 : 1) + VAULT_READBACK_ATTEMPTS);
      // Nothing half-made is left behind, and the name can be created for real.
      await store.create("lost", "value-2");
      expect(await store.get("lost")).toBe("value-2");
    },
  );

  it.each(["v1", "v2"] as const)(
    "K/V %s: a read-back that lags the write is read again, and the create succeeds",
    async (version) => {
      const a = admin();
      const engine = await mount(a, version);
      const { store } = await open(a, { engine, version });
      await store.status();
      expect(VAULT_READBACK_ATTEMPTS).toBeGreaterThan(1);
      server?.faults.hideNextReads(VAULT_READBACK_ATTEMPTS - 1);
      await store.create("lagging", "value-1");
      expect(await store.get("lagging")).toBe("value-1");
    },
  );

  it("a v2 create that lands as a v1 write (204, no version) is not reported as created", async () => {
    const a = admin();
    const engine = await mount(a, "v2");
    const { store, log } = await open(a, { engine, version: "v2" });
    await store.status();
    // Remounted as v1 between two pings: the v2 write is stored literally and answers 204.
    await a.unmount(engine);
    await a.mountKv(engine, "v1");
    await expect(store.create("k1", "value-1")).rejects.toThrow(
      "vault: create of 'k1' is not confirmed: Vault answered HTTP 204 without version metadata (is the mount K/V v1?)",
    );
    expect(log.text()).toContain("without version metadata");
  });
});

warnIfNoRealVault("vault-mount.test.ts");
describe.skipIf(!REAL_VAULT)("real Vault", () => {
  describeMountChecks(
    "real Vault",
    () => new VaultAdmin(REAL_VAULT?.addr ?? "", REAL_VAULT?.token ?? ""),
    false,
  );
});
