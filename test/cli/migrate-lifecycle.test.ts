// `keyfront migrate` of keys with a lifecycle (issue 10), fs → the Vault test server (K/V v2 and
// v1): a key rotated twice, a disabled one, one pending deletion and a plain one. The source is
// prepared by the key service itself on the fs keystore (as the server would); after the built
// CLI migrated it, every record (`<name>`, `<name>.vN`, `<name>.sK`) is in Vault byte for byte, and
// the real server on the target config decrypts a ciphertext of every version, refuses the
// disabled key and hides the pending one. A re-run with --merge finishes an interrupted copy
// record by record; a conflicting record stops a plain run with its name.

import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { connectFs } from "../../internal/keystore/fs/fs-store.js";
import { serviceOn } from "../helpers/key-service.js";
import { unique } from "../keystore/vault/vault-admin.js";
import { kf } from "./cli-helpers.js";
import {
  expectStored,
  putRaw,
  useMigrateEnv,
  type VaultSide,
  withServerOn,
  writeConfig,
} from "./migrate-vault-helpers.js";

const SLOW_CLI_MS = 50_000;
const TEST_MS = 90_000;
const WEEK_MS = 7 * 86_400_000;
const BY = "f".repeat(64);

const env = useMigrateEnv({}, "keyfront-migrate-lifecycle-");

interface Sealed {
  version: number;
  plaintext: string;
  ciphertext: string;
  context: string;
}

/** The source keystore: rot (3 versions), off (disabled), gone (pending deletion), plain. */
async function fillSource(dir: string): Promise<Sealed[]> {
  const store = await connectFs({ path: dir });
  const svc = serviceOn(store, { deletion: { windowMs: WEEK_MS, decrypt: "deny" } });
  svc.clock.now = Date.now();
  const sealed: Sealed[] = [];
  const seal = async (name: string) => {
    const plaintext = randomBytes(32);
    const context = randomBytes(8);
    const r = await svc.keys.encrypt(name, plaintext, context);
    return {
      version: r.version,
      plaintext: plaintext.toString("base64"),
      ciphertext: r.ciphertext.toString("base64"),
      context: context.toString("base64"),
    };
  };
  try {
    for (const name of ["rot", "off", "gone", "plain"]) await svc.keys.create(name, BY);
    sealed.push(await seal("rot"));
    for (let i = 0; i < 2; i++) {
      await svc.keys.rotate("rot", BY);
      sealed.push(await seal("rot"));
    }
    await svc.keys.rotate("off", BY);
    await svc.keys.setEnabled("off", false, BY);
    await svc.keys.rotate("gone", BY);
    await svc.keys.delete("gone", BY);
  } finally {
    svc.close();
    await store.close();
  }
  expect(sealed.map((s) => s.version)).toEqual([1, 2, 3]);
  return sealed;
}

/** Every file of the fs keystore by name: the keys and their records, as stored. */
async function storedFiles(dir: string): Promise<Map<string, string>> {
  const all = new Map<string, string>();
  for (const name of (await readdir(dir)).sort())
    all.set(name, await readFile(join(dir, name), "utf8"));
  return all;
}

async function migrate(from: string, to: string, ...more: string[]) {
  return kf(["migrate", "--from", from, "--to", to, ...more], {}, undefined, SLOW_CLI_MS);
}

async function setUp(version: "v1" | "v2") {
  const src = join(env.dir, "src");
  await mkdir(src, { mode: 0o700 });
  const sealed = await fillSource(src);
  const want = await storedFiles(src);
  const engine = unique("kv");
  await env.admin.mountKv(engine, version);
  const target: VaultSide = {
    addr: env.vault.addr,
    token: env.vault.rootToken,
    engine,
    version,
    prefix: "kf",
  };
  const from = await writeConfig(env.dir, env.f, "from", { fs: src });
  const to = await writeConfig(env.dir, env.f, "to", target);
  return { sealed, want, target, from, to };
}

