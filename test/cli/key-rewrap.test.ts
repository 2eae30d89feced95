// `keyfront key rewrap` as a subprocess of the built CLI against the real server over mTLS: a file
// of 1,000 DEK ciphertexts (half with a context) made under version 1 comes out, in order, sealed
// under version 2 with the contexts kept, and never holding a plaintext; stdin to stdout works the
// same; a bad line (malformed, or refused by the server) ends the run with exit 1 and its number,
// stdout then holding exactly the lines before it and an -o file not written at all.

import { randomBytes } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/server.js";
import { cleanEnv, expectOneLine, kf } from "./cli-helpers.js";
import { useLifecycleEnv } from "./lifecycle-env.js";

const env = useLifecycleEnv("keyfront-cli-rewrap-");
const LINES = 1_000;
const BATCH = 16;
const SLOW_CLI_MS = 120_000;

interface Row {
  plaintext: string;
  ciphertext: string;
  context?: string;
}
const rows: Row[] = [];
const lineOf = (r: Row) =>
  r.context === undefined ? r.ciphertext : `${r.ciphertext}\t${r.context}`;

/** Runs `fn` over `items` with BATCH calls at a time. */
async function inBatches<T, R>(items: T[], fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += BATCH) {
    out.push(...(await Promise.all(items.slice(i, i + BATCH).map((t, j) => fn(t, i + j)))));
  }
  return out;
}

beforeAll(async () => {
  await env.client.createKey("rw-a");
  const made = await inBatches(Array.from({ length: LINES }), async (_t, i) => {
    const context = i % 2 === 0 ? randomBytes(12).toString("base64") : undefined;
    const d = await env.client.generateKey(
      "rw-a",
      context === undefined ? undefined : Buffer.from(context, "base64"),
    );
    expect(d.version).toBe(1);
    const row: Row = {
      plaintext: d.plaintext.toString("base64"),
      ciphertext: d.ciphertext.toString("base64"),
    };
    if (context !== undefined) row.context = context;
    return row;
  });
  rows.push(...made);
  expect((await env.client.rotateKey("rw-a")).version).toBe(2);
}, SLOW_CLI_MS);

/** Every output line is its input row rewrapped: new ciphertext of version 2, same context. */
async function expectRewrapped(out: string[], input: Row[]) {
  expect(out).toHaveLength(input.length);
  await inBatches(out, async (line, i) => {
    const row = input[i] as Row;
    const [ct, ctx, more] = line.split(" ");
    expect([ctx, more]).toEqual([row.context, undefined]);
    expect(ct).not.toBe(row.ciphertext);
    const plain = await env.client.decrypt(
      "rw-a",
      Buffer.from(ct as string, "base64"),
      row.context === undefined ? undefined : Buffer.from(row.context, "base64"),
      { version: 2 },
    );
    expect(plain.toString("base64")).toBe(row.plaintext);
  });
}

function expectNoPlaintext(...texts: string[]) {
  for (const r of rows) for (const t of texts) expect(t.includes(r.plaintext)).toBe(false);
}

