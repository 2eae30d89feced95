// Log-stream subscribers are bounded per log and process (LOG_STREAM_MAX_SUBSCRIBERS): over real
// TLS, the first streams of /v1/log/audit are served and deliver, the next one is refused with a
// KES-style 503 body, the error log has its own slots, and a closed stream frees its slot.

import type { ClientRequest, IncomingMessage } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import { LOG_STREAM_MAX_SUBSCRIBERS } from "../../internal/limits.js";
import { type RunningServer, requestTo } from "../helpers/server.js";
import { type Fixture, makeFixture, startFixtureServer } from "./fixture.js";

let f: Fixture;
let s: RunningServer;
const open: ClientRequest[] = [];
beforeAll(async () => {
  f = makeFixture();
  s = await startFixtureServer(f);
});
afterAll(async () => {
  for (const req of open) req.destroy();
  await s?.stop();
});

interface Stream {
  req: ClientRequest;
  res: IncomingMessage;
  status: number;
  text: () => string;
  ended: Promise<void>;
}

/** Opens a log stream as the admin and resolves at its response headers. */
function openStream(path: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = requestTo(s, f.clients.admin, "GET", path);
    open.push(req);
    req.on("error", reject);
    req.on("response", (res) => {
      let text = "";
      res.on("data", (c: Buffer) => {
        text += c.toString();
      });
      res.on("error", () => {});
      const ended = new Promise<void>((done) => res.on("end", done));
      resolve({ req, res, status: res.statusCode ?? 0, text: () => text, ended });
    });
    req.end();
  });
}

const waitUntil = async (what: string, ok: () => Promise<boolean>) => {
  for (let i = 0; i < 200; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
};

it("serves LOG_STREAM_MAX_SUBSCRIBERS streams per log and answers 503 beyond", async () => {
  expect(LOG_STREAM_MAX_SUBSCRIBERS).toBe(32);
  const streams: Stream[] = [];
  for (let i = 0; i < LOG_STREAM_MAX_SUBSCRIBERS; i++)
    streams.push(await openStream("/v1/log/audit"));
  expect(streams.map((st) => st.status)).toEqual(streams.map(() => 200));

  const refused = await openStream("/v1/log/audit");
  await refused.ended;
  const body = refused.text();
  expect([refused.status, body]).toEqual([
    503,
    '{"message":"too many log streams: at most 32 per log and server process"\n}',
  ]);

  // The error log is counted apart.
  expect((await openStream("/v1/log/error")).status).toBe(200);

  // Every admitted stream still delivers.
  expect((await s.request(f.clients.admin, "GET", "/v1/status")).status).toBe(200);
  await waitUntil("the audit event on every stream", async () =>
    streams.every((st) => st.text().includes('"/v1/status"')),
  );

  // A stream that closes frees its slot.
  streams[0]?.req.destroy();
  await waitUntil("a free slot", async () => {
    const next = await openStream("/v1/log/audit");
    if (next.status !== 200) next.req.destroy();
    return next.status === 200;
  });
});
