// Clients that hang up without waiting for their answer (issue 8 item 2), over real TLS against
// the real server: the request still has its audit event, and it ends as far as the server's
// bookkeeping goes (kes_http_request_active, a reload's in-flight count). Node never emits
// "finish" or "close" for a pipelined response still queued when its connection goes away, so
// before this was fixed a DELETE sent that way (or simply followed by a hang-up) removed the key
// without any audit event, and every such request stayed "active" for ever.

import { afterAll, beforeAll, expect, it } from "vitest";
import { connectTo, type RunningServer } from "../helpers/server.js";
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

/**
 * Writes `requests` on one fresh TLS connection as the admin and hangs up at once (a FIN right
 * behind them, so the server reads every request before it sees the hang-up).
 */
function sendAndHangUp(requests: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = connectTo(s, f.clients.admin);
    sock.once("secureConnect", () => sock.end(requests));
    sock.on("data", () => {});
    sock.once("close", () => resolve());
    sock.once("error", reject);
  });
}

const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`;
const del = (name: string) => `DELETE /v1/key/delete/${name} HTTP/1.1\r\nHost: localhost\r\n\r\n`;

const auditLines = (path: string) =>
  s
    .stdout()
    .split("\n")
    .filter((l) => l.includes(`"path":"${path}"`));

async function activeRequests(): Promise<number> {
  const text = (await s.request(f.clients.admin, "GET", "/v1/metrics")).body;
  return Number(/^kes_http_request_active (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

async function keyIsGone(name: string): Promise<boolean> {
  return (await s.request(f.clients.admin, "GET", `/v1/key/describe/${name}`)).status === 404;
}

it("audits a delete whose client hung up before the answer", async () => {
  expect((await s.request(f.clients.admin, "POST", "/v1/key/create/hangup-1")).status).toBe(200);
  await sendAndHangUp(del("hangup-1"));
  await expect.poll(() => keyIsGone("hangup-1"), { timeout: 10_000 }).toBe(true);
  await expect
    .poll(() => auditLines("/v1/key/delete/hangup-1").length, { timeout: 10_000 })
    .toBe(1);
  expect(auditLines("/v1/key/delete/hangup-1")[0]).toContain(f.clients.admin.identity);
});

it("audits and ends pipelined requests still queued when the connection went away", async () => {
  expect((await s.request(f.clients.admin, "POST", "/v1/key/create/hangup-2")).status).toBe(200);
  await sendAndHangUp(get("/v1/key/list/hangup-*").repeat(50) + del("hangup-2"));
  await expect.poll(() => keyIsGone("hangup-2"), { timeout: 10_000 }).toBe(true);
  await expect
    .poll(() => auditLines("/v1/key/delete/hangup-2").length, { timeout: 10_000 })
    .toBe(1);
  expect(auditLines("/v1/key/list/hangup-*")).toHaveLength(50);
  // Every one of them has ended: none is left "active" for ever.
  await expect.poll(activeRequests, { timeout: 10_000 }).toBe(0);
  expect((await s.request({}, "GET", "/version")).status).toBe(200);
});
