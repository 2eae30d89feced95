// `keyfront key rotate | versions | configure | disable | enable | rm | restore | purge` as
// subprocesses of the built CLI against the real server over mTLS (fs keystore, 7-day deletion
// window): stdout carries only the result (`--json` the server's document), errors are one
// `keyfront: …` line with exit 1, usage errors exit 2.

import { describe, expect, it } from "vitest";
import { expectOneLine, kf } from "./cli-helpers.js";
import { useLifecycleEnv } from "./lifecycle-env.js";

const env = useLifecycleEnv("keyfront-cli-lifecycle-");
const json = (s: string) => JSON.parse(s) as Record<string, unknown>;

/** A DEK of `name` made through the CLI: its plaintext and ciphertext (base64). */
async function dek(name: string, ctx?: string) {
  const r = await kf(["key", "dek", name, ...(ctx ? [ctx] : [])], env.admin);
  expect(r.code, r.stderr).toBe(0);
  return json(r.stdout) as { plaintext: string; ciphertext: string };
}

async function decrypt(name: string, ciphertext: string, ctx?: string) {
  return kf(["key", "decrypt", name, ciphertext, ...(ctx ? [ctx] : [])], env.admin);
}

describe("key rotate and key versions", () => {
  it("rotate adds a version; versions and info show it; older DEKs still decrypt", async () => {
    expect((await kf(["key", "create", "rot-a"], env.admin)).code).toBe(0);
    const ctx = Buffer.from("bucket/object").toString("base64");
    const v1 = await dek("rot-a", ctx);

    const rotated = await kf(["key", "rotate", "rot-a", "--json"], env.admin);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stderr).toBe("");
    expect(json(rotated.stdout)).toMatchObject({ name: "rot-a", version: 2 });
    const human = await kf(["key", "rotate", "rot-a"], env.admin);
    expect(human.stdout).toMatch(
      /^Name\s+rot-a\nVersion\s+3\nDate\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n$/,
    );

    const list = json((await kf(["key", "versions", "rot-a", "--json"], env.admin)).stdout);
    expect(list).toMatchObject({ name: "rot-a", latest: 3, min_decryption_version: 1 });
    const versions = list.versions as { version: number; state: string; created_by: string }[];
    expect(versions.map((v) => [v.version, v.state])).toEqual([
      [1, "active"],
      [2, "active"],
      [3, "current"],
    ]);
    expect(versions.every((v) => v.created_by === env.f.clients.admin.identity)).toBe(true);
    const table = (await kf(["key", "versions", "rot-a"], env.admin)).stdout.trimEnd().split("\n");
    expect(table.map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ["1", "active"],
      ["2", "active"],
      ["3", "current"],
    ]);

    const info = await kf(["key", "info", "rot-a"], env.admin);
    expect(info.stdout).toMatch(/^Version\s+3$/m);
    expect(info.stdout).toMatch(/^Enabled\s+yes$/m);
    expect(json((await kf(["key", "info", "rot-a", "--json"], env.admin)).stdout)).toMatchObject({
      name: "rot-a",
      version: 3,
      enabled: true,
    });

    const dec = await decrypt("rot-a", v1.ciphertext, ctx);
    expect([dec.code, json(dec.stdout).plaintext]).toEqual([0, v1.plaintext]);
    const v3 = await dek("rot-a", ctx);
    expect(json((await decrypt("rot-a", v3.ciphertext, ctx)).stdout).plaintext).toBe(v3.plaintext);
  });

  it("a missing key, a forbidden caller, and bad arguments", async () => {
    const missing = await kf(["key", "rotate", "no-such-key"], env.admin);
    expect([missing.code, expectOneLine(missing.stderr)]).toEqual([
      1,
      "keyfront: key does not exist",
    ]);
    const forbidden = await kf(["key", "rotate", "app-key"], env.app);
    expect(forbidden.code).toBe(1);
    expect(expectOneLine(forbidden.stderr)).toMatch(
      /^keyfront: not authorized: insufficient permissions: identity [0-9a-f]{64} may not do this/,
    );
    expect((await kf(["key", "rotate"], env.admin)).code).toBe(2);
    expect((await kf(["key", "rotate", "a", "b"], env.admin)).code).toBe(2);
    expect((await kf(["key", "versions"], env.admin)).code).toBe(2);
  });
});

