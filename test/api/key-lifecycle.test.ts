// Key lifecycle end to end (issue 10) on the fs keystore: the real server over mTLS, driven as a
// client would. Rotation with versioned answers and the "version" field, rotation under load,
// KES-stored keys and KES ciphertexts after three rotations, rewrap, the minimum decryption
// version, disable/enable, the deletion window (pending, KES errors with details, restore, purge),
// policies on the new routes, audit events with the version and /v1/api. The scheduler and the
// deletion settings: key-lifecycle-scheduler.test.ts.

import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../helpers/server.js";
import { type Fixture, makeFixture } from "./fixture.js";
import {
  Api,
  b64,
  expectError,
  expectKesCiphertextsDecrypt,
  KES_VECTORS,
  PENDING,
  rotateUnderLoad,
  serveFs,
} from "./key-lifecycle-helpers.js";

const NEW_ROUTES: [string, string][] = [
  ["PUT", "/v1/key/rotate/"],
  ["GET", "/v1/key/versions/"],
  ["PUT", "/v1/key/rewrap/"],
  ["PUT", "/v1/key/configure/"],
  ["PUT", "/v1/key/disable/"],
  ["PUT", "/v1/key/enable/"],
  ["PUT", "/v1/key/restore/"],
  ["DELETE", "/v1/key/purge/"],
];

let f: Fixture;
let keysDir: string;
let s: RunningServer;
let admin: Api;

/** The vectors' KES-stored keys, written into the fs keystore as KES left them. */
const KES_FILES: Record<string, string> = {};
for (const [i, v] of KES_VECTORS.key_values.entries()) {
  if (v.era.startsWith("protobuf"))
    KES_FILES[`kes-${v.want.algorithm.toLowerCase()}-${i}`] = v.value;
}
const kesKey = (algorithm: string) =>
  Object.keys(KES_FILES).find((n) => n.startsWith(`kes-${algorithm.toLowerCase()}-`)) ?? "";

const serve = (dir: string, extraKeystore = "", extra = "") =>
  serveFs(f, dir, extraKeystore, extra);

beforeAll(async () => {
  f = makeFixture();
  keysDir = await mkdtemp(join(tmpdir(), "kf-lifecycle-"));
  for (const [name, value] of Object.entries(KES_FILES))
    await writeFile(join(keysDir, name), value);
  s = await serve(keysDir, "  deletion:\n    window: 1h\n");
  admin = new Api(s, f.clients.admin);
}, 30_000);
afterAll(async () => {
  await s?.stop();
  await rm(keysDir, { recursive: true, force: true });
});

