// What the lifecycle commands do on a terminal, run under a real pseudo-terminal (util-linux
// `script`): `key purge` asks for the key's name and purges only when it is typed back, and
// `key rewrap` draws its progress bar on stderr. The CLI is the built one, the server real (mTLS).

import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI } from "../helpers/server.js";
import { cleanEnv, expectOneLine, kf } from "./cli-helpers.js";
import { useLifecycleEnv } from "./lifecycle-env.js";

const env = useLifecycleEnv("keyfront-cli-tty-");
const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/** The CLI on a pseudo-terminal (stdin, stdout and stderr all on it), typing `typed`. */
function onTerminal(args: string[], typed: string): Promise<{ code: number | null; out: string }> {
  const command = [process.execPath, CLI, ...args].map(quote).join(" ");
  return new Promise((resolve, reject) => {
    const proc = spawn("script", ["-qec", command, "/dev/null"], {
      env: { ...process.env, ...cleanEnv(env.admin), TERM: "dumb" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    proc.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    proc.stderr.on("data", (c: Buffer) => {
      out += c.toString();
    });
    proc.on("error", reject);
    proc.on("exit", (code) => resolve({ code, out }));
    proc.stdin.end(typed);
  });
}

describe("on a terminal", () => {
  it("key purge asks for the name; only the typed-back name purges", async () => {
    await kf(["key", "create", "tty-a"], env.admin);
    await kf(["key", "rm", "tty-a"], env.admin);

    const wrong = await onTerminal(["key", "purge", "tty-a"], "tty-b\n");
    expect(wrong.out).toContain(
      "Purge key 'tty-a' and every version of it for good? Type its name to confirm:",
    );
    expect(wrong.out).toContain("keyfront: not confirmed: key 'tty-a' was kept");
    expect(wrong.code).toBe(1);
    expect((await kf(["key", "restore", "tty-a"], env.admin)).code).toBe(0);
    await kf(["key", "rm", "tty-a"], env.admin);

    const right = await onTerminal(["key", "purge", "tty-a"], "tty-a\n");
    expect(right.code, right.out).toBe(0);
    const gone = await kf(["key", "restore", "tty-a"], env.admin);
    expect([gone.code, expectOneLine(gone.stderr)]).toEqual([1, "keyfront: key does not exist"]);
  });

  it("key rewrap draws a progress bar on stderr and ends with the count", async () => {
    await env.client.createKey("tty-rw");
    const lines: string[] = [];
    for (let i = 0; i < 20; i++)
      lines.push((await env.client.generateKey("tty-rw")).ciphertext.toString("base64"));
    await env.client.rotateKey("tty-rw");
    const input = join(env.dir, "tty-in.txt");
    await writeFile(input, `${lines.join("\n")}\n`);
    const r = await onTerminal(
      ["key", "rewrap", "tty-rw", input, "-o", join(env.dir, "tty-out.txt")],
      "",
    );
    expect(r.code, r.out).toBe(0);
    const CLEAR_LINE = "\r\u001b[2K";
    expect(r.out).toContain(`${CLEAR_LINE}keyfront: rewrapping [`);
    expect(r.out).toMatch(/keyfront: rewrapping \[[#.]{30}\] \d+% \d+ lines, \d+ lines\/s/);
    expect(r.out).toMatch(/keyfront: rewrapped 20 lines in [\d.]+ s \(\d+ lines\/s\)/);
  });
});
