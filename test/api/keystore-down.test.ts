// What clients see when the keystore cannot be reached: /v1/ready 504, /v1/status with both
// keystore_unavailable and keystore_unreachable (what the KES SDK requires), cached keys still
// serving, misses failing with 502 — and recovery without a restart.

import { mkdir, rename } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunningServer } from "../helpers/server.js";
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

it("reports an unreachable keystore truthfully and recovers when it returns", async () => {
  const admin = f.clients.admin;
  await s.request(admin, "POST", "/v1/key/create/cached");
  await s.request(admin, "POST", "/v1/key/create/uncached");
  expect((await s.request(admin, "POST", "/v1/key/generate/cached", "{}")).status).toBe(200);

  const keys = join(s.dir, "keys");
  await rename(keys, `${keys}.away`);
  const ready = await s.request(admin, "GET", "/v1/ready");
  expect([ready.status, ready.body]).toEqual([504, '{"message":"key store is not reachable"\n}']);
  const status = (await s.request(admin, "GET", "/v1/status")).json() as Record<string, unknown>;
  expect(status).toMatchObject({ keystore_unavailable: true, keystore_unreachable: true });
  expect(status.keystore_latency).toBeUndefined();

  expect((await s.request(admin, "POST", "/v1/key/generate/cached", "{}")).status).toBe(200);
  const miss = await s.request(admin, "POST", "/v1/key/generate/uncached", "{}");
  expect([miss.status, miss.body]).toEqual([502, '{"message":"failed to read key"\n}']);
  expect(s.stderr()).toContain("keystore: failed to read key");

  await rename(`${keys}.away`, keys);
  expect((await s.request(admin, "GET", "/v1/ready")).status).toBe(200);
  expect((await s.request(admin, "POST", "/v1/key/generate/uncached", "{}")).status).toBe(200);
  await mkdir(keys, { recursive: true });
});
