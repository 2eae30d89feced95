// The Vault test server's CLI from dist/: `--port 0` prints VAULT_ADDR and VAULT_TOKEN, the
// printed values work, and SIGTERM stops it with exit code 0. Needs `npm run build` (npm test
// runs it first).

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { ROOT } from "../helpers/server.js";
import { call, sleep } from "./test-client.js";

const MAIN = join(ROOT, "dist/test/vault-server/main.js");
let proc: ChildProcess | undefined;

afterEach(() => {
  if (proc && proc.exitCode === null) proc.kill("SIGKILL");
});

async function startCli(
  args: string[],
): Promise<{ out: () => string; lines: Record<string, string> }> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run 'npm run build' first`);
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  proc = child;
  let out = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  for (let i = 0; i < 200 && !out.includes("VAULT_TOKEN=") && child.exitCode === null; i++)
    await sleep(50);
  await sleep(50);
  const lines = Object.fromEntries(
    out
      .trim()
      .split("\n")
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  return { out: () => out, lines };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

it("--port 0 prints VAULT_ADDR and VAULT_TOKEN that work; SIGTERM stops it", async () => {
  const { lines } = await startCli(["--port", "0"]);
  expect(lines.VAULT_ADDR).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(lines.VAULT_TOKEN).toMatch(/^hvs\./);
  const r = await call(lines.VAULT_ADDR as string, "GET", "/v1/auth/token/lookup-self", {
    token: lines.VAULT_TOKEN as string,
  });
  expect(r.json.data.policies).toEqual(["root"]);
  const exited = exitOf(proc as ChildProcess);
  proc?.kill("SIGTERM");
  expect(await exited).toBe(0);
});

it("--tls --oss prints a CA file and serves HTTPS without namespaces", async () => {
  const { lines } = await startCli(["--port", "0", "--tls", "--oss"]);
  expect(lines.VAULT_ADDR).toMatch(/^https:/);
  const { readFileSync } = await import("node:fs");
  const caPem = readFileSync(lines.VAULT_CACERT as string, "utf8");
  const r = await call(lines.VAULT_ADDR as string, "GET", "/v1/sys/health", { caPem });
  expect(r.json).toMatchObject({ enterprise: false, sealed: false });
  proc?.kill("SIGTERM");
});

it("rejects a bad port with exit code 2", async () => {
  const child = spawn(process.execPath, [MAIN, "--port", "x"], { stdio: "ignore" });
  expect(await exitOf(child)).toBe(2);
});

it("--vars-file writes sourceable export lines (0600) once listening, removed on SIGTERM", async () => {
  const { mkdtempSync, rmSync, statSync, existsSync: exists } = await import("node:fs");
  const { execFileSync } = await import("node:child_process");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "vault-vars-"));
  const file = join(dir, "vault.env");
  try {
    const { lines } = await startCli(["--port", "0", "--vars-file", file]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const shell = `. "${file}"; echo "$VAULT_ADDR $VAULT_TOKEN"`;
    const sourced = execFileSync("bash", ["-ec", shell], { encoding: "utf8" });
    expect(sourced.trim()).toBe(`${lines.VAULT_ADDR} ${lines.VAULT_TOKEN}`);
    const exited = exitOf(proc as ChildProcess);
    proc?.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(exists(file)).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
