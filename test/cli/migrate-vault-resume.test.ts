// Interrupted `keyfront migrate` runs into Vault, finished by re-running with --merge: a target
// whose policy refuses one key part-way, then a write Vault acknowledges but loses (the test
// server's lose_writes fault), each failing the run in one line that says how to finish; and a run
// killed with SIGKILL in the middle of a large K/V v1 → v2 migration. Every run ends with every
// key byte-identical to the source, and the real server on the target config decrypts a DEK made
// on the source before the migration.

import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { type Fixture, makeFixture } from "../api/fixture.js";
import { tenantPolicy, unique, VaultAdmin } from "../keystore/vault/vault-admin.js";
import { startVaultTestServer } from "../vault-server/server.js";
import { kf, spawnKf, waitFor } from "./cli-helpers.js";
import {
  createWithDek,
  type Dek,
  expectServes,
  expectStored,
  freshValues,
  listRaw,
  putRaw,
  readAll,
  serveConfig,
  type VaultSide,
  writeConfig,
} from "./migrate-vault-helpers.js";

const SLOW_CLI_MS = 50_000;
const TEST_MS = 90_000;

type TestServer = Awaited<ReturnType<typeof startVaultTestServer>>;
let vault: TestServer;
let admin: VaultAdmin;
let f: Fixture;
let dir: string;

beforeAll(async () => {
  vault = await startVaultTestServer({});
  admin = new VaultAdmin(vault.addr, vault.rootToken);
  f = makeFixture();
});
afterAll(async () => {
  await vault?.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "keyfront-migrate-resume-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function dekOn(config: string, name: string): Promise<Dek> {
  const s = await serveConfig(f, config);
  try {
    return await createWithDek(s, f, name);
  } finally {
    await s.stop();
  }
}

async function servesOn(config: string, name: string, dek: Dek): Promise<void> {
  const s = await serveConfig(f, config);
  try {
    await expectServes(s, f, name, dek);
  } finally {
    await s.stop();
  }
}

const migrate = (from: string, to: string, ...more: string[]) =>
  kf(["migrate", "--from", from, "--to", to, ...more], {}, undefined, SLOW_CLI_MS);

/** The last stderr line: the run's failure (earlier lines may be plain-http warnings). */
const lastLine = (stderr: string) => stderr.trimEnd().split("\n").at(-1) ?? "";

it(
  "a target refusing one key part-way, then losing a write: each run fails in one line, --merge finishes",
  async () => {
    const src = join(dir, "src");
    await mkdir(src, { mode: 0o700 });
    const from = await writeConfig(dir, f, "from", { fs: src });
    const dek = await dekOn(from, "app-key");
    const bulk = freshValues("bulk", 40);
    for (const [name, value] of bulk) await writeFile(join(src, name), value, { mode: 0o600 });
    const want = new Map(bulk).set("app-key", await readFile(join(src, "app-key"), "utf8"));

    const engine = unique("kv");
    await admin.mountKv(engine, "v2");
    const policy = unique("migrate");
    const allowed = tenantPolicy(engine, "v2", "keyfront");
    // An operator's mistake: one key's path is denied to keyfront's token.
    await admin.putPolicy(
      policy,
      `${allowed}\npath "${engine}/data/keyfront/bulk-00020" { capabilities = ["deny"] }`,
    );
    const token = await admin.createToken({ policies: [policy], ttl: "10m" });
    const target: VaultSide = {
      addr: vault.addr,
      token,
      engine,
      version: "v2",
      prefix: "keyfront",
    };
    const to = await writeConfig(dir, f, "to", target);

    // Sorted order: app-key, bulk-00000 … bulk-00019 are copied; bulk-00020 cannot even be read.
    const denied = await migrate(from, to);
    expect(denied.code).toBe(1);
    expect(lastLine(denied.stderr)).toMatch(
      /^keyfront: migration failed: vault: failed to read 'bulk-00020': .*permission denied.* \(migrated 21 keys, skipped 0 existing, replaced 0 \(22 matched\)\); re-run with --merge to finish$/,
    );
    expect(await listRaw(admin, target)).toHaveLength(21);

    await admin.putPolicy(policy, allowed);
    vault.faults.loseNextWrites(1);
    const lost = await migrate(from, to, "--merge");
    expect(lost.code).toBe(1);
    expect(lastLine(lost.stderr)).toMatch(
      /^keyfront: migration failed: vault: create of 'bulk-00020' is not confirmed: .* \(migrated 0 keys, skipped 21 existing, replaced 0 \(22 matched\)\); re-run with --merge to finish$/,
    );
    expect(await listRaw(admin, target)).toHaveLength(21);

    const done = await migrate(from, to, "--merge", "--json");
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toEqual({
      matched: 41,
      migrated: 20,
      skipped: 21,
      replaced: 0,
    });
    expect(done.stderr).not.toContain(token);
    await expectStored(admin, target, want);
    await servesOn(to, "app-key", dek);
    await admin.unmount(engine);
    await admin.deletePolicy(policy);
  },
  TEST_MS,
);

it(
  "a K/V v1 → v2 run killed (SIGKILL) mid-way is finished by re-running with --merge",
  async () => {
    const [v1, v2] = [unique("kv1"), unique("kv2")];
    await admin.mountKv(v1, "v1");
    await admin.mountKv(v2, "v2");
    const base = { addr: vault.addr, token: vault.rootToken };
    const source: VaultSide = { ...base, engine: v1, version: "v1", prefix: "kes" };
    const target: VaultSide = { ...base, engine: v2, version: "v2", prefix: "kes" };
    const from = await writeConfig(dir, f, "from", source);
    const to = await writeConfig(dir, f, "to", target);
    const dek = await dekOn(from, "app-key");
    for (const [name, value] of freshValues("bulk", 200)) await putRaw(admin, source, name, value);
    const want = await readAll(admin, source);
    expect(want.size).toBe(201);

    vault.resetRequestCount();
    const run = spawnKf(["migrate", "--from", from, "--to", to]);
    // Killed once it has written some keys: each copy is a write and a read-back under v2/data.
    await waitFor(() => vault.requestCount(`${v2}/data/`) >= 40 || run.proc.exitCode !== null);
    run.proc.kill("SIGKILL");
    await run.exited;
    const copied = (await listRaw(admin, target)).length;
    expect(copied).toBeGreaterThan(0);
    expect(copied).toBeLessThan(201);

    const resumed = await migrate(from, to, "--merge", "--json");
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toEqual({
      matched: 201,
      migrated: 201 - copied,
      skipped: copied,
      replaced: 0,
    });
    expect(resumed.stderr).not.toMatch(/different value/);
    await expectStored(admin, target, want);
    await servesOn(to, "app-key", dek);
    await admin.unmount(v1);
    await admin.unmount(v2);
  },
  TEST_MS,
);
