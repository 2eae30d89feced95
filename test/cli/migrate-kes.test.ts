// `keyfront migrate` of keystores KES wrote (kes-api.md §7.8, §8.2, §8.3): keys in every stored
// encoding KES used (the protobuf of HEAD, with and without created_at; JSON of v0.19; JSON of
// ≤ v0.18) put into Vault K/V v1 and v2 in KES's layout (one field named after the key, under
// engine/prefix) and into a KES fs directory (one 0600 file per key). Each is migrated with the
// built CLI; the stored values arrive byte for byte, and the real server on the target config
// decrypts the KES ciphertexts of every era (raw, msgpack, JSON) with every key.

import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { unique } from "../keystore/vault/vault-admin.js";
import { KES_VECTORS } from "../vectors/kes-vectors.js";
import { kf } from "./cli-helpers.js";
import {
  expectOnlyPlainHttpWarnings,
  expectStored,
  putRaw,
  type Side,
  serveConfig,
  useMigrateEnv,
  type VaultSide,
  writeConfig,
} from "./migrate-vault-helpers.js";

const VECTORS = KES_VECTORS;

/** The KES keys by name: `kes-<i>` holds key_values[i] as KES stored it. */
const KES_KEYS = new Map(VECTORS.key_values.map((v, i) => [`kes-${i}`, v.value]));

const TEST_MS = 60_000;

const env = useMigrateEnv({}, "keyfront-migrate-kes-");

async function vaultSide(version: "v1" | "v2", prefix?: string): Promise<VaultSide> {
  const engine = unique(`kv${version}`);
  await env.admin.mountKv(engine, version);
  return {
    addr: env.vault.addr,
    token: env.vault.rootToken,
    engine,
    version,
    ...(prefix ? { prefix } : {}),
  };
}

/** What KES left behind: every vector key in the side, in KES's own layout. */
async function writeAsKes(side: Side): Promise<void> {
  for (const [name, value] of KES_KEYS) {
    if ("fs" in side) await writeFile(join(side.fs, name), value, { mode: 0o600 });
    else await putRaw(env.admin, side, name, value);
  }
}

async function expectArrived(side: Side): Promise<void> {
  if (!("fs" in side)) return expectStored(env.admin, side, KES_KEYS);
  expect((await readdir(side.fs)).sort()).toEqual([...KES_KEYS.keys()].sort());
  for (const [name, value] of KES_KEYS)
    expect(await readFile(join(side.fs, name), "utf8")).toBe(value);
}

/** Every KES ciphertext decrypts, through the server on `config`, with every key that fits. */
async function expectKesCiphertextsDecrypt(config: string): Promise<void> {
  const s = await serveConfig(env.f, config);
  try {
    let checked = 0;
    const used = new Set<number>();
    for (const c of VECTORS.legacy_ciphertexts) {
      for (const [i, v] of VECTORS.key_values.entries()) {
        if (v.want.key !== c.key || v.want.algorithm !== c.algorithm) continue;
        const body = JSON.stringify({
          ciphertext: c.ciphertext,
          context: Buffer.from(c.context, "hex").toString("base64"),
        });
        const res = await s.request(env.f.clients.admin, "POST", `/v1/key/decrypt/kes-${i}`, body);
        expect([res.status, res.json()], `${c.format} with ${v.era}`).toEqual([
          200,
          { plaintext: Buffer.from(c.plaintext, "hex").toString("base64") },
        ]);
        checked++;
        used.add(i);
      }
    }
    // Every ciphertext met at least one key, and every key was used.
    expect(checked).toBeGreaterThanOrEqual(VECTORS.legacy_ciphertexts.length);
    expect(used.size).toBe(VECTORS.key_values.length);
  } finally {
    await s.stop();
  }
}

const ROUTES: [string, () => Promise<Side>, () => Promise<Side>][] = [
  ["KES Vault K/V v1 → Vault K/V v2", () => vaultSide("v1", "kes/keys"), () => vaultSide("v2")],
  [
    "KES Vault K/V v2 → fs",
    () => vaultSide("v2", "kes"),
    async () => ({ fs: join(env.dir, "dst") }),
  ],
  [
    "KES fs → Vault K/V v1",
    async () => {
      await mkdir(join(env.dir, "src"), { mode: 0o700 });
      return { fs: join(env.dir, "src") };
    },
    () => vaultSide("v1", "keyfront"),
  ],
];

it.each(ROUTES)(
  "%s: every stored encoding arrives intact and decrypts KES ciphertexts",
  async (_label, makeSource, makeTarget) => {
    const source = await makeSource();
    await writeAsKes(source);
    const from = await writeConfig(env.dir, env.f, "from", source);
    const target = await makeTarget();
    const to = await writeConfig(env.dir, env.f, "to", target);

    const r = await kf(["migrate", "--from", from, "--to", to, "--json"], {}, undefined, 50_000);
    expect(r.code, r.stderr).toBe(0);
    expectOnlyPlainHttpWarnings(r.stderr);
    expect(JSON.parse(r.stdout)).toEqual({
      matched: KES_KEYS.size,
      migrated: KES_KEYS.size,
      skipped: 0,
      replaced: 0,
      records: 0,
    });
    await expectArrived(target);
    await expectKesCiphertextsDecrypt(to);
  },
  TEST_MS,
);
