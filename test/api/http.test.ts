// HTTP-level behaviour over real mTLS: path normalisation and policy evasion attempts, methods,
// unknown paths, body limits and malformed bodies, listing beyond 1,024 keys, the system
// endpoints and the live log streams. The server must answer 4xx and keep serving throughout.

import { request as httpsRequest } from "node:https";
import { connect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../helpers/server.js";
import { type Fixture, makeFixture, startFixtureServer } from "./fixture.js";

let f: Fixture;
let s: RunningServer;
const b64 = (v: string | Buffer) => Buffer.from(v).toString("base64");
const err = (message: string) => `{"message":${JSON.stringify(message)}\n}`;

beforeAll(async () => {
  f = makeFixture();
  s = await startFixtureServer(f, "api:\n  /v1/key/list/:\n    timeout: 30s\n");
  await s.request(f.clients.admin, "POST", "/v1/key/create/app-victim");
});

afterAll(async () => {
  await s?.stop();
});

/** Sends a raw request line (no client-side path normalisation) and returns the raw response. */
function raw(client: { certPem?: string; keyPem?: string }, requestText: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(
      {
        host: "127.0.0.1",
        port: s.port,
        ca: s.caPem,
        servername: "localhost",
        cert: client.certPem,
        key: client.keyPem,
      },
      () => {
        sock.end(requestText);
      },
    );
    let out = "";
    sock.on("data", (c: Buffer) => {
      out += c.toString("latin1");
    });
    sock.on("end", () => resolve(out));
    sock.on("error", reject);
  });
}

const statusOf = (response: string) => Number(response.split(" ")[1]);

