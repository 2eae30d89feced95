// `keyfront migrate` between two fs keystores: a complete copy, existing keys (stop / --merge /
// --force), a glob pattern, and a run killed mid-way (SIGKILL) or interrupted (SIGINT) and then
// finished by re-running with --merge.

import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectOneLine, kf, spawnKf } from "./cli-helpers.js";

/** A migrate run over thousands of keys: longer than kf's default, within the test's 60 s. */
const SLOW_CLI_MS = 50_000;

let dir: string;
let src: string;
let dst: string;
let from: string;
let to: string;

const config = (path: string) =>
  `admin: { identity: disabled }\ntls: { key: x.key, cert: x.crt }\nkeystore: { fs: { path: ${JSON.stringify(path)} } }\n`;

async function fillSource(n: number): Promise<string[]> {
  const names = Array.from({ length: n }, (_, i) => `key-${String(i).padStart(5, "0")}`);
  await Promise.all(
    names.map((name) => writeFile(join(src, name), `value of ${name}`, { mode: 0o600 })),
  );
  return names;
}

async function expectSameKeys(names: string[]): Promise<void> {
  const got = (await readdir(dst)).filter((n) => !n.startsWith(".")).sort();
  expect(got).toEqual(names);
  for (const name of names.filter((_, i) => i % 97 === 0)) {
    expect(await readFile(join(dst, name), "utf8")).toBe(`value of ${name}`);
  }
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "keyfront-migrate-"));
  src = join(dir, "src");
  dst = join(dir, "dst");
  await mkdir(src, { mode: 0o700 });
  from = join(dir, "from.yaml");
  to = join(dir, "to.yaml");
  await writeFile(from, config(src));
  await writeFile(to, config(dst));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const count = async () =>
  (await readdir(dst).catch(() => [])).filter((n) => !n.startsWith(".")).length;

describe("keyfront migrate", () => {
  it("copies every key, then stops at, skips or replaces existing ones", async () => {
    const names = await fillSource(20);
    const first = await kf(["migrate", "--from", from, "--to", to]);
    expect([first.code, first.stdout]).toEqual([
      0,
      "migrated 20 keys, skipped 0 existing, replaced 0 (20 matched)\n",
    ]);
    await expectSameKeys(names);
    const again = await kf(["migrate", "--from", from, "--to", to]);
    expect(again.code).toBe(1);
    expect(expectOneLine(again.stderr)).toMatch(
      /key 'key-00000' already exists in the target: use --merge .* or --force/,
    );
    const merge = await kf(["migrate", "--from", from, "--to", to, "--merge", "--json"]);
    expect(JSON.parse(merge.stdout)).toEqual({
      matched: 20,
      migrated: 0,
      skipped: 20,
      replaced: 0,
      records: 0,
    });
    await rm(join(dst, "key-00003"));
    await writeFile(join(dst, "key-00003"), "stale", { mode: 0o600 });
    const force = await kf([
      "migrate",
      "--from",
      from,
      "--to",
      to,
      "--force",
      "key-0000[0-4]",
      "--json",
    ]);
    expect(JSON.parse(force.stdout)).toEqual({
      matched: 5,
      migrated: 0,
      skipped: 0,
      replaced: 5,
      records: 0,
    });
    expect(await readFile(join(dst, "key-00003"), "utf8")).toBe("value of key-00003");
    await expectSameKeys(names);
  });

  it("copies only keys matching the pattern", async () => {
    await fillSource(30);
    const r = await kf(["migrate", "--from", from, "--to", to, "key-0001?", "--json"]);
    expect(JSON.parse(r.stdout)).toMatchObject({ matched: 10, migrated: 10 });
    expect((await readdir(dst)).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `key-0001${i}`),
    );
  });

  it("a run killed mid-way is finished by re-running with --merge", async () => {
    const names = await fillSource(3000);
    const run = spawnKf(["migrate", "--from", from, "--to", to]);
    const t = setInterval(() => {
      void count().then((n) => {
        if (n >= 200) run.proc.kill("SIGKILL");
      });
    }, 20);
    await run.exited;
    clearInterval(t);
    const copied = await count();
    expect(copied).toBeGreaterThan(0);
    expect(copied).toBeLessThan(3000);
    // Thousands of fsynced creates: allow for a loaded machine (the test's own limit is 60 s).
    const resumed = await kf(
      ["migrate", "--from", from, "--to", to, "--merge", "--json"],
      {},
      undefined,
      SLOW_CLI_MS,
    );
    expect(resumed.code).toBe(0);
    const tally = JSON.parse(resumed.stdout) as Record<string, number>;
    expect(tally.matched).toBe(3000);
    expect(tally.skipped).toBe(copied);
    expect(tally.migrated).toBe(3000 - copied);
    await expectSameKeys(names);
  }, 60_000);

  it("SIGINT stops cleanly with a summary and the way to finish", async () => {
    const names = await fillSource(2000);
    const run = spawnKf(["migrate", "--from", from, "--to", to]);
    let sent = false;
    const t = setInterval(() => {
      void count().then((n) => {
        if (n >= 100 && !sent) {
          sent = true;
          run.proc.kill("SIGINT");
        }
      });
    }, 20);
    expect(await run.exited).toBe(1);
    clearInterval(t);
    expect(expectOneLine(run.stderr())).toMatch(
      /^keyfront: interrupted: migrated \d+ keys, .*re-run with --merge to finish$/,
    );
    expect(
      (await kf(["migrate", "--from", from, "--to", to, "--merge"], {}, undefined, SLOW_CLI_MS))
        .code,
    ).toBe(0);
    await expectSameKeys(names);
  }, 60_000);

  it.each([
    [["migrate", "--to", "x.yaml"], 2, /--from is required/],
    [["migrate", "--from", "x.yaml"], 2, /--to is required/],
    [["migrate", "--from", "a", "--to", "b", "--merge", "--force"], 2, /mutually exclusive/],
    [["migrate", "--from", "a", "--to", "b", "key-["], 2, /unclosed/],
    [["migrate", "--from", "/no/such.yaml", "--to", "b"], 1, /cannot read the config file/],
  ])("%j exits %i", async (args, code, message) => {
    const r = await kf(args);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });

  it("refuses the same keystore on both sides", async () => {
    const r = await kf(["migrate", "--from", from, "--to", from]);
    expect([r.code, expectOneLine(r.stderr)]).toEqual([
      1,
      "keyfront: --from and --to name the same keystore",
    ]);
  });
});
