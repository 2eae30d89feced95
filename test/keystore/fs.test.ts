// Runs the keystore conformance suite against the fs store, plus the fs-specific contract:
// defensive name checks, read cap, listing filters, temp-file cleanup and file modes.

import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KeyNotFoundError, KeystoreUnreachableError } from "../../internal/errors.js";
import { makeTempName } from "../../internal/keystore/fs/fs-io.js";
import { connectFs } from "../../internal/keystore/fs/fs-store.js";
import { MAX_KEY_VALUE_BYTES } from "../../internal/limits.js";
import { describeKeyStoreConformance } from "./conformance.js";

describeKeyStoreConformance("fs", async () => {
  const dir = await mkdtemp(join(tmpdir(), "keyfront-fs-"));
  const store = await connectFs({ path: join(dir, "keys") });
  return {
    store,
    cleanup: () => rm(dir, { recursive: true, force: true }),
    twin: () => connectFs({ path: join(dir, "keys") }),
  };
});

describe("fs keystore specifics", () => {
  let root = "";
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "keyfront-fs-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("creates a missing directory (with parents) with mode 0700 and key files with 0600", async () => {
    const dir = join(root, "a", "b", "keys");
    const store = await connectFs({ path: dir });
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    await store.create("k", "v");
    expect((await stat(join(dir, "k"))).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(["k"]);
  });

  it("rejects names that could escape the directory or hit a temp file", async () => {
    const store = await connectFs({ path: join(root, "keys") });
    await writeFile(join(root, "outside"), "secret");
    for (const name of ["", ".", "..", "../outside", "a/b", "a\\b", ".tmp-x", "a.b", "a\0b"]) {
      await expect(store.create(name, "v"), name).rejects.toThrow(/invalid key name/);
      await expect(store.get(name), name).rejects.toThrow(/invalid key name/);
      await expect(store.delete(name), name).rejects.toThrow(/invalid key name/);
    }
    expect(await readdir(join(root, "keys"))).toEqual([]);
  });

  it("refuses to write or read a value over the read cap, without crashing", async () => {
    const dir = join(root, "keys");
    const store = await connectFs({ path: dir });
    const big = "x".repeat(MAX_KEY_VALUE_BYTES + 1);
    await expect(store.create("big", big)).rejects.toThrow(/exceeds read cap/);
    await expect(store.get("big")).rejects.toBeInstanceOf(KeyNotFoundError);
    await writeFile(join(dir, "big"), big);
    const err = await store.get("big").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(KeyNotFoundError);
    expect(String((err as Error).message)).not.toContain("xxxx");
    const exact = "y".repeat(MAX_KEY_VALUE_BYTES);
    await store.create("exact", exact);
    expect(await store.get("exact")).toBe(exact);
  });

  it("reads values of any size whole, across the first read's 4 KiB and each growth", async () => {
    const dir = join(root, "keys");
    const store = await connectFs({ path: dir });
    for (const size of [0, 1, 4095, 4096, 4097, 16_383, 16_384, 16_385, 70_000]) {
      const value = "abcdefghijklmnopqrstuvwxyz".repeat(Math.ceil(size / 26)).slice(0, size);
      await store.create(`size-${size}`, value);
      expect(await store.get(`size-${size}`), `${size} bytes`).toBe(value);
      expect(await store.find?.(`size-${size}`), `${size} bytes`).toBe(value);
    }
  });

  it("fails, never answers 'absent', when a key's name is a directory", async () => {
    const dir = join(root, "keys");
    const store = await connectFs({ path: dir });
    await mkdir(join(dir, "adir"));
    await expect(store.get("adir")).rejects.toThrow(/failed to read key 'adir'/);
    await expect(store.find?.("adir")).rejects.toThrow(/failed to read key 'adir'/);
  });

  it("reports a vanished directory as unreachable on get, find and delete, never as a missing key", async () => {
    const dir = join(root, "keys");
    const store = await connectFs({ path: dir });
    await store.create("k", "v");
    await rm(dir, { recursive: true });
    await expect(store.get("k")).rejects.toBeInstanceOf(KeystoreUnreachableError);
    await expect(store.find?.("k")).rejects.toBeInstanceOf(KeystoreUnreachableError);
    await expect(store.find?.("k.v2")).rejects.toBeInstanceOf(KeystoreUnreachableError);
    await expect(store.delete("k")).rejects.toBeInstanceOf(KeystoreUnreachableError);
    // A file where the directory was: reads fail (ENOTDIR), still never "absent".
    await writeFile(dir, "not a directory");
    await expect(store.get("k")).rejects.not.toBeInstanceOf(KeyNotFoundError);
    await expect(store.find?.("k")).rejects.toThrow(/failed to read key 'k'/);
  });

  it("accepts exactly the record names of key versions and states, and lists neither", async () => {
    const dir = join(root, "keys");
    const store = await connectFs({ path: dir });
    const records = ["k.v2", "k.s1", "k.v10", "k.s1234567890", "_0.v2", `${"a".repeat(80)}.s7`];
    for (const name of records) await store.create(name, name);
    for (const name of records) expect(await store.get(name)).toBe(name);
    const refused = [
      "k.v0",
      "k.v02",
      "k.s",
      "k.x2",
      "k.V2",
      "k.v2.v3",
      ".v2",
      "-k.v2",
      "k-.v2",
      "_.v2",
      "k.v12345678901",
      `${"a".repeat(81)}.v2`,
      "../k.v2",
      "k/.v2",
      "k\\.v2",
      "k.v2\0",
      "k.v2 ",
    ];
    for (const name of refused) {
      await expect(store.create(name, "v"), name).rejects.toThrow(/invalid key name/);
      await expect(store.get(name), name).rejects.toThrow(/invalid key name/);
      await expect(store.delete(name), name).rejects.toThrow(/invalid key name/);
    }
    expect(await store.list("", "", 0)).toEqual({ names: [], continueAt: "" });
    expect((await readdir(dir)).sort()).toEqual([...records].sort());
  });

  it("lists only regular files with valid key names", async () => {
    const dir = join(root, "keys");
    const store = await connectFs({ path: dir });
    await store.create("real", "v");
    for (const f of [".tmp-abc", "notes.txt", "-bad", "bad-", "_", "has space"]) {
      await writeFile(join(dir, f), "junk");
    }
    await mkdir(join(dir, "subdir"));
    expect(await store.list("", "", 0)).toEqual({ names: ["real"], continueAt: "" });
  });

  it("removes stale temp files on startup and keeps keys", async () => {
    const dir = join(root, "keys");
    const first = await connectFs({ path: dir });
    await first.create("kept", "value");
    await writeFile(join(dir, ".tmp-deadbeef"), "half a ke");
    await writeFile(join(dir, ".tmp-"), "");
    await connectFs({ path: dir });
    expect((await readdir(dir)).sort()).toEqual(["kept"]);
  });

  it("keeps the temp files of a live writer (another worker) and removes a dead one's", async () => {
    const dir = join(root, "keys");
    await connectFs({ path: dir });
    const { spawn } = await import("node:child_process");
    const live = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"]);
    const dead = spawn(process.execPath, ["-e", ""]);
    await new Promise((r) => dead.once("exit", r));
    try {
      await writeFile(join(dir, `.tmp-${live.pid}-aa`), "in flight");
      await writeFile(join(dir, `.tmp-${dead.pid}-bb`), "abandoned");
      await connectFs({ path: dir });
      expect(await readdir(dir)).toEqual([`.tmp-${live.pid}-aa`]);
    } finally {
      live.kill();
    }
  });

  it("keeps this process's own temp files when the directory is reopened (a reload)", async () => {
    const dir = join(root, "keys");
    await connectFs({ path: dir });
    const ours = makeTempName();
    await writeFile(join(dir, ours), "in flight in this process");
    // Same pid, not this process's tag: left by an earlier process that had our pid.
    await writeFile(join(dir, `.tmp-${process.pid}-aa`), "abandoned");
    await connectFs({ path: dir });
    expect(await readdir(dir)).toEqual([ours]);
  });

  it("completes creates in flight while the directory is reopened again and again", async () => {
    const dir = join(root, "keys");
    const store = await connectFs({ path: dir });
    const names = Array.from({ length: 200 }, (_, i) => `k${i}`);
    const creates = names.map((n) => store.create(n, "value"));
    const reopens = Array.from({ length: 50 }, () => connectFs({ path: dir }));
    const results = await Promise.allSettled([...creates, ...reopens]);
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    expect((await store.list("", "", 1000)).names).toHaveLength(200);
    expect((await readdir(dir)).filter((n) => n.startsWith(".tmp-"))).toEqual([]);
  });

  it("keeps an existing directory's mode", async () => {
    const dir = join(root, "keys");
    await mkdir(dir, { mode: 0o750 });
    await connectFs({ path: dir });
    expect((await stat(dir)).mode & 0o777).toBe(0o750);
  });

  it("fails to open when the path is a file", async () => {
    await writeFile(join(root, "file"), "x");
    await expect(connectFs({ path: join(root, "file") })).rejects.toThrow(/cannot open/);
  });

  it("reports unreachable when the directory disappears", async () => {
    const dir = join(root, "keys");
    const store = await connectFs({ path: dir });
    await rm(dir, { recursive: true });
    await expect(store.status()).rejects.toBeInstanceOf(KeystoreUnreachableError);
  });
});
