// Pipelined requests (issue 8 item 4, bounded cost per request), over real TLS against the real
// server: Node parses pipelined requests ahead of their answers, so a policy identity that sends
// requests and never reads the answers could keep thousands of them in progress on one
// connection (measured before the bound: ~16,000 and +270 MB). More than MAX_PIPELINED_REQUESTS
// in progress closes that connection; a moderate pipeline is answered in full.

import { afterAll, beforeAll, expect, it } from "vitest";
import { MAX_PIPELINED_REQUESTS } from "../../internal/limits.js";
import { connectTo, type RunningServer } from "../helpers/server.js";
import { type Client, type Fixture, makeFixture, startFixtureServer } from "./fixture.js";

let f: Fixture;
let s: RunningServer;
beforeAll(async () => {
  f = makeFixture();
  s = await startFixtureServer(f);
  expect((await s.request(f.clients.ecdsa, "POST", "/v1/key/create/app-pipe")).status).toBe(200);
});
afterAll(async () => {
  await s?.stop();
});

const describe = "GET /v1/key/describe/app-pipe HTTP/1.1\r\nHost: localhost\r\n\r\n";

/**
 * Writes `count` pipelined requests in one go as `client`, reads whatever comes back and resolves
 * when the server closes the connection or, if it answered all of them, when we end it.
 */
function pipeline(
  client: Client,
  count: number,
): Promise<{ answers: number; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const sock = connectTo(s, client);
    let text = "";
    let answers = 0;
    let endedByUs = false;
    sock.once("secureConnect", () => sock.write(describe.repeat(count)));
    sock.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      answers = text.split("HTTP/1.1 200 OK").length - 1;
      if (answers === count && !endedByUs) {
        endedByUs = true;
        sock.end();
      }
    });
    sock.once("close", () => resolve({ answers, closedByServer: !endedByUs }));
    sock.once("error", (err: NodeJS.ErrnoException) => {
      // The server's close may reach us as a reset while we still have data in flight.
      if (err.code !== "ECONNRESET" && err.code !== "EPIPE") reject(err);
    });
  });
}

/** Sends `count` requests one after another on one keep-alive connection; resolves the 200s. */
function sequential(client: Client, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = connectTo(s, client);
    let text = "";
    let ok = 0;
    sock.once("secureConnect", () => sock.write(describe));
    sock.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      // Each answer is a small JSON body ending in "}\n" (describe nests the key's versions, so
      // not at its first "}"): the next request goes once this one's body has come.
      while (text.includes("}\n")) {
        ok += text.startsWith("HTTP/1.1 200 OK") ? 1 : 0;
        text = text.slice(text.indexOf("}\n") + 2).replace(/^\s+/, "");
        if (ok === count) sock.end();
        else sock.write(describe);
      }
    });
    sock.once("close", () => resolve(ok));
    sock.once("error", reject);
  });
}

it("serves many more requests than the bound one after another on one connection", async () => {
  // Every answered request leaves the count: only requests in progress at once are bounded.
  expect(await sequential(f.clients.ecdsa, 3 * MAX_PIPELINED_REQUESTS)).toBe(
    3 * MAX_PIPELINED_REQUESTS,
  );
});

it("answers a moderate pipeline in full on one connection", async () => {
  const r = await pipeline(f.clients.ecdsa, MAX_PIPELINED_REQUESTS / 2);
  expect(r).toEqual({ answers: MAX_PIPELINED_REQUESTS / 2, closedByServer: false });
});

it("closes a connection that pipelines more requests than it waits for, and keeps serving", async () => {
  const r = await pipeline(f.clients.ecdsa, 2_000);
  expect(r.closedByServer).toBe(true);
  expect(r.answers).toBeLessThan(2_000);
  await expect
    .poll(() => s.stderr(), { timeout: 10_000 })
    .toMatch(/over the connection limit pipelined requests per connection/);
  // Other requests, and other connections of the same client, are served as before.
  expect((await s.request(f.clients.ecdsa, "GET", "/v1/key/describe/app-pipe")).status).toBe(200);
  expect((await s.request(f.clients.rsa, "GET", "/v1/key/describe/app-pipe")).status).toBe(200);
});
