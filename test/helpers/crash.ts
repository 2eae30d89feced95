// Runs a child process until a random moment and SIGKILLs it (crash-safety tests of the fs
// keystore and of key rings). The child prints "ready" once it is set up; its other stdout lines
// (what it saw succeed) are returned. Expects the child to be killed, never to exit by itself.

import { type ChildProcess, spawn } from "node:child_process";
import { expect } from "vitest";

/** Runs `node script ...args`, SIGKILLs it `delayMs` after it printed "ready", returns its lines. */
export async function runAndKill(
  script: string,
  args: string[],
  delayMs: number,
): Promise<string[]> {
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.startsWith("ready\n")) resolve();
    });
    child.on("exit", () => reject(new Error(`child exited before it was killed: ${err}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  killNow(child);
  await exited;
  expect(child.signalCode, `child stderr: ${err}`).toBe("SIGKILL");
  // The last line may be cut off by the kill: only complete lines count.
  const lines = out.split("\n");
  lines.pop();
  return lines.slice(1);
}

function killNow(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}
