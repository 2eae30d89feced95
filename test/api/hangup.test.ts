// A client that hangs up while its request waits on the fs keystore is not a keystore failure.
// The key file is a FIFO, so the store's read blocks until the test writes the value: two
// describes of the key wait on one load (a leader and a waiter), both clients hang up, and the
// error log must hold no ERROR line; once the value arrives the load completes and is cached.

import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { encodeKeyVersion } from "../../internal/crypto/key-encoding.js";
import { generateKeyVersion } from "../../internal/crypto/key-version.js";
import { type RunningServer, requestTo } from "../helpers/server.js";
import { type Fixture, makeFixture, startFixtureServer } from "./fixture.js";

let f: Fixture;
let s: RunningServer;
beforeAll(async () => {
  f = makeFixture();
  s = await startFixtureServer(f);
});
afterAll(async () => {
  await s?.stop();
});

function hangingRequest(path: string): () => void {
  const req = requestTo(s, f.clients.admin, "GET", path);
  req.on("error", () => {});
  req.end();
  return () => req.destroy();
}

async function activeRequests(): Promise<number> {
  const text = (await s.request(f.clients.admin, "GET", "/v1/metrics")).body;
  return Number(/^kes_http_request_active (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

async function until(what: string, ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

it("does not log a hang-up while the fs keystore read is blocked as a keystore failure", async () => {
  const fifo = join(s.dir, "keys", "blocked");
  execFileSync("mkfifo", [fifo]);
  const leader = hangingRequest("/v1/key/describe/blocked");
  const waiter = hangingRequest("/v1/key/describe/blocked");
  await until("both requests to wait on the store", async () => (await activeRequests()) === 2);
  waiter();
  leader();
  await until("both requests to end", async () => (await activeRequests()) === 0);

  // Unblock the store's read with a real key value: the load completes and is cached.
  await writeFile(fifo, encodeKeyVersion(generateKeyVersion("AES256", f.clients.admin.identity)));
  await until("the key to be served", async () => {
    const r = await s.request(f.clients.admin, "GET", "/v1/key/describe/blocked");
    return r.status === 200;
  });
  const errors = s
    .stderr()
    .split("\n")
    .filter((l) => l.includes('"level":50'));
  expect(errors).toEqual([]);
  expect((await s.request(f.clients.admin, "GET", "/v1/ready")).status).toBe(200);
});
