// How a request declares its body, over real mTLS against the real server, written byte for byte:
// the server reads Content-Length and Transfer-Encoding from the raw header list (body.ts
// declaredBody), so header names in any case must count, a chunked body must be read whole, a
// declared length over the route's cap must be refused before the body arrives, and a body sent to
// a route that reads none must close the connection after the answer (it is not drained).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_GENERATE_BODY_BYTES } from "../../internal/limits.js";
import { connectTo, type RunningServer } from "../helpers/server.js";
import { type Fixture, makeFixture, startFixtureServer } from "./fixture.js";

let f: Fixture;
let s: RunningServer;
let decryptBody: string;
const b64 = (v: string) => Buffer.from(v).toString("base64");

beforeAll(async () => {
  f = makeFixture();
  s = await startFixtureServer(f);
  const admin = f.clients.admin;
  expect((await s.request(admin, "POST", "/v1/key/create/framing")).status).toBe(200);
  const enc = await s.request(
    admin,
    "POST",
    "/v1/key/encrypt/framing",
    JSON.stringify({ plaintext: b64("framed secret") }),
  );
  expect(enc.status).toBe(200);
  decryptBody = JSON.stringify({ ciphertext: (enc.json() as { ciphertext: string }).ciphertext });
});

afterAll(async () => {
  await s?.stop();
});

interface Answer {
  status: number;
  /** Header names lowercased. */
  headers: Map<string, string>;
  body: string;
}

/**
 * Writes `request` on a fresh TLS connection as the admin client, in the pieces given (each
 * written once the one before has gone out), and resolves with the first complete answer.
 */
function raw(...pieces: string[]): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const sock = connectTo(s, f.clients.admin);
    let text = "";
    sock.once("secureConnect", () => {
      const next = (i: number) => {
        if (i < pieces.length) sock.write(pieces[i] as string, () => setTimeout(next, 20, i + 1));
      };
      next(0);
    });
    sock.on("data", (c: Buffer) => {
      text += c.toString("latin1");
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return;
      const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
      const headers = new Map(
        lines.map((l) => [
          l.slice(0, l.indexOf(":")).toLowerCase(),
          l.slice(l.indexOf(":") + 1).trim(),
        ]),
      );
      const length = Number(headers.get("content-length"));
      if (text.length < end + 4 + length) return;
      sock.destroy();
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine as string)?.[1]),
        headers,
        body: text.slice(end + 4, end + 4 + length),
      });
    });
    sock.on("error", () => {}); // the close below decides
    sock.on("close", () =>
      reject(new Error(`closed without a whole answer: ${JSON.stringify(text)}`)),
    );
  });
}

const head = (method: string, path: string, ...headers: string[]) =>
  `${method} ${path} HTTP/1.1\r\nHost: localhost\r\n${headers.map((h) => `${h}\r\n`).join("")}\r\n`;

describe("request bodies by how they are declared", () => {
  it.each(["Content-Length", "content-length", "CONTENT-LENGTH", "cOnTeNt-LeNgTh"])(
    "reads a body declared with '%s'",
    async (name) => {
      const r = await raw(
        head("POST", "/v1/key/decrypt/framing", `${name}: ${decryptBody.length}`) + decryptBody,
      );
      expect([r.status, JSON.parse(r.body)]).toEqual([200, { plaintext: b64("framed secret") }]);
      expect(r.headers.get("connection")).not.toBe("close");
    },
  );

  it.each(["Transfer-Encoding", "TRANSFER-ENCODING"])(
    "reads a chunked body declared with '%s', sent in pieces",
    async (name) => {
      const half = Math.floor(decryptBody.length / 2);
      const chunk = (t: string) => `${t.length.toString(16)}\r\n${t}\r\n`;
      const r = await raw(
        head("POST", "/v1/key/decrypt/framing", `${name}: chunked`),
        chunk(decryptBody.slice(0, half)),
        `${chunk(decryptBody.slice(half))}0\r\n\r\n`,
      );
      expect([r.status, JSON.parse(r.body)]).toEqual([200, { plaintext: b64("framed secret") }]);
    },
  );

  it("refuses a declared length over the route's cap before any of the body arrives", async () => {
    // Nothing of the body is ever sent: the answer can only come from the declared length.
    const r = await raw(
      head("POST", "/v1/key/generate/framing", `content-LENGTH: ${MAX_GENERATE_BODY_BYTES + 1}`),
    );
    expect([r.status, r.body]).toEqual([400, '{"message":"invalid request body"\n}']);
    expect(r.headers.get("connection")).toBe("close");
  });

  it("answers a declared empty body as no body at all", async () => {
    const r = await raw(head("POST", "/v1/key/generate/framing", "Content-Length: 0"));
    expect(r.status).toBe(200);
    expect(Object.keys(JSON.parse(r.body))).toEqual(["plaintext", "ciphertext", "version"]);
    expect(r.headers.get("connection")).not.toBe("close");
  });

  it.each([
    ["a length", ["CONTENT-LENGTH: 5"], "hello"],
    ["chunks", ["transfer-encoding: chunked"], "5\r\nhello\r\n0\r\n\r\n"],
  ])("closes the connection after answering a body-less route sent %s", async (_what, hs, body) => {
    const r = await raw(head("GET", "/v1/status", ...hs) + body);
    expect(r.status).toBe(200);
    expect(r.headers.get("connection")).toBe("close");
  });

  it("keeps the connection of a body-less route sent none, or an empty one", async () => {
    for (const hs of [[], ["Content-Length: 0"]]) {
      const r = await raw(head("GET", "/v1/status", ...hs));
      expect(r.status).toBe(200);
      expect(r.headers.get("connection")).toBe("keep-alive");
    }
  });
});