describe.each(["v2", "v1"] as const)("migrate fs → Vault K/V %s with key lifecycles", (version) => {
  it(
    "copies every version and state; the target serves every version and keeps the states",
    async () => {
      const { sealed, want, target, from, to } = await setUp(version);
      const records = [...want.keys()].filter((n) => n.includes("."));
      expect(records).toEqual(
        expect.arrayContaining(["rot.v2", "rot.v3", "off.v2", "off.s1", "gone.v2", "gone.s1"]),
      );

      const r = await migrate(from, to, "--json");
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({
        matched: 4,
        migrated: 4,
        skipped: 0,
        replaced: 0,
        records: records.length,
      });
      await expectStored(env.admin, target, want);

      await withServerOn(env.f, to, async (s) => {
        const admin = env.f.clients.admin;
        for (const d of sealed) {
          const body = JSON.stringify({ ciphertext: d.ciphertext, context: d.context });
          const dec = await s.request(admin, "POST", "/v1/key/decrypt/rot", body);
          expect(
            [dec.status, (dec.json() as { plaintext?: string }).plaintext],
            `v${d.version}`,
          ).toEqual([200, d.plaintext]);
        }
        const gen = await s.request(admin, "POST", "/v1/key/generate/rot", "{}");
        expect(gen.status, gen.body).toBe(200);
        expect((gen.json() as { version?: string }).version).toBe("3");
        const off = await s.request(admin, "POST", "/v1/key/generate/off", "{}");
        expect([off.status, off.json()]).toEqual([409, { message: "key is disabled" }]);
        const gone = await s.request(admin, "POST", "/v1/key/generate/gone", "{}");
        expect([gone.status, gone.json()]).toEqual([404, { message: "key does not exist" }]);
        expect(gone.headers["x-keyfront-detail"]).toMatch(/^key is pending deletion until \d{4}-/);
        expect((await s.request(admin, "POST", "/v1/key/generate/plain", "{}")).status).toBe(200);
        const list = await s.request(admin, "GET", "/v1/key/list/");
        expect((list.json() as { names: string[] }).names.sort()).toEqual([
          "gone",
          "off",
          "plain",
          "rot",
        ]);
      });

      const again = await migrate(from, to, "--merge", "--json");
      expect(JSON.parse(again.stdout)).toEqual({
        matched: 4,
        migrated: 0,
        skipped: 4,
        replaced: 0,
        records: 0,
      });
      expect(again.stderr).not.toMatch(/different value/);
    },
    TEST_MS,
  );
});

describe("migrate with lifecycle records already in the target", () => {
  it(
    "--merge finishes an interrupted copy record by record; a conflicting record stops a plain run",
    async () => {
      const { want, target, from, to } = await setUp("v2");
      // An interrupted earlier run: rot's v2 was copied, rot itself (written last) was not.
      await putRaw(env.admin, target, "rot.v2", want.get("rot.v2") as string);
      const resumed = await migrate(from, to, "--merge", "--json");
      expect(resumed.code, resumed.stderr).toBe(0);
      const records = [...want.keys()].filter((n) => n.includes(".")).length;
      expect(JSON.parse(resumed.stdout)).toEqual({
        matched: 4,
        migrated: 4,
        skipped: 0,
        replaced: 0,
        records: records - 1,
      });
      await expectStored(env.admin, target, want);

      const engine = unique("kv");
      await env.admin.mountKv(engine, "v2");
      const clash: VaultSide = { ...target, engine };
      await putRaw(env.admin, clash, "rot.v3", "not the source's record");
      const clashConfig = await writeConfig(env.dir, env.f, "clash", clash);
      const stopped = await migrate(from, clashConfig);
      expect(stopped.code).toBe(1);
      expect(stopped.stderr.trimEnd().split("\n").at(-1)).toMatch(
        /^keyfront: record 'rot\.v3' already exists in the target with a different value: use --merge to skip it or --force to replace it \(migrated 3 keys/,
      );
    },
    TEST_MS,
  );
});