describe("rotation", () => {
  it("/v1/api lists the lifecycle routes", async () => {
    const listed = (await s.request(f.clients.admin, "GET", "/v1/api")).json() as {
      method: string;
      path: string;
    }[];
    const routes = listed.map((x) => [x.method, x.path]);
    for (const route of NEW_ROUTES) expect(routes).toContainEqual(route);
  });

  it("adds versions; generate and encrypt use the newest and say which; old ciphertexts decrypt", async () => {
    await admin.ok("POST", "/v1/key/create/rot");
    const first = await admin.generate("rot");
    expect(first.version).toBe("1");
    const made = await admin.ok("POST", "/v1/key/rotate/rot");
    expect(made).toMatchObject({ name: "rot", version: 2 });
    expect(Date.parse(made.created_at as string)).not.toBeNaN();
    const second = await admin.generate("rot");
    expect(second.version).toBe("2");
    const enc = await admin.ok("POST", "/v1/key/encrypt/rot", { plaintext: b64("hi") });
    expect(enc.version).toBe("2");
    for (const dek of [first, second]) {
      const d = await admin.decrypt("rot", dek.ciphertext);
      expect([d.status, d.body.plaintext]).toEqual([200, dek.plaintext]);
    }
    // the "version" request field: selects a version, must match on decrypt, "" is absent
    expect((await admin.generate("rot", "ctx", "1")).version).toBe("1");
    expect((await admin.generate("rot", "ctx", "")).version).toBe("2");
    expect((await admin.decrypt("rot", first.ciphertext, "ctx", "1")).status).toBe(200);
    expect((await admin.decrypt("rot", first.ciphertext, "ctx", "")).status).toBe(200);
    expectError(
      await admin.decrypt("rot", first.ciphertext, "ctx", "2"),
      400,
      "decryption failed: ciphertext is not authentic",
    );
    for (const bad of ["3", "0", "01", "99999999999"]) {
      const a = await admin.call("POST", "/v1/key/generate/rot", { version: bad });
      expectError(a, 400, "invalid key version");
    }
    // encrypt answers at once for a cached key (as generate does), and the same way
    for (const bad of ["3", "0"]) {
      const a = await admin.call("POST", "/v1/key/encrypt/rot", {
        plaintext: b64("p"),
        version: bad,
      });
      expectError(a, 400, "invalid key version");
    }
    const sealed1 = await admin.ok("POST", "/v1/key/encrypt/rot", {
      plaintext: b64("p"),
      version: "1",
    });
    expect(sealed1.version).toBe("1");
    const opened1 = await admin.decrypt("rot", sealed1.ciphertext as string, "", "1");
    expect([opened1.status, opened1.body]).toEqual([200, { plaintext: b64("p") }]);
    // what KES ignored stays ignored: the newest version
    for (const ignored of ["v1", "latest", "-1"]) {
      expect((await admin.generate("rot", "ctx", ignored)).version).toBe("2");
    }
    const hmac1 = await admin.ok("POST", "/v1/key/hmac/rot", { message: b64("m"), version: "1" });
    const hmac2 = await admin.ok("POST", "/v1/key/hmac/rot", { message: b64("m") });
    expect([hmac1.version, hmac2.version]).toEqual(["1", "2"]);
    expect(hmac1.hmac).not.toBe(hmac2.hmac);
  });

  it("describe keeps KES's fields and adds the versions; /v1/key/versions lists them", async () => {
    const d = await admin.ok("GET", "/v1/key/describe/rot");
    expect(d).toMatchObject({
      name: "rot",
      algorithm: "AES256",
      created_by: f.clients.admin.identity,
      version: 2,
      enabled: true,
      min_decryption_version: 1,
      rotate: "",
    });
    const v = await admin.ok("GET", "/v1/key/versions/rot");
    expect(v).toMatchObject({ name: "rot", latest: 2, min_decryption_version: 1 });
    const list = v.versions as Record<string, unknown>[];
    expect(list.map((x) => [x.version, x.state, x.created_by])).toEqual([
      [1, "active", f.clients.admin.identity],
      [2, "current", f.clients.admin.identity],
    ]);
    expect(d.versions).toEqual(list);
    expect(d.created_at).toBe(list[0]?.created_at);
  });

  it("rotates under concurrent generate/decrypt load with 0 failed requests", async () => {
    await admin.ok("POST", "/v1/key/create/busy");
    const { requests, versions } = await rotateUnderLoad(admin, "busy", 5);
    expect(requests).toBeGreaterThan(0);
    expect(versions.has("6")).toBe(true);
  });

  it("KES-stored keys and KES ciphertexts (every format) still decrypt after 3 rotations", async () => {
    const before: Record<string, string> = {};
    for (const name of Object.keys(KES_FILES)) {
      before[name] = await readFile(join(keysDir, name), "utf8");
      for (let i = 0; i < 3; i++) await admin.rotate(name);
      expect((await admin.ok("GET", `/v1/key/versions/${name}`)).latest).toBe(4);
    }
    await expectKesCiphertextsDecrypt(admin, kesKey);
    // version 1 is still exactly what KES stored, so KES itself can still read the key
    for (const [name, value] of Object.entries(KES_FILES)) {
      expect(await readFile(join(keysDir, name), "utf8")).toBe(value);
      expect(before[name]).toBe(value);
    }
    // listing shows keys, never their version or state records
    const names = (await admin.ok("GET", "/v1/key/list/*")).names as string[];
    expect(names.filter((n) => n.includes("."))).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(Object.keys(KES_FILES)));
  });

  it("rewrap seals an old ciphertext under the newest version and never answers a plaintext", async () => {
    await admin.ok("POST", "/v1/key/create/wrap");
    const old = await admin.generate("wrap", "bound");
    await admin.rotate("wrap");
    await admin.rotate("wrap");
    const r = await admin.ok("POST", "/v1/key/rewrap/wrap", {
      ciphertext: old.ciphertext,
      context: b64("bound"),
    });
    expect(Object.keys(r).sort()).toEqual(["ciphertext", "version"]);
    expect(r.version).toBe("3");
    expect(r.ciphertext).not.toBe(old.ciphertext);
    const d = await admin.decrypt("wrap", r.ciphertext as string, "bound", "3");
    expect([d.status, d.body.plaintext]).toEqual([200, old.plaintext]);
    const wrong = await admin.call("POST", "/v1/key/rewrap/wrap", {
      ciphertext: old.ciphertext,
      context: b64("other"),
    });
    expectError(wrong, 400, "decryption failed: ciphertext is not authentic");
  });
});

