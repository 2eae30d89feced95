// Crash safety of the fs keystore with a real process: a child creates large, self-verifying keys
// and is SIGKILLed at random moments, several rounds on one directory. Afterwards every visible
// key must be complete and intact, every create the child saw succeed must be visible, no temp
// file may be listed or survive reopening, and create-only must still hold.
// Needs the build (`npm run build` runs before `npm test`): the child imports dist/.

import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyExistsError } from "../../internal/errors.js";
import { connectFs } from "../../internal/keystore/fs/fs-store.js";
import type { KeyStore } from "../../internal/keystore/keystore.js";
import { runAndKill } from "../helpers/crash.js";

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, "fs-crash-child.mjs");
const BUILT_STORE = join(here, "..", "..", "dist", "internal", "keystore", "fs", "fs-store.js");
const ROUNDS = 6;

describe("fs keystore crash safety (SIGKILL mid-create)", () => {
  let root = "";
  beforeAll(async () => {
    if (!existsSync(BUILT_STORE)) {
      throw new Error(`${BUILT_STORE} is missing: run npm run build before this test`);
    }
    root = await mkdtemp(join(tmpdir(), "keyfront-crash-"));
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("never exposes a partial key and never loses an acknowledged one", async () => {
    const dir = join(root, "keys");
    const acknowledged = new Set<string>();
    for (let round = 0; round < ROUNDS; round++) {
      const lines = await runAndKill(CHILD, [dir, `r${round}`], 20 + Math.random() * 400);
      for (const line of lines) if (line.startsWith("ok ")) acknowledged.add(line.slice(3));
    }
    const store = await connectFs({ path: dir });
    const names = await listAll(store);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      expect(name).toMatch(/^r\d+-\d+$/);
      checkValue(name, await store.get(name));
    }
    for (const name of acknowledged) expect(names).toContain(name);
    expect((await readdir(dir)).filter((f) => f.startsWith(".tmp-"))).toEqual([]);
    const existing = names[0] ?? "";
    await expect(store.create(existing, "overwrite?")).rejects.toBeInstanceOf(KeyExistsError);
    checkValue(existing, await store.get(existing));
  });
});

/** Checks `value = name ":" sha256hex(name ":" padding) ":" padding`. */
function checkValue(name: string, value: string): void {
  const head = `${name}:`;
  expect(value.startsWith(head), `value of ${name} belongs to it`).toBe(true);
  const digest = value.slice(head.length, head.length + 64);
  const padding = value.slice(head.length + 65);
  expect(value.charAt(head.length + 64)).toBe(":");
  expect(padding.length).toBeGreaterThanOrEqual(200_000);
  const want = createHash("sha256").update(`${name}:${padding}`).digest("hex");
  expect(digest, `value of ${name} is complete`).toBe(want);
}

async function listAll(store: KeyStore): Promise<string[]> {
  const names: string[] = [];
  let startAt = "";
  do {
    const page = await store.list("", startAt, 0);
    names.push(...page.names);
    startAt = page.continueAt;
  } while (startAt !== "");
  return names;
}
