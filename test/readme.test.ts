// README's two commands, run the way a newcomer runs them: in a fresh clone of this repository,
// `npm ci && npm start` must print a curl line that works when pasted into a shell, and
// `npm ci && npm test` must work (here restricted to one small test file, because the full
// suite is what CI runs, and running it from inside itself would recurse).

import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ROOT } from "./helpers/server.js";

let clone = "";
const INNER = process.env.KEYFRONT_README_TEST === "inner";

beforeAll(async () => {
  if (INNER) return;
  clone = await mkdtemp(join(tmpdir(), "keyfront-clone-"));
  // Clone the working tree's HEAD: what a newcomer would get from the repository.
  execFileSync("git", ["clone", "--quiet", "--no-hardlinks", ROOT, clone], { stdio: "pipe" });
}, 120_000);

afterAll(async () => {
  if (clone) await rm(clone, { recursive: true, force: true });
});

function sh(cmd: string, cwd: string, timeoutMs: number): string {
  return execFileSync("bash", ["-c", cmd], {
    cwd,
    timeout: timeoutMs,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, KEYFRONT_README_TEST: "inner", CI: "true" },
  });
}

it("npm ci && npm start serves, and its printed curl line creates a key and a DEK", async () => {
  if (INNER) {
    console.warn(
      "readme.test.ts: the fresh-clone run is done by the outer test run, not inside the clone",
    );
    return;
  }
  const port = 17000 + Math.floor(Math.random() * 20000);
  const proc = spawn(
    "bash",
    ["-c", `npm ci --no-audit --no-fund >/dev/null 2>&1 && npm start -- --addr 127.0.0.1:${port}`],
    { cwd: clone, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let out = "";
  proc.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  proc.stderr.on("data", (c: Buffer) => {
    out += c.toString();
  });
  try {
    for (let i = 0; i < 600 && !out.includes("Server is up") && proc.exitCode === null; i++)
      await new Promise((r) => setTimeout(r, 250));
    expect(out, out.slice(-2000)).toContain("Server is up");
    expect(out).toMatch(/Admin\s+[0-9a-f]{64}/);
    const curl = /^\s+(curl .*)$/m.exec(out)?.[1];
    expect(curl, "the banner prints a curl line").toBeDefined();
    const result = sh(curl as string, clone, 30_000);
    const lines = result.trim().split("\n");
    const dek = JSON.parse(lines[lines.length - 1] as string) as {
      plaintext: string;
      ciphertext: string;
    };
    expect(Buffer.from(dek.plaintext, "base64")).toHaveLength(32);
    expect(existsSync(join(clone, "certs/dev/admin.key"))).toBe(true);
    expect(existsSync(join(clone, "data/my-key"))).toBe(true);
  } finally {
    if (proc.exitCode === null && proc.signalCode === null && proc.pid) {
      const exited = new Promise((r) => proc.once("exit", r));
      process.kill(-proc.pid, "SIGTERM");
      await exited;
    }
  }
}, 300_000);

it("npm test works in the fresh clone", () => {
  if (INNER) {
    console.warn("readme.test.ts: skipped inside the clone (the outer run covers it)");
    return;
  }
  const out = sh("npm test -- internal/policy 2>&1", clone, 240_000);
  expect(out).toMatch(/Tests\s+.*\d+ passed/);
}, 300_000);