describe("retiring versions and disabling keys", () => {
  it("a minimum decryption version refuses older ciphertexts with a clear error", async () => {
    await admin.ok("POST", "/v1/key/create/retire");
    const v1 = await admin.generate("retire");
    await admin.rotate("retire");
    const v2 = await admin.generate("retire");
    const set = await admin.ok("POST", "/v1/key/configure/retire", { min_decryption_version: 2 });
    expect(set).toMatchObject({ name: "retire", min_decryption_version: 2 });
    expectError(
      await admin.decrypt("retire", v1.ciphertext),
      400,
      "decryption failed: key version 1 is retired (minimum decryption version is 2)",
    );
    expect((await admin.decrypt("retire", v2.ciphertext)).body.plaintext).toBe(v2.plaintext);
    // a forged ciphertext still gets the one generic decrypt error
    const forged = Buffer.from(v1.ciphertext, "base64");
    forged[0] = (forged[0] ?? 0) ^ 1;
    expectError(
      await admin.decrypt("retire", forged.toString("base64")),
      400,
      "decryption failed: ciphertext is not authentic",
    );
    expectError(
      await admin.call("POST", "/v1/key/generate/retire", { version: "1" }),
      400,
      "invalid key version",
    );
    const states = (
      (await admin.ok("GET", "/v1/key/versions/retire")).versions as {
        state: string;
      }[]
    ).map((x) => x.state);
    expect(states).toEqual(["retired", "current"]);
  });

  it("configure validates its body and sets the rotation period", async () => {
    await admin.ok("POST", "/v1/key/create/conf");
    const set = await admin.ok("POST", "/v1/key/configure/conf", { rotate: "90d" });
    expect(set).toMatchObject({ name: "conf", rotate: "90d", min_decryption_version: 1 });
    expect((await admin.ok("GET", "/v1/key/describe/conf")).rotate).toBe("90d");
    expect((await admin.ok("POST", "/v1/key/configure/conf", { rotate: "" })).rotate).toBe("");
    const bad: [unknown, string][] = [
      [{}, "invalid key configure request: set min_decryption_version, rotate or both"],
      [
        { rotate: "90days" },
        "invalid key configure request: rotate: not a duration such as 90d, 36h or 0",
      ],
      [
        { rotate: "10ms" },
        'invalid key configure request: rotate: out of range (want "" or 0, or 1s to 36500d)',
      ],
      [
        { min_decryption_version: 0 },
        "invalid key configure request: min_decryption_version: versions start at 1",
      ],
      [{ min_decryption_version: "2" }, "invalid key configure request"],
      [{ min_decryption_version: 2 }, "invalid key version"],
    ];
    for (const [body, message] of bad) {
      expectError(await admin.call("POST", "/v1/key/configure/conf", body), 400, message);
    }
  });

  it("a disabled key refuses generate/encrypt/decrypt/hmac/rewrap with 409 until enabled", async () => {
    await admin.ok("POST", "/v1/key/create/off");
    const dek = await admin.generate("off");
    await admin.ok("POST", "/v1/key/disable/off");
    expect((await admin.ok("GET", "/v1/key/describe/off")).enabled).toBe(false);
    const calls: [string, unknown][] = [
      ["generate", {}],
      ["encrypt", { plaintext: b64("x") }],
      ["decrypt", { ciphertext: dek.ciphertext, context: b64("ctx") }],
      ["hmac", { message: b64("x") }],
      ["rewrap", { ciphertext: dek.ciphertext, context: b64("ctx") }],
    ];
    for (const [op, body] of calls) {
      expectError(await admin.call("POST", `/v1/key/${op}/off`, body), 409, "key is disabled");
    }
    await admin.ok("POST", "/v1/key/enable/off");
    expect((await admin.decrypt("off", dek.ciphertext)).body.plaintext).toBe(dek.plaintext);
  });
});

