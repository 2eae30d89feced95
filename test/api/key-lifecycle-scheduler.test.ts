// Key lifecycle end to end (issue 10) on the fs keystore, continued from key-lifecycle.test.ts:
// the scheduler (a `keys[].rotate` period, purge once the deletion window ends) and
// `keystore.deletion.window: 0`, KES's immediate delete, with a reload that sets a window.

import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../helpers/server.js";
import { type Fixture, makeFixture } from "./fixture.js";
import { Api, expectError, lifecycleYaml, PENDING, serveFs } from "./key-lifecycle-helpers.js";

let f: Fixture;
beforeAll(() => {
  f = makeFixture();
});
const serve = (dir: string, extraKeystore = "", extra = "") =>
  serveFs(f, dir, extraKeystore, extra);

describe("the scheduler and the deletion settings", () => {
  let dir: string;
  let t: RunningServer;
  let api: Api;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "kf-lifecycle-short-"));
    t = await serve(
      dir,
      "  deletion:\n    window: 2s\n",
      "keys:\n  - name: sched\n    rotate: 2s\n",
    );
    api = new Api(t, f.clients.admin);
  }, 30_000);
  afterAll(async () => {
    await t?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("rotates a key whose `keys[].rotate` period has passed, by itself", async () => {
    let latest = 1;
    for (let i = 0; i < 300 && latest < 3; i++) {
      latest = (await api.ok("GET", "/v1/key/versions/sched")).latest as number;
      if (latest < 3) await new Promise((r) => setTimeout(r, 100));
    }
    expect(latest).toBeGreaterThanOrEqual(3);
    const v = (await api.ok("GET", "/v1/key/versions/sched")).versions as { created_by?: string }[];
    expect(v.length).toBeGreaterThanOrEqual(3);
    expect(t.stderr()).toMatch(/key scheduler: rotated key 'sched' to version 2/);
  });

  it("a pending key is purged by the scheduler once the window ends", async () => {
    await api.ok("POST", "/v1/key/create/brief");
    await api.rotate("brief");
    const dek = await api.generate("brief");
    await api.ok("DELETE", "/v1/key/delete/brief");
    expectError(
      await api.call("POST", "/v1/key/generate/brief", {}),
      404,
      "key does not exist",
      PENDING,
    );
    let files = ["brief"];
    for (let i = 0; i < 300 && files.length > 0; i++) {
      files = (await readdir(dir)).filter((n) => n === "brief" || n.startsWith("brief."));
      if (files.length > 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(files).toEqual([]);
    const after = await api.decrypt("brief", dek.ciphertext);
    expect([after.status, after.body.message, after.detail]).toEqual([
      404,
      "key does not exist",
      undefined,
    ]);
    expect(t.stderr()).toMatch(/key scheduler: purged key 'brief'/);
  });
});

describe("keystore.deletion.window: 0 (KES)", () => {
  it("delete purges every version at once; the name starts over; a reload sets a window", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kf-lifecycle-kes-"));
    const t = await serve(dir);
    try {
      const api = new Api(t, f.clients.admin);
      await api.ok("POST", "/v1/key/create/k");
      await api.rotate("k");
      await api.rotate("k");
      expect((await readdir(dir)).sort()).toEqual(["k", "k.v2", "k.v3"]);
      await api.ok("DELETE", "/v1/key/delete/k");
      expect(await readdir(dir)).toEqual([]);
      expectError(await api.call("GET", "/v1/key/describe/k"), 404, "key does not exist");
      await api.ok("POST", "/v1/key/create/k");
      expect((await api.ok("GET", "/v1/key/versions/k")).latest).toBe(1);
      // a reload applies a new deletion window: the next delete leaves the key pending
      const yaml = lifecycleYaml(f, `  fs:\n    path: ${dir}\n  deletion:\n    window: 1h\n`);
      await writeFile(join(t.dir, "config.yaml"), yaml.replaceAll("${DIR}", t.dir));
      t.proc.kill("SIGHUP");
      for (let i = 0; i < 400 && !t.stderr().includes("configuration reloaded"); i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(t.stderr()).toContain("configuration reloaded");
      await api.ok("DELETE", "/v1/key/delete/k");
      expectError(await api.call("GET", "/v1/key/describe/k"), 404, "key does not exist", PENDING);
      expect(await readdir(dir)).toContain("k");
    } finally {
      await t.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
