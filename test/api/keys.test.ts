// The key API over real mTLS against the real server process started from a YAML config:
// the admin (Ed25519), application clients (ECDSA, RSA) under a policy, an API-key client, and
// the exact KES answers for every outcome.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../helpers/server.js";
import { type Fixture, makeFixture, startFixtureServer } from "./fixture.js";

let f: Fixture;
let s: RunningServer;
const b64 = (s: string | Buffer) => Buffer.from(s).toString("base64");
const err = (message: string) => `{"message":${JSON.stringify(message)}\n}`;

beforeAll(async () => {
  f = makeFixture();
  s = await startFixtureServer(f);
});

afterAll(async () => {
  await s?.stop();
});

describe("key lifecycle as admin", () => {
  it("creates, describes, refuses a duplicate, lists and deletes a key", async () => {
    const admin = f.clients.admin;
    const created = await s.request(admin, "POST", "/v1/key/create/k1");
    expect(created.status).toBe(200);
    expect(created.body).toBe("");
    expect(created.headers["content-length"]).toBe("0");

    const dup = await s.request(admin, "PUT", "/v1/key/create/k1");
    expect(dup.status).toBe(400);
    expect(dup.body).toBe(err("key already exists"));
    expect(dup.headers["content-type"]).toBe("application/json");

    const d = await s.request(admin, "GET", "/v1/key/describe/k1");
    expect(d.status).toBe(200);
    const doc = d.json() as Record<string, string>;
    // KES's fields first, then keyfront's key-lifecycle fields (issue 10)
    expect(Object.keys(doc)).toEqual([
      "name",
      "algorithm",
      "created_at",
      "created_by",
      "version",
      "versions",
      "enabled",
      "min_decryption_version",
      "rotate",
    ]);
    expect(doc).toMatchObject({ name: "k1", algorithm: "AES256", created_by: admin.identity });
    expect(Date.now() - Date.parse(doc.created_at as string)).toBeLessThan(60_000);
    expect(d.body.endsWith("}\n")).toBe(true);

    const list = await s.request(admin, "GET", "/v1/key/list/k*");
    expect(list.json()).toEqual({ names: ["k1"] });

    expect((await s.request(admin, "DELETE", "/v1/key/delete/k1")).status).toBe(200);
    const gone = await s.request(admin, "GET", "/v1/key/describe/k1");
    expect([gone.status, gone.body]).toEqual([404, err("key does not exist")]);
    const gone2 = await s.request(admin, "DELETE", "/v1/key/delete/k1");
    expect([gone2.status, gone2.body]).toEqual([404, err("key does not exist")]);
  });

  it("generates a DEK that decrypts back only with the same context", async () => {
    const admin = f.clients.admin;
    await s.request(admin, "POST", "/v1/key/create/dek-key");
    const ctx = b64('{"bucket":"photos"}');
    const g = await s.request(
      admin,
      "POST",
      "/v1/key/generate/dek-key",
      JSON.stringify({ context: ctx }),
    );
    expect(g.status).toBe(200);
    const dek = g.json() as { plaintext: string; ciphertext: string };
    expect(Object.keys(dek)).toEqual(["plaintext", "ciphertext", "version"]); // version: issue 10
    expect(Buffer.from(dek.plaintext, "base64")).toHaveLength(32);
    expect(Buffer.from(dek.ciphertext, "base64")).toHaveLength(32 + 44);

    const ok = await s.request(
      admin,
      "POST",
      "/v1/key/decrypt/dek-key",
      JSON.stringify({ ciphertext: dek.ciphertext, context: ctx }),
    );
    expect(ok.json()).toEqual({ plaintext: dek.plaintext });

    for (const body of [
      { ciphertext: dek.ciphertext },
      { ciphertext: dek.ciphertext, context: b64("other") },
      { ciphertext: b64("garbage"), context: ctx },
      { ciphertext: "", context: ctx },
      { ciphertext: b64(Buffer.alloc(200, 0x95)) },
      { ciphertext: b64('{"aead":"ChaCha20Poly1305","iv":"","nonce":"","bytes":""}') },
    ]) {
      const bad = await s.request(admin, "POST", "/v1/key/decrypt/dek-key", JSON.stringify(body));
      expect([bad.status, bad.body]).toEqual([
        400,
        err("decryption failed: ciphertext is not authentic"),
      ]);
    }
    const noBody = await s.request(admin, "POST", "/v1/key/generate/dek-key");
    expect(noBody.status).toBe(200);
  });

  it("encrypts, decrypts and HMACs, and imports keys with the exact errors", async () => {
    const admin = f.clients.admin;
    const key = Buffer.alloc(32, 7);
    const imp = await s.request(
      admin,
      "POST",
      "/v1/key/import/imp",
      JSON.stringify({ key: b64(key), cipher: "ChaCha20" }),
    );
    expect(imp.status).toBe(200);
    expect(
      ((await s.request(admin, "GET", "/v1/key/describe/imp")).json() as { algorithm: string })
        .algorithm,
    ).toBe("ChaCha20");

    const e = await s.request(
      admin,
      "PUT",
      "/v1/key/encrypt/imp",
      JSON.stringify({ plaintext: b64("hello"), context: b64("c") }),
    );
    const ct = (e.json() as { ciphertext: string }).ciphertext;
    const d = await s.request(
      admin,
      "PUT",
      "/v1/key/decrypt/imp",
      JSON.stringify({ ciphertext: ct, context: b64("c") }),
    );
    expect(d.json()).toEqual({ plaintext: b64("hello") });

    const h1 = await s.request(
      admin,
      "PUT",
      "/v1/key/hmac/imp",
      JSON.stringify({ message: b64("m") }),
    );
    const h2 = await s.request(
      admin,
      "PUT",
      "/v1/key/hmac/imp",
      JSON.stringify({ message: b64("m") }),
    );
    expect(Buffer.from((h1.json() as { hmac: string }).hmac, "base64")).toHaveLength(32);
    expect(h1.body).toBe(h2.body);

    const cases: [unknown, number, string][] = [
      [{ key: b64(key), cipher: "AES128" }, 406, "algorithm 'AES128' is not supported"],
      [{ key: b64(key) }, 406, "algorithm '' is not supported"],
      [{ key: b64(Buffer.alloc(16)), cipher: "AES256" }, 406, "invalid key size for 'AES256'"],
      [{ key: "not base64!", cipher: "AES256" }, 400, "invalid import key request body"],
      [[1, 2], 400, "invalid import key request body"],
    ];
    for (const [body, status, message] of cases) {
      const r = await s.request(admin, "POST", "/v1/key/import/imp2", JSON.stringify(body));
      expect([r.status, r.body]).toEqual([status, err(message)]);
    }
    const exists = await s.request(
      admin,
      "POST",
      "/v1/key/import/imp",
      JSON.stringify({ key: b64(key), cipher: "AES256-GCM_SHA256" }),
    );
    expect([exists.status, exists.body]).toEqual([400, err("key already exists")]);
    const legacy = await s.request(
      admin,
      "POST",
      "/v1/key/import/imp-legacy",
      JSON.stringify({ bytes: b64(key) }),
    );
    expect(legacy.status).toBe(200);
  });

  it("rejects invalid names after authorisation, with KES's messages", async () => {
    const admin = f.clients.admin;
    for (const [path, message] of [
      [
        "/v1/key/create/my.key",
        "key name 'my.key' is empty, too long or contains invalid characters",
      ],
      ["/v1/key/create/-a", "key name '-a' is empty, too long or contains invalid characters"],
      ["/v1/key/create/", "key name '' is empty, too long or contains invalid characters"],
      [
        `/v1/key/create/${"a".repeat(81)}`,
        `key name '${"a".repeat(81)}' is empty, too long or contains invalid characters`,
      ],
      ["/v1/key/create/a%2Fb", "key name 'a/b' is empty, too long or contains invalid characters"],
      ["/v1/key/list/a*b", "listing pattern 'a*b' is empty, too long or is invalid"],
      [
        "/v1/policy/describe/x.y",
        "policy name 'x.y' is empty, too long or contains invalid characters",
      ],
      [
        "/v1/identity/describe/x.y",
        "identity 'x.y' is empty, too long or contains invalid characters",
      ],
    ] as const) {
      const method = path.includes("/create/") ? "POST" : "GET";
      const r = await s.request(admin, method, path);
      expect([r.status, r.body]).toEqual([400, err(message)]);
    }
    const stranger = await s.request(f.clients.stranger, "POST", "/v1/key/create/my.key");
    expect([stranger.status, stranger.body]).toEqual([
      403,
      err("not authorized: insufficient permissions"),
    ]);
  });
});

