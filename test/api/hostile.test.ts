// Hostile requests over real mTLS against the real server (hardening issue #8, items 2 and 4):
// the exact bodies that used to stop the process, property-based fuzzing of bodies and paths on
// every route of the route table, per-route body caps, duplicate fields and `?limit` bounds.
// Every answer must be 2xx/3xx/4xx with its status line (never a 5xx, never a dropped
// connection), and the server must still answer afterwards.

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  LIST_PAGE_SIZE,
  MAX_BODY_BYTES,
  MAX_GENERATE_BODY_BYTES,
  MAX_IMPORT_BODY_BYTES,
} from "../../internal/limits.js";
import { ROUTES } from "../../internal/server/routes.js";
import { connectTo, type RunningServer, type TlsClient } from "../helpers/server.js";
import { type Fixture, makeFixture, startFixtureServer } from "./fixture.js";

let f: Fixture;
let s: RunningServer;
const err = (message: string) => `{"message":${JSON.stringify(message)}\n}`;
const b64 = (v: string | Buffer) => Buffer.from(v).toString("base64");

beforeAll(async () => {
  f = makeFixture();
  s = await startFixtureServer(f);
  expect((await s.request(f.clients.admin, "POST", "/v1/key/create/fz")).status).toBe(200);
});

afterAll(async () => {
  await s?.stop();
});

/**
 * One request on its own TLS connection, written byte for byte (no client-side checks of the
 * path or method). Resolves with the status of the answer's status line, then drops the
 * connection (log streams never end); rejects if the connection ends without a status line.
 */
function rawStatus(
  client: TlsClient,
  method: string,
  target: Buffer | string,
  body: Buffer = Buffer.alloc(0),
): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = connectTo(s, client);
    let head = "";
    sock.once("secureConnect", () => {
      const lines = `${method} ${Buffer.isBuffer(target) ? target.toString("latin1") : target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${body.length}\r\n\r\n`;
      sock.write(Buffer.concat([Buffer.from(lines, "latin1"), body]));
    });
    sock.on("data", (c: Buffer) => {
      head += c.toString("latin1");
      const m = /^HTTP\/1\.1 (\d{3}) /.exec(head);
      if (m) {
        sock.destroy();
        resolve(Number(m[1]));
      }
    });
    sock.on("error", () => {}); // the close below decides
    sock.on("close", () =>
      reject(new Error(`connection closed without an answer: ${JSON.stringify(head)}`)),
    );
  });
}

const methods = (want: string) => (want === "PUT" ? ["PUT", "POST"] : [want]);
const bodyRoutes = ROUTES.filter((r) => r.maxBody > 0);

async function expectServing(): Promise<void> {
  const v = await s.request({}, "GET", "/version");
  expect(v.status).toBe(200);
  expect(s.proc.exitCode).toBeNull();
  expect(s.stderr()).not.toMatch(/failed to answer a request|internal error while serving/);
}

describe("the bodies that stopped the process (issue #8 item 2)", () => {
  it.each([
    ['{"a\\u0001":1}', "unknown field 'a\\u0001'"],
    ['{"a\u0001":1}', "malformed JSON: control character in a string at offset 3"],
    ['{"€":1}', "unknown field '\\u20ac'"],
    ['{"\\u20ac":1}', "unknown field '\\u20ac'"],
    ['{"\\ud83d\\ude00\\n":1}', "unknown field '\\ud83d\\ude00\\u000a'"],
  ])("%s → 400 with an ASCII detail, on every body route", async (body, detail) => {
    for (const r of bodyRoutes) {
      const target = r.path.endsWith("/") ? `${r.path}fz` : r.path;
      const res = await s.request(f.clients.admin, "POST", target, body);
      expect(res.status).toBe(400);
      expect(res.body).toBe(err(r.bodyError?.().message ?? ""));
      expect(res.headers["x-keyfront-detail"]).toBe(detail);
    }
    await expectServing();
  });
});

