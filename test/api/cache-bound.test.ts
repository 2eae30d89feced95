// `cache.max_keys` over real TLS: with room for two keys, the least recently used cached key is
// evicted. Deleting key files behind the server's back shows which keys it still serves from its
// cache (evicted ones answer 404, cached ones keep answering 200).

import { unlink } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunningServer } from "../helpers/server.js";
import { type Fixture, makeFixture, startFixtureServer } from "./fixture.js";

let f: Fixture;
let s: RunningServer;
beforeAll(async () => {
  f = makeFixture();
  s = await startFixtureServer(f, "cache:\n  max_keys: 2\n");
});
afterAll(async () => {
  await s?.stop();
});

it("keeps at most cache.max_keys keys, evicting the least recently used", async () => {
  const admin = f.clients.admin;
  const generate = async (name: string) =>
    (await s.request(admin, "POST", `/v1/key/generate/${name}`, "{}")).status;
  for (const name of ["lru-a", "lru-b", "lru-c"]) {
    expect((await s.request(admin, "POST", `/v1/key/create/${name}`)).status).toBe(200);
  }
  expect(await generate("lru-a")).toBe(200);
  expect(await generate("lru-b")).toBe(200);
  expect(await generate("lru-a")).toBe(200); // a is now more recently used than b
  expect(await generate("lru-c")).toBe(200); // evicts b
  for (const name of ["lru-a", "lru-b", "lru-c"]) await unlink(join(s.dir, "keys", name));
  expect(await generate("lru-a")).toBe(200);
  expect(await generate("lru-c")).toBe(200);
  expect(await generate("lru-b")).toBe(404);
});
