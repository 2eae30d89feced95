// Helpers of the CLI tests: run the built `keyfront` with a clean client environment (no KES_* or
// MINIO_* variable leaks in from the caller), or spawn it for commands that run until interrupted.

import { type ChildProcess, spawn } from "node:child_process";
import { CLI, ROOT, requireBuild, runCli } from "../helpers/server.js";

const CLIENT_VARS = [
  "MINIO_KES_SERVER",
  "KES_SERVER",
  "MINIO_KMS_KES_ENDPOINT",
  "MINIO_KES_API_KEY",
  "KES_API_KEY",
  "MINIO_KMS_KES_API_KEY",
  "MINIO_KES_KEY_FILE",
  "KES_CLIENT_KEY",
  "MINIO_KES_CLIENT_KEY",
  "MINIO_KES_CERT_FILE",
  "KES_CLIENT_CERT",
  "MINIO_KES_CLIENT_CERT",
  "KES_CLIENT_KEY_PASSWORD",
  "NODE_EXTRA_CA_CERTS",
];

export function cleanEnv(env: Record<string, string> = {}): Record<string, string> {
  return { ...Object.fromEntries(CLIENT_VARS.map((v) => [v, ""])), NO_COLOR: "1", ...env };
}

export function kf(
  args: string[],
  env: Record<string, string> = {},
  cwd?: string,
  timeoutMs?: number,
) {
  return runCli(args, {
    env: cleanEnv(env),
    ...(cwd ? { cwd } : {}),
    ...(timeoutMs ? { timeoutMs } : {}),
  });
}

export interface Spawned {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

export function spawnKf(args: string[], env: Record<string, string> = {}): Spawned {
  requireBuild();
  const proc = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...cleanEnv(env) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  proc.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  proc.stderr?.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** Polls `check` every 50 ms until it is true or `ms` passed. */
export async function waitFor(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A stack trace would show `    at ` lines; errors must be one `keyfront: …` line. */
export function expectOneLine(stderr: string): string {
  const lines = stderr.trimEnd().split("\n");
  if (lines.length !== 1 || !lines[0]?.startsWith("keyfront: ")) {
    throw new Error(`want one 'keyfront: …' line on stderr, got:\n${stderr}`);
  }
  return lines[0];
}