describe("fuzzing every route", () => {
  const admin = () => f.clients.admin;
  const route = fc.constantFrom(...ROUTES);
  const name = fc.oneof(fc.constant("fz"), fc.string({ maxLength: 12 }).map(encodeURIComponent));

  it("arbitrary bytes as the body of every route", async () => {
    await fc.assert(
      fc.asyncProperty(route, name, fc.uint8Array({ maxLength: 600 }), async (r, n, bytes) => {
        const path = r.path.endsWith("/") ? `${r.path}${n}` : r.path;
        for (const m of methods(r.method)) {
          const status = await rawStatus(admin(), m, path, Buffer.from(bytes));
          expect(status).toBeGreaterThanOrEqual(200);
          expect(status).toBeLessThan(500);
        }
      }),
      { numRuns: 60 },
    );
    await expectServing();
  });

  it("flat and nested JSON with arbitrary field names and values on every body route", async () => {
    const fieldName = fc.oneof(
      fc.string({ unit: "binary", maxLength: 10 }),
      fc.constantFrom(
        "context",
        "Context",
        "plaintext",
        "ciphertext",
        "message",
        "key",
        "cipher",
        "version",
      ),
    );
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.base64String({ maxLength: 64 }),
      fc.string({ unit: "binary", maxLength: 20 }),
    );
    const doc = fc.array(fc.tuple(fieldName, value), { maxLength: 5 }).map((pairs) => {
      // written by hand so that duplicate names survive
      const members = pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v ?? null)}`);
      return `{${members.join(",")}}`;
    });
    await s.request(admin(), "POST", "/v1/key/create/fz"); // again: the byte fuzzing may delete it
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...bodyRoutes), doc, async (r, text) => {
        const status = await rawStatus(admin(), "POST", `${r.path}fz`, Buffer.from(text));
        expect(status).toBeGreaterThanOrEqual(200);
        expect(status).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
    await expectServing();
  });

  it("arbitrary paths: raw bytes, percent escapes and route prefixes", async () => {
    const segment = fc.oneof(
      fc
        .string({ unit: "binary", maxLength: 12 })
        .map((t) => Buffer.from(t, "utf8").toString("latin1")),
      fc.string({ maxLength: 12 }).map(encodeURIComponent),
      fc.constantFrom("..", ".", "", "%00", "%2e%2e", "%2F", "%", "%zz", "*", "?limit=0", "#"),
      fc.uint8Array({ minLength: 1, maxLength: 6 }).map((b) => Buffer.from(b).toString("latin1")),
    );
    const target = fc
      .tuple(fc.constantFrom("", ...ROUTES.map((r) => r.path)), fc.array(segment, { maxLength: 4 }))
      .map(([prefix, segs]) => `${prefix || "/"}${segs.join("/")}`);
    await fc.assert(
      fc.asyncProperty(
        target,
        fc.constantFrom("GET", "PUT", "POST", "DELETE", "PATCH"),
        fc.constantFrom<keyof Fixture["clients"] | "none">(
          "admin",
          "ecdsa",
          "stranger",
          "ca",
          "none",
        ),
        async (t, m, who) => {
          const client = who === "none" ? {} : f.clients[who];
          const status = await rawStatus(client, m, Buffer.from(t, "latin1"));
          expect(status).toBeGreaterThanOrEqual(200);
          expect(status).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
    await expectServing();
  });
});

describe("bounded cost per request (issue #8 item 4)", () => {
  const admin = () => f.clients.admin;
  // its own key: the fuzzing above may well have deleted "fz"
  beforeAll(async () => {
    expect((await s.request(admin(), "POST", "/v1/key/create/bounded-key")).status).toBe(200);
  });
  const pad = (json: string, size: number) => json + " ".repeat(size - Buffer.byteLength(json));

  it("caps each body route at what its request needs, and says so in /v1/api", async () => {
    const enc = await s.request(
      admin(),
      "POST",
      "/v1/key/encrypt/bounded-key",
      `{"plaintext":"YQ=="}`,
    );
    const ct = (enc.json() as { ciphertext: string }).ciphertext;
    const key = b64(Buffer.alloc(32, 7));
    const cases: [string, number, (i: number) => string][] = [
      ["/v1/key/generate/bounded-key", MAX_GENERATE_BODY_BYTES, () => `{"context":"YQ=="}`],
      ["/v1/key/encrypt/bounded-key", MAX_BODY_BYTES, () => `{"plaintext":"YQ=="}`],
      ["/v1/key/decrypt/bounded-key", MAX_BODY_BYTES, () => `{"ciphertext":"${ct}"}`],
      ["/v1/key/hmac/bounded-key", MAX_BODY_BYTES, () => `{"message":"YQ=="}`],
      ["/v1/key/import/", MAX_IMPORT_BODY_BYTES, () => `{"key":"${key}","cipher":"AES256"}`],
    ];
    let n = 0;
    for (const [path, max, json] of cases) {
      const target = path.endsWith("/") ? `${path}imported-${n++}` : path;
      const fits = await s.request(admin(), "POST", target, pad(json(0), max));
      expect([path, fits.status]).toEqual([path, 200]);
      const over = await s.request(admin(), "POST", `${target}-x`, pad(json(1), max + 1));
      const message = path.includes("import")
        ? "invalid import key request body"
        : "invalid request body";
      expect([path, over.status, over.body]).toEqual([path, 400, err(message)]);
    }
    const api = (await s.request(admin(), "GET", "/v1/api")).json() as {
      path: string;
      max_body: number;
    }[];
    const caps = Object.fromEntries(
      api.filter((r) => r.max_body > 0).map((r) => [r.path, r.max_body]),
    );
    expect(caps).toEqual({
      "/v1/key/import/": 4_096,
      "/v1/key/generate/": 65_536,
      "/v1/key/encrypt/": 1_000_000,
      "/v1/key/decrypt/": 1_000_000,
      "/v1/key/hmac/": 1_000_000,
      "/v1/key/rewrap/": 1_000_000,
      "/v1/key/configure/": 4_096,
      "/v1/policy/explain": 17_408,
    });
  });

  it("refuses nesting at its first bracket, even a megabyte of it", async () => {
    const deep = `{"plaintext":${"[".repeat(499_990)}${"]".repeat(499_990)}}`;
    const r = await s.request(admin(), "POST", "/v1/key/encrypt/bounded-key", deep);
    expect([r.status, r.body]).toEqual([400, err("invalid request body")]);
    expect(r.headers["x-keyfront-detail"]).toBe(
      "field 'plaintext' holds a nested array; only strings are accepted",
    );
    const obj = await s.request(
      admin(),
      "POST",
      "/v1/key/generate/bounded-key",
      `{"context":{"a":"b"}}`,
    );
    expect(obj.headers["x-keyfront-detail"]).toBe(
      "field 'context' holds a nested object; only strings are accepted",
    );
    await expectServing();
  });

  it("refuses nesting inside a legacy JSON ciphertext too (the body's one string, decoded)", async () => {
    const enc = await s.request(
      admin(),
      "POST",
      "/v1/key/encrypt/bounded-key",
      `{"plaintext":"YQ=="}`,
    );
    const raw = Buffer.from((enc.json() as { ciphertext: string }).ciphertext, "base64");
    const end = raw.length - 28;
    const legacy = (extra: string) =>
      b64(
        `{"aead":"AES-256-GCM-HMAC-SHA-256",${extra}"iv":"${b64(raw.subarray(end, end + 16))}",` +
          `"nonce":"${b64(raw.subarray(end + 16))}","bytes":"${b64(raw.subarray(0, end))}"}`,
      );
    const decrypt = (ct: string) =>
      s.request(admin(), "POST", "/v1/key/decrypt/bounded-key", `{"ciphertext":"${ct}"}`);
    // The ≤ v0.19.1 form KES wrote (a flat object of strings) still decrypts...
    const flat = await decrypt(legacy(`"id":"x",`));
    expect([flat.status, flat.body]).toEqual([200, `{"plaintext":"YQ=="}\n`]);
    // ...but a nested value is never parsed (Go would skip it; JSON.parse would build it).
    const nested = await decrypt(legacy(`"x":[[1]],`));
    expect([nested.status, nested.body]).toEqual([
      400,
      err("decryption failed: ciphertext is not authentic"),
    ]);
    const deep = await decrypt(legacy(`"x":${"[".repeat(300_000)}${"]".repeat(300_000)},`));
    expect(deep.status).toBe(400);
    await expectServing();
  });

  it.each([
    [`{"context":"YQ==","context":"Yg=="}`],
    [`{"context":"YQ==","Context":"Yg=="}`],
    [`{"CONTEXT":null,"context":"Yg=="}`],
  ])("refuses duplicate fields, matched case-insensitively: %s", async (body) => {
    const r = await s.request(admin(), "POST", "/v1/key/generate/bounded-key", body);
    expect([r.status, r.body, r.headers["x-keyfront-detail"]]).toEqual([
      400,
      err("invalid request body"),
      "duplicate field 'context'",
    ]);
  });

  it("accepts ?limit from 1 to 1024 only; without it, the listing is complete", async () => {
    for (const bad of ["0", "1025", "-1", "abc", "1.5", "", "+5", "99999999999", "1e3"]) {
      const r = await s.request(admin(), "GET", `/v1/key/list/*?limit=${encodeURIComponent(bad)}`);
      expect([bad, r.status, r.body]).toEqual([
        bad,
        400,
        err("invalid listing limit: must be an integer from 1 to 1024"),
      ]);
    }
    const one = (await s.request(admin(), "GET", "/v1/key/list/*?limit=1")).json() as {
      names: string[];
      continue_at?: string;
    };
    expect(one.names).toHaveLength(1);
    expect(typeof one.continue_at).toBe("string");
    const max = await s.request(admin(), "GET", `/v1/key/list/*?limit=${LIST_PAGE_SIZE}`);
    expect(max.status).toBe(200);
    const all = (await s.request(admin(), "GET", "/v1/key/list/*")).json() as { names: string[] };
    expect(all.names).toEqual((max.json() as { names: string[] }).names);
    expect(all.names.length).toBeGreaterThan(1);
  });
});
