// The client library against a real server (started from the built CLI) with two endpoints, one
// of them down: fail-over, error values, paging, envelopes, and the audit stream.

import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeFixture, startFixtureServer } from "../../test/api/fixture.js";
import type { RunningServer } from "../../test/helpers/server.js";
import { KeyfrontClient } from "./client.js";
import { openEnvelope, sealEnvelope } from "./envelope.js";
import {
  ConnectionError,
  ErrDecrypt,
  ErrKeyExists,
  ErrKeyNotFound,
  ErrNotAllowed,
  ErrPolicyNotFound,
  isError,
} from "./errors.js";
import { normalizeEndpoint } from "./wire.js";

const f = makeFixture();
let server: RunningServer;
let downEndpoint: string;
const delays: number[] = [];

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

function client(who: "admin" | "ecdsa", endpoints = [downEndpoint, server.url]) {
  const c = f.clients[who];
  return new KeyfrontClient({
    endpoints,
    certPem: c.certPem,
    keyPem: c.keyPem,
    ca: f.serverCertPem,
    retry: {
      random: () => 0, // always start with the down endpoint
      sleep: async (ms) => {
        delays.push(ms);
      },
    },
  });
}

beforeAll(async () => {
  server = await startFixtureServer(f);
  downEndpoint = `127.0.0.1:${await closedPort()}`;
});
afterAll(async () => {
  await server?.stop();
});

describe("KeyfrontClient against a real server", () => {
  it("fails over from a down endpoint and benches it", async () => {
    const c = client("admin");
    delays.length = 0;
    await c.createKey("failover-key");
    expect(delays.length).toBe(2); // two same-endpoint retries on the dead one, then fail-over
    delays.length = 0;
    expect((await c.describeKey("failover-key")).name).toBe("failover-key");
    expect(delays.length).toBe(0); // the dead endpoint is benched now
    expect((await c.status()).endpoint).toBe(server.url);
    c.close();
  });

  it("reports a network error when every endpoint is down", async () => {
    const c = client("admin", [downEndpoint]);
    await expect(c.version()).rejects.toBeInstanceOf(ConnectionError);
    c.close();
  });

  it("returns error values comparable by status and message", async () => {
    const admin = client("admin");
    const app = client("ecdsa");
    await admin.createKey("errs");
    const cases: Array<[() => Promise<unknown>, typeof ErrKeyExists]> = [
      [() => admin.createKey("errs"), ErrKeyExists],
      [() => admin.describeKey("no-such-key"), ErrKeyNotFound],
      [() => app.deleteKey("errs"), ErrNotAllowed],
      [() => admin.decrypt("errs", Buffer.from("garbage-ciphertext")), ErrDecrypt],
      [() => admin.describePolicy("nope"), ErrPolicyNotFound],
    ];
    for (const [call, want] of cases) {
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isError(err, want), `${String(err)} should be ${want.message}`).toBe(true);
    }
    admin.close();
    app.close();
  });

  it("runs every endpoint", async () => {
    const c = client("admin");
    expect((await c.version()).version).toMatch(/\S/);
    expect(await c.ready()).toBe(true);
    expect(await c.metrics()).toContain("kes_http_request_success");
    expect((await c.api()).some((r) => r.path === "/v1/key/create/")).toBe(true);
    await c.importKey("imported", Buffer.alloc(32, 7));
    expect((await c.describeKey("imported")).algorithm).toBe("AES256");
    const dek = await c.generateKey("imported", "ctx");
    expect(dek.plaintext.length).toBe(32);
    expect((await c.decrypt("imported", dek.ciphertext, "ctx")).equals(dek.plaintext)).toBe(true);
    const ct = await c.encrypt("imported", "hello");
    expect((await c.decrypt("imported", ct)).toString()).toBe("hello");
    expect((await c.hmac("imported", "m")).length).toBe(32);
    expect(await c.listPolicies()).toEqual(["app", "reader"]);
    expect(Object.keys((await c.readPolicy("app")).allow ?? {})).toContain("/v1/status");
    expect(await c.listIdentities()).toContain(f.clients.admin.identity);
    expect((await c.describeIdentity(f.clients.ecdsa.identity)).policy).toBe("app");
    expect(await c.describeSelf()).toMatchObject({
      identity: f.clients.admin.identity,
      admin: true,
    });
    await c.deleteKey("imported");
    await expect(c.describeKey("imported")).rejects.toMatchObject({ status: 404 });
    c.close();
  });

  it("lists more than one page of keys completely", async () => {
    // Write stored values straight into the fs keystore: listing reads names only.
    const names = Array.from({ length: 1100 }, (_, i) => `page-${String(i).padStart(4, "0")}`);
    await Promise.all(
      names.map((n) => writeFile(join(server.dir, "keys", n), "x", { mode: 0o600 })),
    );
    const c = client("admin");
    const got: string[] = [];
    for await (const n of c.listKeys("page")) got.push(n);
    expect(got).toEqual(names);
    c.close();
  });

  it("seals and opens envelopes with context binding", async () => {
    const c = client("admin");
    await c.createKey("envelope-key");
    const data = Buffer.from("the quick brown fox".repeat(5000));
    const env = await sealEnvelope(c, "envelope-key", data, "bucket/object");
    expect((await openEnvelope(c, env, "bucket/object")).equals(data)).toBe(true);
    const wrong = await openEnvelope(c, env, "bucket/other").catch((e: unknown) => e);
    expect(isError(wrong, ErrDecrypt)).toBe(true);
    c.close();
  });

  it("streams audit events until aborted", async () => {
    const c = client("admin");
    const controller = new AbortController();
    const events: string[] = [];
    const reading = (async () => {
      for await (const e of c.auditLog(controller.signal)) {
        events.push(e.request.path);
        if (e.request.path === "/v1/key/describe/failover-key") controller.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    await c.describeKey("failover-key");
    await reading;
    expect(events).toContain("/v1/key/describe/failover-key");
    c.close();
  });
});

describe("request bounds", () => {
  it("time a stream's first answer only: the audit stream outlives the request timeout", async () => {
    const c = client("admin", [server.url]);
    const short = new KeyfrontClient({
      endpoints: [server.url],
      certPem: f.clients.admin.certPem,
      keyPem: f.clients.admin.keyPem,
      ca: f.serverCertPem,
      timeoutMs: 300,
    });
    const controller = new AbortController();
    const events: string[] = [];
    const reading = (async () => {
      for await (const e of short.auditLog(controller.signal)) {
        events.push(e.request.path);
        if (e.request.path === "/v1/key/describe/stream-key") controller.abort();
      }
    })();
    await c.createKey("stream-key");
    await new Promise((r) => setTimeout(r, 1_000)); // well past the stream's 300 ms timeout
    while (!controller.signal.aborted) {
      await c.describeKey("stream-key");
      await Promise.race([reading, new Promise((r) => setTimeout(r, 200))]);
    }
    await reading;
    expect(events).toContain("/v1/key/describe/stream-key");
    c.close();
    short.close();
  });
});

describe("normalizeEndpoint (kes-api.md §11.3)", () => {
  it.each([
    ["127.0.0.1:7373", "https://127.0.0.1:7373"],
    [" http://kes.example:7373 ", "https://kes.example:7373"],
    ["https://kes.example", "https://kes.example"],
    ["[::1]:7373", "https://[::1]:7373"],
  ])("%s", (input, want) => {
    expect(normalizeEndpoint(input)).toBe(want);
  });
  it("rejects a path", () => {
    expect(() => normalizeEndpoint("kes.example/v1")).toThrow(/invalid endpoint/);
  });
});