describe("deletion with a recovery window", () => {
  it("pending: KES errors with the reason in X-Keyfront-Detail; restore brings the key back", async () => {
    await admin.ok("POST", "/v1/key/create/gone");
    const dek = await admin.generate("gone");
    await admin.ok("DELETE", "/v1/key/delete/gone");
    const missing: [string, string, unknown][] = [
      ["POST", "/v1/key/generate/gone", {}],
      ["POST", "/v1/key/encrypt/gone", { plaintext: b64("x") }],
      ["GET", "/v1/key/describe/gone", undefined],
      ["POST", "/v1/key/hmac/gone", { message: b64("x") }],
      ["POST", "/v1/key/rotate/gone", undefined],
      ["POST", "/v1/key/decrypt/gone", { ciphertext: dek.ciphertext, context: b64("ctx") }],
    ];
    for (const [method, path, body] of missing) {
      expectError(await admin.call(method, path, body), 404, "key does not exist", PENDING);
    }
    expectError(
      await admin.call("POST", "/v1/key/create/gone"),
      400,
      "key already exists",
      PENDING,
    );
    const imported = await admin.call("POST", "/v1/key/import/gone", {
      key: Buffer.alloc(32, 7).toString("base64"),
      cipher: "AES256",
    });
    expectError(imported, 400, "key already exists", PENDING);
    // the material is still there until the window ends
    expect(await readdir(keysDir)).toContain("gone");
    await admin.ok("POST", "/v1/key/restore/gone");
    expect((await admin.decrypt("gone", dek.ciphertext)).body.plaintext).toBe(dek.plaintext);
    expect((await admin.ok("GET", "/v1/key/describe/gone")).name).toBe("gone");
  });

  it("purge destroys a pending key at once, and only a pending one", async () => {
    await admin.ok("POST", "/v1/key/create/burn");
    await admin.rotate("burn");
    const dek = await admin.generate("burn");
    expectError(
      await admin.call("DELETE", "/v1/key/purge/burn"),
      400,
      "key is not pending deletion",
    );
    await admin.ok("DELETE", "/v1/key/delete/burn");
    await admin.ok("DELETE", "/v1/key/purge/burn");
    expect((await readdir(keysDir)).filter((n) => n === "burn" || n.startsWith("burn."))).toEqual(
      [],
    );
    const d = await admin.decrypt("burn", dek.ciphertext);
    expect([d.status, d.detail]).toEqual([404, undefined]);
    // the name is free again: a new key, starting at version 1, that cannot open the old DEK
    await admin.ok("POST", "/v1/key/create/burn");
    expect((await admin.ok("GET", "/v1/key/versions/burn")).latest).toBe(1);
    expectError(
      await admin.decrypt("burn", dek.ciphertext),
      400,
      "decryption failed: ciphertext is not authentic",
    );
  });
});

describe("policies and audit", () => {
  it("an identity allowed only /v1/key/decrypt/* cannot rotate, purge, disable or restore", async () => {
    await admin.ok("POST", "/v1/key/create/guarded");
    const dek = await admin.generate("guarded");
    const app = admin.as(f.clients.ecdsa);
    for (const [method, route] of NEW_ROUTES) {
      const a = await app.call(method === "PUT" ? "POST" : method, `${route}guarded`, {});
      expectError(a, 403, "not authorized: insufficient permissions");
    }
    expect((await app.decrypt("guarded", dek.ciphertext)).body.plaintext).toBe(dek.plaintext);
    expect((await admin.ok("GET", "/v1/key/versions/guarded")).latest).toBe(1);
  });

  it("audit events name the version a key route used or made", async () => {
    await admin.ok("POST", "/v1/key/create/audited");
    await admin.rotate("audited");
    const dek = await admin.generate("audited");
    await admin.decrypt("audited", dek.ciphertext);
    const routes = ["rotate", "generate", "decrypt"].map((r) => `"/v1/key/${r}/audited"`);
    const events = () =>
      s
        .stdout()
        .split("\n")
        .filter((l) => routes.some((r) => l.includes(r)))
        .map((l) => JSON.parse(l) as { request: { path: string }; response: { version?: number } });
    // audit lines are written asynchronously: wait until all three arrived
    for (let i = 0; i < 200 && events().length < 3; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(events().map((e) => [e.request.path, e.response.version])).toEqual([
      ["/v1/key/rotate/audited", 2],
      ["/v1/key/generate/audited", 2],
      ["/v1/key/decrypt/audited", 2],
    ]);
    const create = s
      .stdout()
      .split("\n")
      .find((l) => l.includes('"/v1/key/create/audited"'));
    expect(create).toBeDefined();
    expect(create).not.toContain('"version"');
  });
});
