// Crash safety of key rings on the fs keystore with a real process (design.md §1): a child rotates
// a key (and changes its state) or runs create/rotate/disable/purge cycles, and is SIGKILLed at
// random moments, several rounds on one directory. Afterwards the key must load consistently:
// every version the child saw made is there and opens its ciphertext, versions and states are
// contiguous, no record of the key is left behind a gap, and the key can be rotated (or created
// again, with whatever an interrupted purge left removed).
// Needs the build (`npm run build` runs before `npm test`): the child imports dist/.

import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { incarnationOf } from "../../internal/keys/ring-records.js";
import { connectFs } from "../../internal/keystore/fs/fs-store.js";
import { runAndKill } from "../helpers/crash.js";
import { serviceOn, type TestService } from "../helpers/key-service.js";

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, "ring-crash-child.mjs");
const BUILT = join(here, "..", "..", "dist", "internal", "keys", "key-service.js");
const ROUNDS = 6;
const ctx = Buffer.from("crash");

/** The key's files: `k` and its records, by kind and number. */
async function recordFiles(dir: string, name: string) {
  const files = (await readdir(dir)).filter((f) => f === name || f.startsWith(`${name}.`));
  const numbers = (kind: "v" | "s") =>
    files
      .filter((f) => f.startsWith(`${name}.${kind}`))
      .map((f) => Number(f.slice(name.length + 2)))
      .sort((a, b) => a - b);
  return { hasV1: files.includes(name), versions: numbers("v"), states: numbers("s") };
}

const run = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

describe("key ring crash safety (SIGKILL mid-rotate and mid-purge)", () => {
  let root = "";
  let service: TestService | undefined;
  beforeAll(async () => {
    if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run npm run build first`);
    root = await mkdtemp(join(tmpdir(), "keyfront-ring-crash-"));
  });
  afterEach(() => service?.close());
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("never loses or duplicates a version, and keeps versions and states contiguous", async () => {
    const dir = join(root, "rotate");
    const made = new Map<number, string>();
    let states = 0;
    let lastRound = 0; // the newest state of the last round (its "state <i>" lines count from 1)
    for (let round = 0; round < ROUNDS; round++) {
      const lines = await runAndKill(CHILD, [dir, "rotate", "k"], 50 + Math.random() * 400);
      lastRound = 0;
      for (const line of lines) {
        const [what, a, b] = line.split(" ");
        if (what === "ok") made.set(Number(a), b ?? "");
        if (what === "state") {
          states++;
          lastRound = Number(a);
        }
      }
    }
    expect(made.size).toBeGreaterThan(0);
    service = serviceOn(await connectFs({ path: dir }));
    const keys = service.keys;
    const desc = await keys.describe("k");
    for (const [version, ct] of made) {
      const opened = await keys.decryptVersioned("k", Buffer.from(ct, "base64"), ctx);
      expect(opened.version).toBe(version);
      expect(opened.plaintext.toString()).toBe(`payload-${version}`);
    }
    expect(desc.version).toBeGreaterThanOrEqual(Math.max(...made.keys()));
    // The newest state is the last one acknowledged, or the one after it that was being written.
    if (lastRound > 0) expect([lastRound, lastRound + 1]).toContain(desc.rotateMs);
    const files = await recordFiles(dir, "k");
    expect(files.versions).toEqual(run(2, desc.version));
    expect(files.states.length).toBeGreaterThanOrEqual(states);
    expect(files.states).toEqual(run(1, files.states.length));
    expect((await keys.rotate("k", "test")).version).toBe(desc.version + 1);
    expect((await readdir(dir)).filter((f) => f.startsWith(".tmp-"))).toEqual([]);
  });

  it("leaves either the whole key or only orphans that the next create removes", async () => {
    const dir = join(root, "purge");
    let cycles = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const lines = await runAndKill(CHILD, [dir, "purge", "p"], 50 + Math.random() * 400);
      cycles += lines.filter((l) => l.startsWith("cycle ")).length;
    }
    expect(cycles).toBeGreaterThan(0);
    service = serviceOn(await connectFs({ path: dir }));
    const keys = service.keys;
    const before = await recordFiles(dir, "p");
    if (before.hasV1) {
      // The key survived the crash: it loads, and whatever it had is usable.
      const desc = await keys.describe("p");
      expect(desc.versions.length).toBe(desc.version);
      await keys.setEnabled("p", true, "test");
      const dek = await keys.generate("p", ctx);
      expect(await keys.decrypt("p", dek.ciphertext, ctx)).toEqual(dek.plaintext);
      await keys.delete("p", "test");
    } else {
      // A purge stopped after version 1: only orphans, never a half key.
      await expect(keys.describe("p")).rejects.toThrow("key does not exist");
    }
    await keys.create("p", "test");
    const fresh = await keys.describe("p");
    expect(fresh).toMatchObject({ version: 1, enabled: true, minDecryptionVersion: 1 });
    const after = await recordFiles(dir, "p");
    expect(after).toEqual({ hasV1: true, versions: [], states: [] });
    const incarnation = incarnationOf(await readFile(join(dir, "p"), "utf8"));
    expect((await keys.rotate("p", "test")).version).toBe(2);
    const v2 = JSON.parse(await readFile(join(dir, "p.v2"), "utf8")) as { incarnation: string };
    expect(v2.incarnation).toBe(incarnation);
  });
});
