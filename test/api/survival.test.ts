// The process survives what escapes a request (hardening issue #8, item 2), driven through the
// real CLI: a fault injector loaded with `node --import` (test/helpers/fault-injector.mjs)
// causes an unhandled rejection and then an uncaught exception inside the real server process;
// workers are killed outright to make a crash loop. The service must keep answering on its one
// address throughout, and the crashing bodies of the issue must not stop any worker.

import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ROOT, type RunningServer } from "../helpers/server.js";
import { makeFixture, startFixtureServer } from "./fixture.js";

const INJECTOR = ["--import", join(ROOT, "test/helpers/fault-injector.mjs")];
const running: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

async function waitFor(check: () => boolean, what: string, tries = 400): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The pids the fault injector announced, per role ("main", "worker 1", …), oldest first. */
function pids(s: RunningServer): { pid: number; role: string }[] {
  return [...s.stderr().matchAll(/^fault-injector: pid (\d+) (.+)$/gm)].map((m) => ({
    pid: Number(m[1]),
    role: m[2] ?? "",
  }));
}
const workerPids = (s: RunningServer) => pids(s).filter((p) => p.role.startsWith("worker"));
const count = (s: RunningServer, re: RegExp) => (s.stderr().match(re) ?? []).length;

async function answers(s: RunningServer): Promise<void> {
  const r = await s.request({}, "GET", "/version");
  expect(r.status).toBe(200);
}

/** Waits until the address is served again (the injector speaks before its worker listens). */
async function servedAgain(s: RunningServer): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const r = await s.request({}, "GET", "/version").catch((e: NodeJS.ErrnoException) => e);
    if (!(r instanceof Error)) return void expect(r.status).toBe(200);
    expect(r.code).toBe("ECONNREFUSED");
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error("the address was not served again");
}

describe("single process: the last-resort handlers", () => {
  it("logs an unhandled rejection and keeps serving; drains and exits 1 on an uncaught exception", async () => {
    const f = makeFixture();
    const s = await startFixtureServer(f, "", INJECTOR);
    running.push(s);
    const main = pids(s).find((p) => p.role === "main");
    expect(main?.pid).toBe(s.proc.pid);

    s.proc.kill("SIGUSR2");
    await waitFor(() => s.stderr().includes("unhandled promise rejection"), "the rejection log");
    expect(s.stderr()).toMatch(
      /"message":"injected rejection".*"msg":"unhandled promise rejection; the server keeps serving"/,
    );
    await answers(s);
    expect(s.proc.exitCode).toBeNull();

    s.proc.kill("SIGUSR2");
    expect(await s.exited).toBe(1);
    expect(s.stderr()).toMatch(
      /"message":"injected exception".*"msg":"uncaught exception; draining and exiting"/,
    );
    expect(s.stderr()).toContain("=> Stopping server... Goodbye.");
  });
});

describe("server.workers: 2", () => {
  it("survives the issue's crashing bodies sent many times over", async () => {
    const f = makeFixture();
    const s = await startFixtureServer(f, "server:\n  workers: 2\n");
    running.push(s);
    const admin = f.clients.admin;
    expect((await s.request(admin, "POST", "/v1/key/create/w")).status).toBe(200);
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all(
        ['{"a\\u0001":1}', '{"€":1}', '{"a\\u0001":1}', '{"€":1}'].map((body) =>
          s.request(admin, "POST", "/v1/key/encrypt/w", body),
        ),
      );
      expect(answers.map((r) => r.status)).toEqual([400, 400, 400, 400]);
    }
    await answers(s);
    expect(s.stderr()).not.toContain("exited");
    expect(s.proc.exitCode).toBeNull();
  });

  it("restarts dying workers for good, with a growing delay, on the same address", async () => {
    const f = makeFixture();
    const s = await startFixtureServer(f, "server:\n  workers: 2\n", INJECTOR);
    running.push(s);
    await waitFor(() => workerPids(s).length === 2, "two workers");

    // A worker's uncaught exception ends that worker only; the primary restarts it.
    const first = workerPids(s)[0];
    process.kill(first?.pid ?? 0, "SIGUSR2");
    await waitFor(() => s.stderr().includes("unhandled promise rejection"), "the rejection log");
    await answers(s);
    process.kill(first?.pid ?? 0, "SIGUSR2");
    await waitFor(() => workerPids(s).length === 3, "the replacement of the failed worker");
    await answers(s);

    // A crash loop: more deaths than the old limit of 5 a minute, the same slot again and again.
    for (let i = 0; i < 5; i++) {
      const known = workerPids(s).length;
      const youngest = workerPids(s).at(-1);
      process.kill(youngest?.pid ?? 0, "SIGKILL");
      await waitFor(() => workerPids(s).length === known + 1, `replacement ${i + 1}`);
      await answers(s);
    }
    expect(s.stderr()).toMatch(/keyfront: worker \d exited \(1\); restarting it in 0 ms/);
    const delays = [...s.stderr().matchAll(/restarting it in (\d+) ms/g)].map((m) => Number(m[1]));
    // one slot died 1 + 5 times in a row: no wait, then a doubling backoff
    expect(delays).toEqual([0, 250, 500, 1000, 2000, 4000]);

    // Every worker dead at once: the service comes back on the same port.
    const latest = new Map(workerPids(s).map((w) => [w.role, w.pid]));
    const alive = [...latest.values()];
    expect(alive).toHaveLength(2);
    const before = workerPids(s).length;
    for (const pid of alive) process.kill(pid, "SIGKILL");
    // slot 2 restarts at once; slot 1, after its sixth death in a row, only in 8 s
    await waitFor(() => workerPids(s).length === before + 1, "a replacement");
    expect(count(s, /keyfront: worker \d exited/g)).toBe(8);
    // The two deaths reach the primary in either order; either way the other slot is back at
    // once, so the 8 s wait is not a gap in service.
    expect(s.stderr()).toContain("(SIGKILL); restarting it in 8000 ms\n");
    await servedAgain(s);
    // The only running worker dies while the looping slot still waits: now there is a gap.
    const lone = workerPids(s).at(-1);
    process.kill(lone?.pid ?? 0, "SIGKILL");
    await waitFor(
      () => /restarting it in 250 ms; no worker is running until then/.test(s.stderr()),
      "the gap reported",
    );
    await servedAgain(s);
    expect(s.proc.exitCode).toBeNull();
    expect(s.stderr()).not.toContain("too many restarts");
  });
});
