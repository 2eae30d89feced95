// `keyfront migrate` to, from and between Vault keystores (the Vault test server), end to end with
// the built CLI: fs → Vault K/V v2 and v1, a Vault prefix → a Vault namespace, K/V v1 → v2 (two
// mounts), two prefixes of one mount. Before each migration the real server on the source config
// makes a DEK; after it every stored value is compared byte for byte in Vault, and the real server
// on the target config decrypts that DEK and makes a new one. A target whose mount is not what its
// config says, or a sealed target, fails in one line with nothing written.

import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { unique } from "../keystore/vault/vault-admin.js";
import { expectOneLine, kf } from "./cli-helpers.js";
import {
  dekOn,
  expectOnlyPlainHttpWarnings,
  expectStored,
  freshValues,
  listRaw,
  putRaw,
  readAll,
  servesOn,
  useMigrateEnv,
  type VaultSide,
  writeConfig,
} from "./migrate-vault-helpers.js";

/** A migrate run against Vault on a loaded machine: longer than kf's default. */
const SLOW_CLI_MS = 50_000;
const TEST_MS = 60_000;

const env = useMigrateEnv({ enterprise: true }, "keyfront-migrate-vault-");

const vaultSide = (over: Partial<VaultSide> & { engine: string }): VaultSide => ({
  addr: env.vault.addr,
  token: env.vault.rootToken,
  version: "v2",
  ...over,
});

async function migrate(from: string, to: string, ...more: string[]) {
  const r = await kf(["migrate", "--from", from, "--to", to, ...more], {}, undefined, SLOW_CLI_MS);
  expect(r.stderr).not.toContain(env.vault.rootToken);
  return r;
}

/** A Vault source: the server makes `app-key` and a DEK, and `bulk` values are put in raw. */
async function fillVault(config: string, side: VaultSide, bulk: Map<string, string>) {
  const dek = await dekOn(env.f, config, "app-key");
  for (const [name, value] of bulk) await putRaw(env.admin, side, name, value);
  return dek;
}

async function expectMigrated(from: string, to: string, count: number) {
  const r = await migrate(from, to, "--json");
  expect(r.code, r.stderr).toBe(0);
  expectOnlyPlainHttpWarnings(r.stderr);
  expect(JSON.parse(r.stdout)).toEqual({
    matched: count,
    migrated: count,
    skipped: 0,
    replaced: 0,
    records: 0,
  });
}

describe("keyfront migrate with Vault", () => {
  for (const version of ["v2", "v1"] as const) {
    it(
      `fs → Vault K/V ${version}`,
      async () => {
        const src = join(env.dir, "src");
        await mkdir(src, { mode: 0o700 });
        const from = await writeConfig(env.dir, env.f, "from", { fs: src });
        const dek = await dekOn(env.f, from, "app-key");
        const bulk = freshValues("bulk", 25);
        for (const [name, value] of bulk) await writeFile(join(src, name), value, { mode: 0o600 });
        const engine = unique("kv");
        await env.admin.mountKv(engine, version);
        const target = vaultSide({ engine, version, prefix: "keyfront/prod" });
        const to = await writeConfig(env.dir, env.f, "to", target);

        await expectMigrated(from, to, 26);
        const want = new Map(bulk).set("app-key", await readFile(join(src, "app-key"), "utf8"));
        await expectStored(env.admin, target, want);
        await servesOn(env.f, to, "app-key", dek);
        await env.admin.unmount(engine);
      },
      TEST_MS,
    );
  }

  it(
    "Vault prefix → Vault namespace",
    async () => {
      const engine = unique("kv");
      await env.admin.mountKv(engine, "v2");
      const source = vaultSide({ engine, prefix: "tenant-a" });
      const from = await writeConfig(env.dir, env.f, "from", source);
      const dek = await fillVault(from, source, freshValues("tenant-a-key", 10));
      const ns = unique("tenant-a");
      await env.admin.createNamespace(ns);
      await env.admin.in(ns).mountKv("kv", "v2");
      const target = vaultSide({ engine: "kv", namespace: ns });
      const to = await writeConfig(env.dir, env.f, "to", target);

      await expectMigrated(from, to, 11);
      await expectStored(env.admin, target, await readAll(env.admin, source));
      await servesOn(env.f, to, "app-key", dek);
      await env.admin.in(ns).unmount("kv");
      await env.admin.deleteNamespace(ns);
      await env.admin.unmount(engine);
    },
    TEST_MS,
  );

  it(
    "Vault → Vault: K/V v1 mount → K/V v2 mount",
    async () => {
      const [v1, v2] = [unique("kv1"), unique("kv2")];
      await env.admin.mountKv(v1, "v1");
      await env.admin.mountKv(v2, "v2");
      const source = vaultSide({ engine: v1, version: "v1", prefix: "keys" });
      const from = await writeConfig(env.dir, env.f, "from", source);
      const dek = await fillVault(from, source, freshValues("bulk", 20));
      const target = vaultSide({ engine: v2, version: "v2", prefix: "keys" });
      const to = await writeConfig(env.dir, env.f, "to", target);

      await expectMigrated(from, to, 21);
      await expectStored(env.admin, target, await readAll(env.admin, source));
      await servesOn(env.f, to, "app-key", dek);
      await env.admin.unmount(v1);
      await env.admin.unmount(v2);
    },
    TEST_MS,
  );

  it(
    "Vault → Vault: one prefix of a mount to another, with a pattern, then --merge around a different key",
    async () => {
      const engine = unique("kv");
      await env.admin.mountKv(engine, "v2");
      const source = vaultSide({ engine, prefix: "old" });
      const from = await writeConfig(env.dir, env.f, "from", source);
      const dek = await fillVault(from, source, freshValues("bulk", 12));
      const target = vaultSide({ engine, prefix: "new" });
      const to = await writeConfig(env.dir, env.f, "to", target);

      const some = await migrate(from, to, "bulk-0000?", "--json");
      expect([some.code, JSON.parse(some.stdout)]).toEqual([
        0,
        { matched: 10, migrated: 10, skipped: 0, replaced: 0, records: 0 },
      ]);
      // Someone created bulk-00011 in the target meanwhile, with another value: kept, and told.
      const other = freshValues("other", 1).values().next().value ?? "";
      await putRaw(env.admin, target, "bulk-00011", other);
      const rest = await migrate(from, to, "--merge", "--json");
      expect([rest.code, JSON.parse(rest.stdout)]).toEqual([
        0,
        { matched: 13, migrated: 2, skipped: 11, replaced: 0, records: 0 },
      ]);
      expect(rest.stderr).toContain(
        "keyfront: warning: key 'bulk-00011' exists in the target with a different value: skipped\n",
      );
      const want = await readAll(env.admin, source);
      await expectStored(env.admin, target, new Map(want).set("bulk-00011", other));
      await servesOn(env.f, to, "app-key", dek);
      await env.admin.unmount(engine);
    },
    TEST_MS,
  );
});

