// Runs one README shell block the way a user pastes it, for readme.test.ts: `bash` in its own
// process group (so whatever the block starts in the background can be found and stopped), in the
// clone, with a clean environment and the npm shim first on PATH (see npm-shim.ts), the block's
// text unchanged in a file. bash runs it with `-e -o pipefail` (any failing line fails the block,
// where an interactive shell would carry on) and expand_aliases on (an interactive shell expands
// `alias` definitions; a script does not by default). Output is captured, bounded in time.

import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** How long one block may run (npm ci plus a build and tests under a loaded CI machine). */
export const BLOCK_TIMEOUT_MS = 600_000;
/** How long a stopped process group may take to exit before it is killed. */
export const GROUP_EXIT_WAIT_MS = 15_000;
const POLL_MS = 100;

export interface RunningBlock {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The variables of the test run that a user's shell would not have. */
function userEnv(shimDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(VITEST|KES_|MINIO_|VAULT_)/.test(k) || k === "TEST" || k === "NODE_ENV") continue;
    env[k] = v;
  }
  return {
    ...env,
    PATH: `${shimDir}:${process.env.PATH ?? ""}`,
    CI: "true",
    KEYFRONT_README_TEST: "inner",
  };
}

export function startBlock(
  text: string,
  opts: { cwd: string; file: string; shimDir: string },
): RunningBlock {
  writeFileSync(opts.file, `shopt -s expand_aliases\n${text}`);
  const proc = spawn("bash", ["--noprofile", "--norc", "-e", "-o", "pipefail", opts.file], {
    cwd: opts.cwd,
    env: userEnv(opts.shimDir),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  const add = (c: Buffer) => {
    out += c.toString();
  };
  proc.stdout?.on("data", add);
  proc.stderr?.on("data", add);
  const exited = new Promise<number | null>((r) =>
    proc.once("exit", (code, signal) => r(signal ? null : code)),
  );
  return { proc, output: () => out, exited };
}

/** True while any process of the group `pgid` is alive. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops the whole process group of a block: SIGTERM, then SIGKILL; waits until it is gone. */
export async function stopGroup(pgid: number): Promise<void> {
  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    if (!groupAlive(pgid)) return;
    try {
      process.kill(-pgid, signal);
    } catch {
      return;
    }
    for (let waited = 0; waited < GROUP_EXIT_WAIT_MS && groupAlive(pgid); waited += POLL_MS)
      await sleep(POLL_MS);
  }
  if (groupAlive(pgid)) throw new Error(`process group ${pgid} survived SIGKILL`);
}

/** Waits for the block to exit (bounded); null if it ran out of time. */
export async function waitExit(b: RunningBlock, ms = BLOCK_TIMEOUT_MS): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((r) => {
    timer = setTimeout(() => r("timeout"), ms);
  });
  const code = await Promise.race([b.exited, timeout]);
  clearTimeout(timer);
  return code === "timeout" ? null : code;
}

/** Waits until the block's output contains `text`; false if it exited or ran out of time. */
export async function waitReady(b: RunningBlock, text: string): Promise<boolean> {
  for (let waited = 0; waited < BLOCK_TIMEOUT_MS; waited += POLL_MS) {
    if (b.output().includes(text)) return true;
    if (b.proc.exitCode !== null || b.proc.signalCode !== null) return false;
    await sleep(POLL_MS);
  }
  return false;
}

export const blockFile = (dir: string, line: number) => join(dir, `readme-line-${line}.sh`);
