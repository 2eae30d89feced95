// The audit log on the real server's stdout: every request's line arrives whole, once, by the
// time SIGTERM's shutdown ends, and a stdout nobody reads any more stops the server with the
// reason on stderr instead of dropping events. (Reusing a buffer before it was written is caught
// by internal/log/audit-writer.test.ts, where writes can be made to wait.)

import { expect, it } from "vitest";
import { makeFixture, startFixtureServer } from "./fixture.js";

it("writes every request's audit line, whole and once, by the end of shutdown", async () => {
  const f = makeFixture();
  const s = await startFixtureServer(f);
  const app = f.clients.ecdsa;
  const n = 400;
  const paths = Array.from({ length: n }, (_, i) => `/v1/key/describe/app-audit-${i}`);
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const path = paths[next++] as string;
      expect((await s.request(app, "GET", path)).status).toBe(404);
    }
  };
  await Promise.all(Array.from({ length: 16 }, lane));
  expect(await s.stop()).toBe(0);
  const lines = s.stdout().split("\n");
  expect(lines.pop()).toBe("");
  const seen = lines.map((l) => JSON.parse(l) as { request: { path: string; identity: string } });
  const ours = seen.filter((e) => e.request.path.startsWith("/v1/key/describe/app-audit-"));
  expect(ours.map((e) => e.request.path).sort()).toEqual([...paths].sort());
  for (const e of ours) expect(e.request.identity).toBe(app.identity);
});

it("exits 1 and says why when nobody reads its stdout any more", async () => {
  const f = makeFixture();
  const s = await startFixtureServer(f);
  try {
    s.proc.stdout?.destroy(); // the reading end: the next write to fd 1 gets EPIPE
    // A request is answered, then its audit line cannot be written.
    await s.request(f.clients.ecdsa, "GET", "/v1/status").catch(() => undefined);
    const code = await Promise.race([
      s.exited,
      new Promise((r) => setTimeout(() => r("still running"), 15_000)),
    ]);
    expect(code).toBe(1);
    expect(s.stderr()).toMatch(/audit log: writing to fd 1 failed: EPIPE/);
    expect(s.stderr()).toMatch(/uncaught exception; draining and exiting/);
  } finally {
    await s.stop();
  }
});
