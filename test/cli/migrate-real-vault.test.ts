// `keyfront migrate` on a real Vault or OpenBao (VAULT_ADDR + a root-capable VAULT_TOKEN; skipped
// loudly without them), with the built CLI: fs → Vault K/V v2 under a prefix, and K/V v1 → K/V v2
// between two mounts. Before each migration the real server on the source config makes a DEK;
// after it every stored value is compared byte for byte in Vault, and the real server on the
// target config decrypts that DEK. The figures (keys, seconds) are printed.

import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeFixture } from "../api/fixture.js";
import {
  REAL_VAULT,
  unique,
  VaultAdmin,
  warnIfNoRealVault,
} from "../keystore/vault/vault-admin.js";
import { kf } from "./cli-helpers.js";
import {
  dekOn,
  expectStored,
  freshValues,
  putRaw,
  readAll,
  servesOn,
  type VaultSide,
  writeConfig,
} from "./migrate-vault-helpers.js";

warnIfNoRealVault("migrate-real-vault.test.ts");

const BULK = 200;
const CLI_MS = 120_000;
const TEST_MS = 180_000;
const f = makeFixture();
const admin = () => new VaultAdmin(REAL_VAULT?.addr ?? "", REAL_VAULT?.token ?? "");
const mounts: string[] = [];
const figures: string[] = [];
let dir = "";

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "keyfront-migrate-real-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterAll(async () => {
  for (const m of mounts.splice(0)) await admin().unmount(m);
  if (figures.length > 0) console.log(figures.join("\n"));
});

const side = (engine: string, version: "v1" | "v2", prefix: string): VaultSide => ({
  addr: REAL_VAULT?.addr ?? "",
  token: REAL_VAULT?.token ?? "",
  engine,
  version,
  prefix,
});

async function mount(version: "v1" | "v2"): Promise<string> {
  const engine = unique(`kv${version.slice(1)}`);
  await admin().mountKv(engine, version);
  mounts.push(engine);
  return engine;
}

async function migrated(label: string, from: string, to: string, count: number) {
  const started = performance.now();
  const r = await kf(["migrate", "--from", from, "--to", to, "--json"], {}, undefined, CLI_MS);
  const seconds = (performance.now() - started) / 1000;
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).not.toContain(REAL_VAULT?.token ?? "");
  expect(JSON.parse(r.stdout)).toEqual({
    matched: count,
    migrated: count,
    skipped: 0,
    replaced: 0,
    records: 0, // keys never rotated: no version or state records
  });
  figures.push(`migrate ${label}: ${count} keys in ${seconds.toFixed(2)} s`);
}

describe.skipIf(!REAL_VAULT)("keyfront migrate on a real Vault", () => {
  it(
    "fs → Vault K/V v2 under a prefix",
    async () => {
      const src = join(dir, "src");
      await mkdir(src, { mode: 0o700 });
      const from = await writeConfig(dir, f, "from", { fs: src });
      const dek = await dekOn(f, from, "app-key");
      const bulk = freshValues("bulk", BULK);
      for (const [name, value] of bulk) await writeFile(join(src, name), value, { mode: 0o600 });
      const target = side(await mount("v2"), "v2", "keyfront/prod");
      const to = await writeConfig(dir, f, "to", target);

      await migrated("fs → Vault K/V v2", from, to, BULK + 1);
      const want = new Map(bulk).set("app-key", await readFile(join(src, "app-key"), "utf8"));
      await expectStored(admin(), target, want);
      await servesOn(f, to, "app-key", dek);
    },
    TEST_MS,
  );

  it(
    "Vault K/V v1 mount → K/V v2 mount",
    async () => {
      const source = side(await mount("v1"), "v1", "keys");
      const from = await writeConfig(dir, f, "from", source);
      const dek = await dekOn(f, from, "app-key");
      for (const [name, value] of freshValues("bulk", BULK))
        await putRaw(admin(), source, name, value);
      const target = side(await mount("v2"), "v2", "keys");
      const to = await writeConfig(dir, f, "to", target);

      await migrated("Vault K/V v1 → v2", from, to, BULK + 1);
      await expectStored(admin(), target, await readAll(admin(), source));
      await servesOn(f, to, "app-key", dek);
    },
    TEST_MS,
  );
});