describe("key configure", () => {
  it("a minimum decryption version retires older versions with a clear error", async () => {
    await kf(["key", "create", "cfg-a"], env.admin);
    const old = await dek("cfg-a");
    await kf(["key", "rotate", "cfg-a"], env.admin);
    const r = await kf(
      ["key", "configure", "cfg-a", "--min-decryption-version", "2", "--json"],
      env.admin,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout)).toMatchObject({ name: "cfg-a", min_decryption_version: 2 });
    const refused = await decrypt("cfg-a", old.ciphertext);
    expect(refused.code).toBe(1);
    expect(expectOneLine(refused.stderr)).toBe(
      "keyfront: decryption failed: key version 1 is retired (minimum decryption version is 2)",
    );
    expect(refused.stdout).toBe("");
    const versions = json((await kf(["key", "versions", "cfg-a", "--json"], env.admin)).stdout);
    expect((versions.versions as { state: string }[]).map((v) => v.state)).toEqual([
      "retired",
      "current",
    ]);
  });

  it("sets and clears the rotation period", async () => {
    await kf(["key", "create", "cfg-b"], env.admin);
    const set = await kf(["key", "configure", "cfg-b", "--rotate", "30d"], env.admin);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/^Rotate\s+30d$/m);
    expect(json((await kf(["key", "info", "cfg-b", "--json"], env.admin)).stdout).rotate).toBe(
      "30d",
    );
    const off = await kf(["key", "configure", "cfg-b", "--rotate", "off", "--json"], env.admin);
    expect(json(off.stdout)).toMatchObject({ name: "cfg-b", rotate: "" });
  });

  it.each([
    [["key", "configure", "cfg-b"], /give --min-decryption-version or --rotate/],
    [["key", "configure", "cfg-b", "--min-decryption-version", "0"], /must be a version number/],
    [["key", "configure", "cfg-b", "--min-decryption-version", "two"], /must be a version number/],
  ])("%j is a usage error", async (args, message) => {
    const r = await kf(args, env.admin);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("a minimum above the newest version is refused by the server", async () => {
    await kf(["key", "create", "cfg-c"], env.admin);
    const r = await kf(["key", "configure", "cfg-c", "--min-decryption-version", "5"], env.admin);
    expect(r.code).toBe(1);
    expect(expectOneLine(r.stderr)).toMatch(/^keyfront: /);
  });
});

describe("key disable and enable", () => {
  it("a disabled key refuses to work until enabled", async () => {
    await kf(["key", "create", "dis-a", "dis-b"], env.admin);
    const before = await dek("dis-a");
    expect(await kf(["key", "disable", "dis-a", "dis-b"], env.admin)).toMatchObject({
      code: 0,
      stdout: "",
    });
    for (const args of [
      ["key", "dek", "dis-a"],
      ["key", "decrypt", "dis-a", before.ciphertext],
      ["key", "hmac", "dis-b", "m"],
    ]) {
      const r = await kf(args, env.admin);
      expect([r.code, expectOneLine(r.stderr)], args.join(" ")).toEqual([
        1,
        "keyfront: key is disabled",
      ]);
    }
    expect(json((await kf(["key", "info", "dis-a", "--json"], env.admin)).stdout).enabled).toBe(
      false,
    );
    expect((await kf(["key", "info", "dis-a"], env.admin)).stdout).toMatch(/^Enabled\s+no$/m);
    expect((await kf(["key", "enable", "dis-a"], env.admin)).code).toBe(0);
    expect(json((await decrypt("dis-a", before.ciphertext)).stdout).plaintext).toBe(
      before.plaintext,
    );
    expect((await kf(["key", "dek", "dis-b"], env.admin)).code).toBe(1);
  });
});

describe("key rm, restore and purge (deletion window 7d)", () => {
  it("rm makes a key pending deletion; restore brings it back with its versions", async () => {
    await kf(["key", "create", "del-a"], env.admin);
    await kf(["key", "rotate", "del-a"], env.admin);
    const d = await dek("del-a");
    expect((await kf(["key", "rm", "del-a"], env.admin)).code).toBe(0);
    const gone = await kf(["key", "dek", "del-a"], env.admin);
    expect([gone.code, expectOneLine(gone.stderr)]).toEqual([1, "keyfront: key does not exist"]);
    const again = await kf(["key", "create", "del-a"], env.admin);
    expect([again.code, expectOneLine(again.stderr)]).toEqual([1, "keyfront: key already exists"]);
    expect(await kf(["key", "restore", "del-a"], env.admin)).toMatchObject({ code: 0, stdout: "" });
    expect(json((await decrypt("del-a", d.ciphertext)).stdout).plaintext).toBe(d.plaintext);
    expect(json((await kf(["key", "info", "del-a", "--json"], env.admin)).stdout).version).toBe(2);
  });

  it("purge needs --yes without a terminal, and then destroys the key for good", async () => {
    await kf(["key", "create", "del-b"], env.admin);
    const d = await dek("del-b");
    await kf(["key", "rm", "del-b"], env.admin);
    const unconfirmed = await kf(["key", "purge", "del-b"], env.admin);
    expect(unconfirmed.code).toBe(2);
    expect(expectOneLine(unconfirmed.stderr)).toMatch(/confirm with --yes/);
    expect((await kf(["key", "restore", "del-b"], env.admin)).code).toBe(0);

    const notPending = await kf(["key", "purge", "del-b", "--yes"], env.admin);
    expect([notPending.code, expectOneLine(notPending.stderr)]).toEqual([
      1,
      "keyfront: key is not pending deletion",
    ]);
    await kf(["key", "rm", "del-b"], env.admin);
    expect(await kf(["key", "purge", "del-b", "--yes"], env.admin)).toMatchObject({
      code: 0,
      stdout: "",
    });
    const restore = await kf(["key", "restore", "del-b"], env.admin);
    expect([restore.code, expectOneLine(restore.stderr)]).toEqual([
      1,
      "keyfront: key does not exist",
    ]);
    expect((await kf(["key", "create", "del-b"], env.admin)).code).toBe(0);
    const fresh = await decrypt("del-b", d.ciphertext);
    expect([fresh.code, expectOneLine(fresh.stderr)]).toEqual([
      1,
      "keyfront: decryption failed: ciphertext is not authentic",
    ]);
  });
});
