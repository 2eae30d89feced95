// Interrupted `keyfront migrate` runs into Vault, finished by re-running with --merge: a target
// whose policy refuses one key part-way, then a write Vault acknowledges but loses (the test
// server's lose_writes fault), each failing the run in one line that says how to finish; and a run
// killed with SIGKILL in the middle of a large K/V v1 → v2 migration. Every run ends with every
// key byte-identical to the source, and the real server on the target config decrypts a DEK made
// on the source before the migration.

import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { tenantPolicy, unique } from "../keystore/vault/vault-admin.js";
import { kf, spawnKf, waitFor } from "./cli-helpers.js";
import {
  dekOn,
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

const SLOW_CLI_MS = 50_000;
const TEST_MS = 90_000;

const env = useMigrateEnv({}, "keyfront-migrate-resume-");

const migrate = (from: string, to: string, ...more: string[]) =>
  kf(["migrate", "--from", from, "--to", to, ...more], {}, undefined, SLOW_CLI_MS);

/** The last stderr line: the run's failure (earlier lines may be plain-http warnings). */
const lastLine = (stderr: string) => stderr.trimEnd().split("\n").at(-1) ?? "";

it(
  "a target refusing one key part-way, then losing a write: each run fails in one line, --merge finishes",
  async () => {
    const src = join(env.dir, "src");
    await mkdir(src, { mode: 0o700 });
    const from = await writeConfig(env.dir, env.f, "from", { fs: src });
    const dek = await dekOn(env.f, from, "app-key");
    const bulk = freshValues("bulk", 40);
    for (const [name, value] of bulk) await writeFile(join(src, name), value, { mode: 0o600 });
    const want = new Map(bulk).set("app-key", await readFile(join(src, "app-key"), "utf8"));

    const engine = unique("kv");
    await env.admin.mountKv(engine, "v2");
    const policy = unique("migrate");
    const allowed = tenantPolicy(engine, "v2", "keyfront");
    // An operator's mistake: one key's path is denied to keyfront's token.
    await env.admin.putPolicy(
      policy,
      `${allowed}\npath "${engine}/data/keyfront/bulk-00020" { capabilities = ["deny"] }`,
    );
    const token = await env.admin.createToken({ policies: [policy], ttl: "10m" });
    const target: VaultSide = {
      addr: env.vault.addr,
      token,
      engine,
      version: "v2",
      prefix: "keyfront",
    };
    const to = await writeConfig(env.dir, env.f, "to", target);

    // Sorted order: app-key, bulk-00000 … bulk-00019 are copied; bulk-00020 cannot even be read.
    const denied = await migrate(from, to);
    expect(denied.code).toBe(1);
    expect(lastLine(denied.stderr)).toMatch(
      /^keyfront: migration failed: vault: failed to read 'bulk-00020': .*permission denied.* \(migrated 21 keys, skipped 0 existing, replaced 0 \(22 matched\)\); re-run with --merge to finish$/,
    );
    expect(await listRaw(env.admin, target)).toHaveLength(21);

    await env.admin.putPolicy(policy, allowed);
    env.vault.faults.loseNextWrites(1);
    const lost = await migrate(from, to, "--merge");
    expect(lost.code).toBe(1);
    expect(lastLine(lost.stderr)).toMatch(
      /^keyfront: migration failed: vault: create of 'bulk-00020' is not confirmed: .* \(migrated 0 keys, skipped 21 existing, replaced 0 \(22 matched\)\); re-run with --merge to finish$/,
    );
    expect(await listRaw(env.admin, target)).toHaveLength(21);

    const done = await migrate(from, to, "--merge", "--json");
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toEqual({
      matched: 41,
      migrated: 20,
      skipped: 21,
      replaced: 0,
      records: 0,
    });
    expect(done.stderr).not.toContain(token);
    await expectStored(env.admin, target, want);
    await servesOn(env.f, to, "app-key", dek);
    await env.admin.unmount(engine);
    await env.admin.deletePolicy(policy);
  },
  TEST_MS,
);

it(
  "a K/V v1 → v2 run killed (SIGKILL) mid-way is finished by re-running with --merge",
  async () => {
    const [v1, v2] = [unique("kv1"), unique("kv2")];
    await env.admin.mountKv(v1, "v1");
    await env.admin.mountKv(v2, "v2");
    const base = { addr: env.vault.addr, token: env.vault.rootToken };
    const source: VaultSide = { ...base, engine: v1, version: "v1", prefix: "kes" };
    const target: VaultSide = { ...base, engine: v2, version: "v2", prefix: "kes" };
    const from = await writeConfig(env.dir, env.f, "from", source);
    const to = await writeConfig(env.dir, env.f, "to", target);
    const dek = await dekOn(env.f, from, "app-key");
    for (const [name, value] of freshValues("bulk", 200))
      await putRaw(env.admin, source, name, value);
    const want = await readAll(env.admin, source);
    expect(want.size).toBe(201);

    env.vault.resetRequestCount();
    const run = spawnKf(["migrate", "--from", from, "--to", to]);
    // Killed once it has written some keys: each copy is a write and a read-back under v2/data.
    await waitFor(() => env.vault.requestCount(`${v2}/data/`) >= 40 || run.proc.exitCode !== null);
    run.proc.kill("SIGKILL");
    await run.exited;
    const copied = (await listRaw(env.admin, target)).length;
    expect(copied).toBeGreaterThan(0);
    expect(copied).toBeLessThan(201);

    const resumed = await migrate(from, to, "--merge", "--json");
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toEqual({
      matched: 201,
      migrated: 201 - copied,
      skipped: copied,
      replaced: 0,
      records: 0,
    });
    expect(resumed.stderr).not.toMatch(/different value/);
    await expectStored(env.admin, target, want);
    await servesOn(env.f, to, "app-key", dek);
    await env.admin.unmount(v1);
    await env.admin.unmount(v2);
  },
  TEST_MS,
);