describe("keyfront key rewrap", () => {
  it(
    `rewraps a file of ${LINES} lines in order under the newest version`,
    async () => {
      const input = join(env.dir, "in.txt");
      const output = join(env.dir, "out.txt");
      await writeFile(input, `${rows.map(lineOf).join("\n")}\n`);
      const r = await kf(
        ["key", "rewrap", "rw-a", input, "-o", output],
        env.admin,
        undefined,
        SLOW_CLI_MS,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe("");
      const m = /^keyfront: rewrapped 1000 lines in ([\d.]+) s \((\d+) lines\/s\)$/.exec(
        expectOneLine(r.stderr),
      );
      expect(m).not.toBeNull();
      console.log(
        `rewrap: ${LINES} lines in ${m?.[1]} s = ${m?.[2]} lines/s (CLI, one server, shared CPU)`,
      );
      const out = (await readFile(output, "utf8")).split("\n");
      expect(out.pop()).toBe("");
      await expectRewrapped(out, rows);
      expectNoPlaintext(r.stdout, r.stderr, out.join("\n"));
      expect((await readdir(env.dir)).filter((n) => n.includes(".tmp-"))).toEqual([]);
    },
    SLOW_CLI_MS,
  );

  it("reads stdin and writes stdout (CRLF input, `-` for stdin)", async () => {
    const some = rows.slice(0, 6);
    const r = await runCli(["key", "rewrap", "rw-a", "-"], {
      env: cleanEnv(env.admin),
      input: some.map(lineOf).join("\r\n"),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(expectOneLine(r.stderr)).toMatch(/^keyfront: rewrapped 6 lines in /);
    const out = r.stdout.split("\n");
    expect(out.pop()).toBe("");
    await expectRewrapped(out, some);
    expectNoPlaintext(r.stdout, r.stderr);
  });

  const forged = randomBytes(60).toString("base64");
  /** rows[0] has a context (even rows do); the rows exist only once beforeAll ran. */
  const first = () => (rows[0] as Row).ciphertext;
  const other = Buffer.from("other").toString("base64");
  it.each<[string, () => string, string]>([
    ["not base64", () => "not*base64", "line 3: the ciphertext is not valid base64"],
    ["a bad context", () => `${first()} ctx*`, "line 3: the context is not valid base64"],
    [
      "three fields",
      () => "a b c",
      "line 3: 3 fields: want '<base64-ciphertext> [<base64-context>]'",
    ],
    [
      "an empty line",
      () => "",
      "line 3: empty line: want '<base64-ciphertext> [<base64-context>]'",
    ],
    ["a forged ciphertext", () => forged, "line 3: decryption failed: ciphertext is not authentic"],
    [
      "a wrong context",
      () => `${first()} ${other}`,
      "line 3: decryption failed: ciphertext is not authentic",
    ],
  ])("%s on line 3 ends the run there", async (_name, badLine, message) => {
    const bad = badLine();
    const good = rows.slice(1, 3);
    const text = `${[...good.map(lineOf), bad, ...rows.slice(3, 40).map(lineOf)].join("\n")}\n`;
    const output = join(env.dir, "bad-out.txt");
    const input = join(env.dir, "bad-in.txt");
    await writeFile(input, text);
    const toFile = await kf(["key", "rewrap", "rw-a", input, "--output", output], env.admin);
    expect(toFile.code).toBe(1);
    expect(expectOneLine(toFile.stderr)).toBe(`keyfront: ${message} ('${output}' not written)`);
    expect(toFile.stdout).toBe("");
    expect(
      (await readdir(env.dir)).filter((n) => n.startsWith(".bad-out") || n === "bad-out.txt"),
    ).toEqual([]);

    const toStdout = await runCli(["key", "rewrap", "rw-a"], {
      env: cleanEnv(env.admin),
      input: text,
    });
    expect(toStdout.code).toBe(1);
    expect(expectOneLine(toStdout.stderr)).toBe(`keyfront: ${message}`);
    const out = toStdout.stdout.split("\n");
    expect(out.pop()).toBe("");
    await expectRewrapped(out, good);
  });

  it("an unknown key fails on line 1; a missing input file and no input are errors", async () => {
    const input = join(env.dir, "one.txt");
    await writeFile(input, `${lineOf(rows[1] as Row)}\n`);
    const unknown = await kf(["key", "rewrap", "no-such-key", input], env.admin);
    expect([unknown.code, expectOneLine(unknown.stderr)]).toEqual([
      1,
      "keyfront: line 1: key does not exist",
    ]);
    const missing = await kf(["key", "rewrap", "rw-a", join(env.dir, "absent.txt")], env.admin);
    expect(missing.code).toBe(1);
    expect(expectOneLine(missing.stderr)).toMatch(
      /^keyfront: cannot read '.*absent\.txt' \(ENOENT\)$/,
    );
    expect((await kf(["key", "rewrap"], env.admin)).code).toBe(2);
  });
});