describe("path normalisation before policy (kes-api.md §1.3)", () => {
  const app = () => f.clients.ecdsa;
  it.each([
    ["/v1/key/generate/app-x/../../delete/app-victim", "/v1/key/delete/app-victim"],
    ["/v1/key/generate/app-x/%2e%2e/%2e%2e/delete/app-victim", "/v1/key/delete/app-victim"],
    ["/v1/key/generate/app-x%2F..%2F..%2Fdelete%2Fapp-victim", "/v1/key/delete/app-victim"],
    ["//v1/key/delete/app-victim", "/v1/key/delete/app-victim"],
    ["/v1/./key/delete/app-victim", "/v1/key/delete/app-victim"],
  ])("%s is redirected to %s, never executed", async (path, location) => {
    const r = await raw(
      app(),
      `DELETE ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`,
    );
    expect(statusOf(r)).toBe(301);
    expect(r).toContain(`Location: ${location}\r\n`);
    expect((await s.request(f.clients.admin, "GET", "/v1/key/describe/app-victim")).status).toBe(
      200,
    );
  });

  it("evaluates policies on the decoded path (encoded letters cannot dodge a deny)", async () => {
    const r = await raw(
      app(),
      "PUT /v1/key/generate/app-%73ecret-1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    );
    expect(statusOf(r)).toBe(403);
    const del = await raw(
      app(),
      "DELETE /v1/key/%64elete/app-victim HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    expect(statusOf(del)).toBe(403);
  });

  it.each([
    ["/v1/key/create/a%00b", "request path contains a NUL byte"],
    ["/v1/key/create/%zz", "invalid URL escape in request path"],
    ["/v1/key/create/%C3", "invalid URL escape in request path"],
  ])("%s → 400", async (path, message) => {
    const r = await raw(
      f.clients.admin,
      `POST ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
    );
    expect(statusOf(r)).toBe(400);
    expect(r.endsWith(err(message))).toBe(true);
  });

  it("ignores query strings for routing and policy", async () => {
    const r = await s.request(app(), "GET", "/v1/key/describe/app-victim?x=/v1/key/delete/");
    expect(r.status).toBe(200);
  });

  it("redirects a prefix route without its slash and 404s unknown paths as text", async () => {
    const r = await raw(
      f.clients.admin,
      "GET /v1/key/list HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    expect(statusOf(r)).toBe(301);
    expect(r).toContain("Location: /v1/key/list/\r\n");
    const nf = await s.request(f.clients.admin, "GET", "/v1/nope");
    expect([nf.status, nf.headers["content-type"], nf.body]).toEqual([
      404,
      "text/plain; charset=utf-8",
      "404 page not found\n",
    ]);
  });
});

describe("methods", () => {
  it("answers a wrong method with 405 and an Accept header", async () => {
    const r = await s.request(f.clients.admin, "GET", "/v1/key/create/x");
    expect([r.status, r.headers.accept, r.body]).toEqual([
      405,
      "PUT",
      err("received method 'GET' expected 'PUT'"),
    ]);
    const h = await s.request(f.clients.admin, "PATCH", "/v1/key/delete/x");
    expect([h.status, h.headers.accept]).toEqual([405, "DELETE"]);
    const post = await s.request(f.clients.admin, "POST", "/v1/status");
    expect(post.body).toBe(err("received method 'POST' expected 'GET'"));
  });
});

describe("bodies", () => {
  const admin = () => f.clients.admin;
  it.each([
    ["malformed JSON", "{not json"],
    ["truncated JSON", '{"plaintext":"aGVsbG8='],
    ["unknown field", JSON.stringify({ plaintext: b64("x"), contxt: b64("c") })],
    ["URL-safe base64", JSON.stringify({ plaintext: "-_-_" })],
    ["unpadded base64", JSON.stringify({ plaintext: "aGVsbG8" })],
    ["number instead of base64", JSON.stringify({ plaintext: 5 })],
    ["array", "[]"],
    ["empty", ""],
  ])("%s → 400 invalid request body", async (_what, body) => {
    const r = await s.request(admin(), "POST", "/v1/key/encrypt/app-victim", body);
    expect([r.status, r.body]).toEqual([400, err("invalid request body")]);
  });

  it("accepts case-insensitive field names, null and CR/LF inside base64 as Go does", async () => {
    const r = await s.request(
      admin(),
      "POST",
      "/v1/key/encrypt/app-victim",
      `{"PlainText":"aGVs\\r\\nbG8=","context":null,"version":"v1"}`,
    );
    expect(r.status).toBe(200);
  });

  it("rejects a body over 1,000,000 bytes and keeps serving", async () => {
    const big = JSON.stringify({ plaintext: b64(Buffer.alloc(750_000)) });
    expect(big.length).toBeGreaterThan(1_000_000);
    const r = await s.request(admin(), "POST", "/v1/key/encrypt/app-victim", big);
    expect([r.status, r.body]).toEqual([400, err("invalid request body")]);
    const justFits = JSON.stringify({ plaintext: b64(Buffer.alloc(749_000)) });
    expect((await s.request(admin(), "POST", "/v1/key/encrypt/app-victim", justFits)).status).toBe(
      200,
    );
  });

  it("bounds a chunked body without a length too", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: "127.0.0.1",
          port: s.port,
          method: "POST",
          path: "/v1/key/encrypt/app-victim",
          ca: s.caPem,
          servername: "localhost",
          cert: admin().certPem,
          key: admin().keyPem,
          agent: false,
          headers: { "Transfer-Encoding": "chunked" },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      const pump = () => {
        while (sent < 2_000_000) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        req.end();
      };
      pump();
    }).catch(() => 400);
    expect(status).toBe(400);
    expect((await s.request(admin(), "GET", "/v1/status")).status).toBe(200);
  });
});

describe("listing beyond 1,024 keys", () => {
  it("lists every key, and pages with a continue_at that works", async () => {
    const admin = f.clients.admin;
    const names = Array.from({ length: 1100 }, (_, i) => `many-${String(i).padStart(4, "0")}`);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(
        names.slice(i, i + 50).map((n) => s.request(admin, "POST", `/v1/key/create/${n}`)),
      );
    }
    const all = (await s.request(admin, "GET", "/v1/key/list/many-*")).json() as {
      names: string[];
      continue_at?: string;
    };
    expect(all.names).toEqual(names);
    expect(all.continue_at).toBeUndefined();

    const seen: string[] = [];
    let next = "";
    for (let pages = 0; pages < 10; pages++) {
      const q = `?limit=500${next ? `&continue_at=${next}` : ""}`;
      const page = (await s.request(admin, "GET", `/v1/key/list/many-*${q}`)).json() as {
        names: string[];
        continue_at?: string;
      };
      seen.push(...page.names);
      if (!page.continue_at) break;
      next = page.continue_at;
    }
    expect(seen).toEqual(names);
  });
});

describe("system endpoints", () => {
  it("serves /version, /v1/status, /v1/ready, /v1/api and /v1/metrics", async () => {
    const admin = f.clients.admin;
    expect(Object.keys((await s.request(admin, "GET", "/version")).json() as object)).toEqual([
      "version",
      "commit",
    ]);
    const st = (await s.request(admin, "GET", "/v1/status")).json() as Record<string, unknown>;
    expect(st).toMatchObject({ os: process.platform });
    expect(typeof st.keystore_latency).toBe("number");
    expect(st.keystore_latency as number).toBeGreaterThan(0);
    expect(st.keystore_unreachable).toBeUndefined();
    expect((await s.request(admin, "GET", "/v1/ready")).status).toBe(200);
    const api = (await s.request(admin, "GET", "/v1/api")).json() as {
      method: string;
      path: string;
      max_body: number;
      timeout: number;
    }[];
    expect(api).toHaveLength(31); // KES's 23 and keyfront's 8 key-lifecycle routes (issue 10)
    expect(api).toContainEqual({
      method: "PUT",
      path: "/v1/key/generate/",
      max_body: 65_536, // a context only (hardening issue #8 item 4); KES: 1,000,000
      timeout: 15,
    });
    expect(api).toContainEqual({ method: "GET", path: "/v1/key/list/", max_body: 0, timeout: 30 });
    expect(api).toContainEqual({ method: "GET", path: "/v1/log/audit", max_body: 0, timeout: 0 });
    const m = await s.request(admin, "GET", "/v1/metrics");
    expect(m.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(m.body).toMatch(/^kes_http_request_success\{code="200"\} \d+$/m);
    expect(m.body).toMatch(/^kes_http_response_time_bucket\{le="\+Inf"\} \d+$/m);
    expect(m.body).toContain("kes_system_up_time");
  });
});

describe("log streams", () => {
  it("delivers audit events live to a subscriber allowed by policy", async () => {
    const c = f.clients.ecdsa;
    const lines: string[] = [];
    const req = httpsRequest({
      host: "127.0.0.1",
      port: s.port,
      path: "/v1/log/audit",
      ca: s.caPem,
      servername: "localhost",
      cert: c.certPem,
      key: c.keyPem,
      agent: false,
    });
    const got = new Promise<void>((resolve, reject) => {
      req.on("response", (res) => {
        expect(res.headers["content-type"]).toBe("application/x-ndjson");
        res.on("data", (chunk: Buffer) => {
          lines.push(...chunk.toString().split("\n").filter(Boolean));
          if (lines.some((l) => l.includes("/v1/key/describe/app-victim"))) resolve();
        });
        void s.request(c, "GET", "/v1/key/describe/app-victim");
      });
      req.on("error", reject);
    });
    req.end();
    await got;
    req.destroy();
    const event = JSON.parse(
      lines.find((l) => l.includes("/v1/key/describe/app-victim")) as string,
    );
    expect(event.request).toMatchObject({
      ip: "127.0.0.1",
      path: "/v1/key/describe/app-victim",
      identity: c.identity,
    });
    expect(event.response.code).toBe(200);
  });

  it('delivers error-log records live as {"message"} lines', async () => {
    const admin = f.clients.admin;
    const req = httpsRequest({
      host: "127.0.0.1",
      port: s.port,
      path: "/v1/log/error",
      ca: s.caPem,
      servername: "localhost",
      cert: admin.certPem,
      key: admin.keyPem,
      agent: false,
    });
    const line = await new Promise<string>((resolve, reject) => {
      let buf = "";
      req.on("response", (res) => {
        res.on("data", (chunk: Buffer) => {
          buf += chunk.toString();
          const hit = buf.split("\n").find((l) => l.includes("stream-probe"));
          if (hit) resolve(hit);
        });
        void s.request(admin, "POST", "/v1/key/create/stream-probe");
      });
      req.on("error", reject);
      req.end();
    });
    req.destroy();
    const { message } = JSON.parse(line) as { message: string };
    expect(message).toMatch(/level=INFO msg="secret key 'stream-probe' created"/);
  });
});