describe("policies over mTLS with ECDSA, RSA and API-key clients", () => {
  it("lets application clients do what their policy allows and nothing else", async () => {
    for (const c of [f.clients.ecdsa, f.clients.rsa]) {
      const name = `app-${c === f.clients.ecdsa ? "e" : "r"}`;
      expect((await s.request(c, "POST", `/v1/key/create/${name}`)).status).toBe(200);
      const g = await s.request(c, "POST", `/v1/key/generate/${name}`, "{}");
      expect(g.status).toBe(200);
      const denied = [
        ["DELETE", `/v1/key/delete/${name}`],
        ["POST", "/v1/key/create/other"],
        ["POST", "/v1/key/generate/app-secret-1"],
        ["GET", "/v1/metrics"],
        ["GET", "/v1/policy/list/*"],
      ];
      for (const [method, path] of denied) {
        const r = await s.request(c, method as string, path as string);
        expect([path, r.status, r.body]).toEqual([
          path,
          403,
          err("not authorized: insufficient permissions"),
        ]);
      }
    }
  });

  it("identifies an API-key client by its Ed25519 public key and applies its policy", async () => {
    const c = f.clients.apiKey;
    const self = await s.request(c, "GET", "/v1/identity/self/describe");
    expect(self.status).toBe(200);
    expect(self.json()).toMatchObject({
      identity: c.identity,
      policy: "reader",
      created_by: f.clients.admin.identity,
    });
    expect((self.json() as { allow: object }).allow).toEqual({
      "/v1/key/describe/*": {},
      "/v1/policy/*": {},
      "/v1/identity/*": {},
    });
    expect((await s.request(c, "POST", "/v1/key/create/x")).status).toBe(403);
  });

  it("answers a stranger 403 everywhere but /version and self-describe (404)", async () => {
    const c = f.clients.stranger;
    expect((await s.request(c, "GET", "/v1/status")).status).toBe(403);
    expect((await s.request(c, "GET", "/version")).status).toBe(200);
    const self = await s.request(c, "GET", "/v1/identity/self/describe");
    expect([self.status, self.body]).toEqual([404, err("identity does not exist")]);
  });

  it("requires a non-CA client certificate", async () => {
    const none = await s.request({}, "GET", "/v1/status");
    expect([none.status, none.body]).toEqual([400, err("tls: client certificate is required")]);
    const ca = await s.request(f.clients.ca, "GET", "/v1/status");
    expect([ca.status, ca.body]).toEqual([400, err("tls: client certificate is required")]);
    expect((await s.request({}, "GET", "/version")).status).toBe(200);
  });

  it("describes the admin and lists identities and policies", async () => {
    const admin = f.clients.admin;
    const me = await s.request(admin, "GET", "/v1/identity/self/describe");
    expect(me.json()).toMatchObject({ identity: admin.identity, admin: true });
    const ids = (await s.request(admin, "GET", "/v1/identity/list/*")).json() as {
      identities: string[];
      continue_at: string;
    };
    expect(ids.identities).toEqual(
      [
        admin.identity,
        f.clients.ecdsa.identity,
        f.clients.rsa.identity,
        f.clients.apiKey.identity,
      ].sort(),
    );
    expect(ids.continue_at).toBe("");
    const d = await s.request(admin, "GET", `/v1/identity/describe/${f.clients.rsa.identity}`);
    expect(d.json()).toMatchObject({ policy: "app", created_by: admin.identity });
    const pol = (await s.request(admin, "GET", "/v1/policy/read/app")).json() as Record<
      string,
      unknown
    >;
    expect(Object.keys(pol)).toEqual(["name", "allow", "deny", "created_at", "created_by"]);
    expect(pol.deny).toEqual({ "/v1/key/generate/app-secret*": {} });
    expect((await s.request(admin, "GET", "/v1/policy/list/")).json()).toEqual({
      names: ["app", "reader"],
      continue_at: "",
    });
    const missing = await s.request(admin, "GET", "/v1/policy/read/nope");
    expect([missing.status, missing.body]).toEqual([404, err("policy does not exist")]);
  });
});
