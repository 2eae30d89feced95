// Drives every endpoint — successes and failures — and then searches every log line (stdout and
// stderr of the server at debug level) and every response body that is not a deliberate
// plaintext answer for the secrets involved: stored key bytes, HMAC keys, imported keys, DEK
// plaintexts, plaintexts and contexts, in hex and base64 (DESIGN.md §11).

import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { decodeKeyVersion } from "../../internal/crypto/key-encoding.js";
import { decodeVersionRecord } from "../../internal/keys/ring-records.js";
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

const b64 = (v: Buffer | string) => Buffer.from(v).toString("base64");

function forms(secret: Buffer): string[] {
  const std = secret.toString("base64");
  return [
    secret.toString("hex"),
    secret.toString("hex").toUpperCase(),
    std,
    std.replace(/=+$/, ""),
    secret.toString("base64url"),
  ];
}

it("never writes a secret into a log line or an error body", async () => {
  const admin = f.clients.admin;
  const app = f.clients.ecdsa;
  const secrets: Buffer[] = [];
  const errorBodies: string[] = [];
  const record = (r: { status: number; body: string; headers: Record<string, unknown> }) => {
    if (r.status >= 400) errorBodies.push(r.body, JSON.stringify(r.headers));
  };

  const imported = Buffer.from("0123456789abcdef0123456789ABCDEF");
  secrets.push(imported);
  const plaintext = Buffer.from("top-secret plaintext that must stay secret");
  const context = Buffer.from("secret-context-value-42");
  secrets.push(plaintext, context);

  const calls: [typeof admin, string, string, unknown?][] = [
    [admin, "POST", "/v1/key/create/app-s1"],
    [admin, "POST", "/v1/key/create/app-s1"],
    [admin, "POST", "/v1/key/import/app-imp", { key: b64(imported), cipher: "AES256" }],
    [admin, "POST", "/v1/key/import/app-imp", { key: b64(imported), cipher: "AES256" }],
    [admin, "POST", "/v1/key/import/app-bad", { key: b64(imported), cipher: "nope" }],
    [app, "POST", "/v1/key/encrypt/app-s1", { plaintext: b64(plaintext), context: b64(context) }],
    [app, "POST", "/v1/key/encrypt/app-s1", { plaintext: b64(plaintext), contxt: b64(context) }],
    [
      app,
      "POST",
      "/v1/key/encrypt/app-missing",
      { plaintext: b64(plaintext), context: b64(context) },
    ],
    [app, "POST", "/v1/key/hmac/app-s1", { message: b64(plaintext) }],
    // the key lifecycle (issue 10): every route, successes and failures
    [admin, "POST", "/v1/key/rotate/app-s1"],
    [admin, "POST", "/v1/key/rotate/app-imp"],
    [admin, "GET", "/v1/key/versions/app-s1"],
    [admin, "POST", "/v1/key/configure/app-s1", { rotate: "90d" }],
    [admin, "POST", "/v1/key/configure/app-s1", { rotate: b64(plaintext) }],
    [admin, "POST", "/v1/key/generate/app-s1", { context: b64(context), version: "1" }],
    [admin, "POST", "/v1/key/generate/app-s1", { context: b64(context), version: "9" }],
    [admin, "POST", "/v1/key/rewrap/app-s1", { ciphertext: b64(plaintext), context: b64(context) }],
    [admin, "POST", "/v1/key/disable/app-imp"],
    [admin, "POST", "/v1/key/encrypt/app-imp", { plaintext: b64(plaintext) }],
    [admin, "POST", "/v1/key/enable/app-imp"],
    [admin, "POST", "/v1/key/restore/app-imp"],
    [admin, "DELETE", "/v1/key/purge/app-imp"],
    [app, "POST", "/v1/key/rotate/app-s1"],
    [app, "GET", "/v1/key/describe/app-s1"],
    [app, "GET", "/v1/key/list/app-*"],
    [app, "DELETE", "/v1/key/delete/app-s1"],
    [f.clients.stranger, "POST", "/v1/key/generate/app-s1", { context: b64(context) }],
    [admin, "GET", "/v1/status"],
    [admin, "GET", "/v1/metrics"],
    [admin, "GET", "/v1/api"],
    [admin, "GET", "/v1/identity/self/describe"],
    [admin, "GET", "/v1/policy/read/app"],
    [
      admin,
      "POST",
      "/v1/policy/explain",
      { identity: app.identity, method: "GET", path: "/v1/key/describe/app-s1" },
    ],
    [admin, "GET", "/v1/nope"],
  ];
  for (const [client, method, path, body] of calls) {
    record(
      await s.request(client, method, path, body === undefined ? undefined : JSON.stringify(body)),
    );
  }
  for (let i = 0; i < 5; i++) {
    const g = await s.request(
      app,
      "POST",
      "/v1/key/generate/app-s1",
      JSON.stringify({ context: b64(context) }),
    );
    const dek = g.json() as { plaintext: string; ciphertext: string };
    secrets.push(Buffer.from(dek.plaintext, "base64"));
    const d = await s.request(
      app,
      "POST",
      "/v1/key/decrypt/app-s1",
      JSON.stringify({ ciphertext: dek.ciphertext, context: b64(context) }),
    );
    expect(d.status).toBe(200);
    record(
      await s.request(
        app,
        "POST",
        "/v1/key/decrypt/app-s1",
        JSON.stringify({ ciphertext: dek.ciphertext, context: b64("wrong") }),
      ),
    );
  }
  const e = await s.request(
    app,
    "POST",
    "/v1/key/encrypt/app-s1",
    JSON.stringify({ plaintext: b64(plaintext), context: b64(context) }),
  );
  const ct = (e.json() as { ciphertext: string }).ciphertext;
  record(
    await s.request(app, "POST", "/v1/key/decrypt/app-s1", JSON.stringify({ ciphertext: ct })),
  );

  // A rewrap of a version-1 ciphertext (its answer is a ciphertext, never the plaintext).
  const rewrapped = await s.request(
    admin,
    "POST",
    "/v1/key/rewrap/app-s1",
    JSON.stringify({ ciphertext: ct, context: b64(context) }),
  );
  expect(rewrapped.status).toBe(200);
  expect(rewrapped.body).not.toContain(b64(plaintext));

  // The stored key material itself: every version of every key (state records hold none).
  const dir = join(s.dir, "keys");
  const names = await readdir(dir);
  expect(names).toContain("app-s1.v2");
  for (const name of names.filter((n) => !/\.s[0-9]+$/.test(n))) {
    const text = await readFile(join(dir, name), "utf8");
    const v = /\.v([0-9]+)$/.exec(name);
    const kv = v ? decodeVersionRecord(text, Number(v[1])).value : decodeKeyVersion(text);
    secrets.push(kv.key);
    if (kv.hmacKey) secrets.push(kv.hmacKey);
  }
  expect(secrets.length).toBeGreaterThan(10);

  await new Promise((r) => setTimeout(r, 300)); // let buffered audit lines reach stdout
  const logs = `${s.stdout()}\n${s.stderr()}`;
  expect(logs).toContain("/v1/key/generate/app-s1"); // the logs really were captured
  expect(errorBodies.length).toBeGreaterThan(8);
  const haystack = `${logs}\n${errorBodies.join("\n")}`;
  for (const secret of secrets) {
    for (const form of forms(secret)) {
      expect(haystack.includes(form), `a secret leaked as ${form.slice(0, 8)}…`).toBe(false);
    }
  }
});