describe("keyfront migrate refuses an unusable target before writing anything", () => {
  it("two configs naming one Vault folder (other token, other spelling) are the same keystore", async () => {
    const a = await writeConfig(
      env.dir,
      env.f,
      "a",
      vaultSide({ engine: "kv", prefix: "/tenant/" }),
    );
    const b = await writeConfig(
      env.dir,
      env.f,
      "b",
      vaultSide({ engine: "kv/", prefix: "tenant", token: "another-token" }),
    );
    const r = await migrate(a, b);
    expect([r.code, expectOneLine(r.stderr)]).toEqual([
      1,
      "keyfront: --from and --to name the same keystore",
    ]);
  });

  it.each([
    ["v2", "v1", "keystore.vault.version is v2, but the mount '%E/' is K/V v1"],
    ["v1", "v2", "keystore.vault.version is v1, but the mount '%E/' is K/V v2"],
  ] as const)(
    "a target config saying %s on a K/V %s mount",
    async (configured, real, message) => {
      const src = join(env.dir, "src");
      await mkdir(src, { mode: 0o700 });
      for (const [name, value] of freshValues("bulk", 3))
        await writeFile(join(src, name), value, { mode: 0o600 });
      const from = await writeConfig(env.dir, env.f, "from", { fs: src });
      const engine = unique("kv");
      await env.admin.mountKv(engine, real);
      const to = await writeConfig(
        env.dir,
        env.f,
        "to",
        vaultSide({ engine, version: configured }),
      );

      const r = await migrate(from, to);
      expect(r.code).toBe(1);
      expect(expectOneLine(r.stderr)).toContain(
        `keyfront: --to ${to}: the keystore is not usable: vault: ${message.replace("%E", engine)}`,
      );
      expect(await listRaw(env.admin, vaultSide({ engine, version: real }))).toEqual([]);
      await env.admin.unmount(engine);
    },
    TEST_MS,
  );

  it(
    "a sealed target: one line naming the state, after a bounded wait",
    async () => {
      const src = join(env.dir, "src");
      await mkdir(src, { mode: 0o700 });
      await writeFile(join(src, "k"), freshValues("k", 1).values().next().value ?? "", {
        mode: 0o600,
      });
      const from = await writeConfig(env.dir, env.f, "from", { fs: src });
      const engine = unique("kv");
      await env.admin.mountKv(engine, "v2");
      const target = vaultSide({ engine });
      const to = await writeConfig(env.dir, env.f, "to", target);
      env.vault.faults.seal();
      try {
        const r = await migrate(from, to);
        expect(r.code).toBe(1);
        expect(expectOneLine(r.stderr)).toMatch(
          new RegExp(
            `^keyfront: --to ${to}: the keystore is not usable: Vault is sealed \\(waited \\d+ s\\)$`,
          ),
        );
      } finally {
        env.vault.faults.unseal();
      }
      expect(await listRaw(env.admin, target)).toEqual([]);
      await env.admin.unmount(engine);
    },
    TEST_MS,
  );
});
