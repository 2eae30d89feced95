// Health, seal/unseal/init, standby, transit, fault injection (programmatic and `/__test/`) and
// TLS of the Vault test server (vault-api.md §7, §9, §10 and quirks 7, 8).

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startVaultTestServer, type VaultTestServer } from "./server.js";
import { call, clientFor } from "./test-client.js";

let server: VaultTestServer;
let v: ReturnType<typeof clientFor>;
let anon: ReturnType<typeof clientFor>;

beforeAll(async () => {
  server = await startVaultTestServer();
  v = clientFor(server.addr, server.rootToken);
  // Not pre-mounted (as in `vault server -dev`): mounted as an operator would.
  expect((await v("POST", "/v1/sys/mounts/kv", { body: { type: "kv" } })).status).toBe(204);
  anon = clientFor(server.addr);
});
afterEach(() => server.faults.reset());
afterAll(() => server.close());

describe("sys/health", () => {
  it.each([
    ["active", () => {}, "", 200],
    ["active, activecode override", () => {}, "?activecode=202", 202],
    ["standby", () => server.faults.setStandby(true), "", 429],
    ["standby + standbyok", () => server.faults.setStandby(true), "?standbyok=true", 200],
    ["standby + bare standbyok is false", () => server.faults.setStandby(true), "?standbyok", 429],
    ["standby + standbycode", () => server.faults.setStandby(true), "?standbycode=299", 299],
    ["sealed", () => server.faults.seal(), "", 503],
    ["sealed + sealedcode", () => server.faults.seal(), "?sealedcode=298", 298],
    ["uninitialised", () => server.faults.setInitialized(false), "", 501],
    [
      "uninitialised + uninitcode",
      () => server.faults.setInitialized(false),
      "?uninitcode=297",
      297,
    ],
    ["bad code", () => {}, "?activecode=abc", 400],
    ["bad bool", () => {}, "?standbyok=maybe", 400],
  ])("%s", async (_name, arrange, query, status) => {
    arrange();
    const r = await anon("GET", `/v1/sys/health${query}`);
    expect(r.status).toBe(status);
    if (status === 400) expect(r.json).toEqual({ errors: [] });
    else
      expect(r.json).toMatchObject({
        initialized: expect.any(Boolean),
        version: expect.any(String),
      });
  });

  it("sealed body says standby:true and replication unknown; HEAD has no body", async () => {
    server.faults.seal();
    const r = await anon("GET", "/v1/sys/health");
    expect(r.json).toMatchObject({ sealed: true, standby: true, replication_dr_mode: "unknown" });
    expect(r.json.cluster_id).toBeUndefined();
    const head = await anon("HEAD", "/v1/sys/health?sealedcode=299");
    expect(head.status).toBe(299);
    expect(head.text).toBe("");
  });

  it("perf standby: 473 unless perfstandbyok; standbyok does not cover it", async () => {
    const admin = (body: unknown) => v("POST", "/__test/faults", { body });
    await admin({ performance_standby: true });
    expect((await anon("GET", "/v1/sys/health?standbyok=true")).status).toBe(473);
    expect((await anon("GET", "/v1/sys/health?perfstandbyok=true")).status).toBe(200);
  });
});

describe("seal, unseal, init, standby", () => {
  it("sealed: 503 Vault is sealed everywhere except health/seal-status/unseal/init, even with a bogus token", async () => {
    expect((await v("POST", "/v1/sys/seal")).status).toBe(204);
    for (const [m, p] of [
      ["GET", "/v1/secret/data/x"],
      ["POST", "/v1/auth/approle/login"],
      ["GET", "/v1/sys/mounts"],
    ]) {
      expect(await clientFor(server.addr, "garbage")(m as string, p as string)).toMatchObject({
        status: 503,
        json: { errors: ["Vault is sealed"] },
      });
    }
    const status = await anon("GET", "/v1/sys/seal-status");
    expect(status.json).toMatchObject({
      type: "shamir",
      sealed: true,
      initialized: true,
      progress: 0,
    });
    expect(await anon("POST", "/v1/sys/unseal", { body: {} })).toMatchObject({
      status: 400,
      json: { errors: ["'key' must be specified in request body as JSON, or 'reset' set to true"] },
    });
    expect(await anon("POST", "/v1/sys/unseal", { body: { key: "!!" } })).toMatchObject({
      status: 400,
      json: { errors: ["'key' must be a valid hex or base64 string"] },
    });
    expect((await anon("GET", "/v1/sys/unseal")).status).toBe(405);
    server.faults.unseal();
    expect((await v("GET", "/v1/secret/metadata/x")).status).toBe(404);
  });

  it("sys/seal needs root or sudo", async () => {
    const t = (await v("POST", "/v1/auth/token/create", { body: { policies: ["default"] } })).json
      .auth.client_token;
    expect((await clientFor(server.addr, t)("POST", "/v1/sys/seal")).status).toBe(403);
  });

  it("init an uninitialised server, then unseal with threshold keys counting progress", async () => {
    server.faults.setInitialized(false);
    expect((await anon("GET", "/v1/sys/init")).json).toEqual({ initialized: false });
    expect((await v("GET", "/v1/kv/x")).status).toBe(503);
    const init = await anon("POST", "/v1/sys/init", {
      body: { secret_shares: 3, secret_threshold: 2 },
    });
    expect(init.status).toBe(200);
    expect(init.json.keys).toHaveLength(3);
    expect(init.json.root_token).toMatch(/^hvs\./);
    const s1 = await anon("PUT", "/v1/sys/unseal", { body: { key: init.json.keys[0] } });
    expect(s1.json).toMatchObject({ sealed: true, t: 2, n: 3, progress: 1 });
    const s2 = await anon("PUT", "/v1/sys/unseal", { body: { key: init.json.keys_base64[2] } });
    expect(s2.json).toMatchObject({ sealed: false, progress: 0 });
    expect(
      (await clientFor(server.addr, init.json.root_token)("GET", "/v1/sys/mounts")).status,
    ).toBe(200);
    expect(await anon("POST", "/v1/sys/init", { body: {} })).toMatchObject({
      status: 400,
      json: { errors: ["Vault is already initialized"] },
    });
    server.faults.seal();
    await anon("PUT", "/v1/sys/unseal", { body: { key: "00ff" } });
    expect(await anon("PUT", "/v1/sys/unseal", { body: { key: "ff00" } })).toMatchObject({
      status: 400,
      json: { errors: ["Unseal failed, invalid key"] },
    });
  });

  it("standby still serves requests (as a forwarding standby would)", async () => {
    server.faults.setStandby(true);
    expect((await v("GET", "/v1/sys/mounts")).status).toBe(200);
  });
});

describe("transit", () => {
  it("encrypt upserts, decrypt round-trips, errors are Vault's", async () => {
    expect((await v("POST", "/v1/sys/mounts/transit", { body: { type: "transit" } })).status).toBe(
      204,
    );
    const pt = Buffer.from("hello").toString("base64");
    const enc = await v("POST", "/v1/transit/encrypt/k1", { body: { plaintext: pt } });
    expect(enc.json.data).toMatchObject({
      key_version: 1,
      ciphertext: expect.stringMatching(/^vault:v1:[A-Za-z0-9+/=]+$/),
    });
    const dec = await v("POST", "/v1/transit/decrypt/k1", {
      body: { ciphertext: enc.json.data.ciphertext },
    });
    expect(dec.json.data.plaintext).toBe(pt);
    const tampered = `${enc.json.data.ciphertext.slice(0, -4)}AAA=`;
    for (const [ct, msg] of [
      [tampered, "cipher: message authentication failed"],
      ["nope", "invalid ciphertext: no prefix"],
      ["vault:v9:AAAA", "invalid ciphertext: version is too new"],
      ["vault:x:AAAA", "invalid ciphertext: version number could not be decoded"],
    ]) {
      expect(await v("POST", "/v1/transit/decrypt/k1", { body: { ciphertext: ct } })).toMatchObject(
        { status: 400, json: { errors: [msg] } },
      );
    }
    expect(
      await v("POST", "/v1/transit/decrypt/none", { body: { ciphertext: "vault:v1:AAAA" } }),
    ).toMatchObject({ status: 400, json: { errors: ["encryption key not found"] } });
    expect(await v("POST", "/v1/transit/encrypt/k1", { body: {} })).toMatchObject({
      status: 400,
      json: { errors: ["missing plaintext to encrypt"] },
    });
    const dk = await v("POST", "/v1/transit/datakey/plaintext/k1", { body: { bits: 256 } });
    expect(Buffer.from(dk.json.data.plaintext, "base64")).toHaveLength(32);
    const bad = await v("POST", "/v1/transit/datakey/other/none", { body: {} });
    expect(bad.json).toEqual({ errors: ["Invalid path, must be 'plaintext' or 'wrapped'"] });
  });
});

describe("faults", () => {
  it("latency delays answers", async () => {
    server.faults.setLatency(150);
    const t0 = Date.now();
    await anon("GET", "/v1/sys/health");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it("failNext answers N requests with the status and a Vault error body", async () => {
    server.faults.failNext(2, 503);
    expect((await v("GET", "/v1/sys/mounts")).status).toBe(503);
    const second = await v("GET", "/v1/sys/mounts");
    expect(second.status).toBe(503);
    expect(second.json.errors).toHaveLength(1);
    expect((await v("GET", "/v1/sys/mounts")).status).toBe(200);
    server.faults.failNext(1);
    expect((await v("GET", "/v1/sys/mounts")).status).toBe(500);
  });

  it("dropNext destroys the connection without an answer", async () => {
    server.faults.dropNext(1);
    await expect(v("GET", "/v1/sys/health")).rejects.toThrow();
    expect((await v("GET", "/v1/sys/health")).status).toBe(200);
  });

  it("revokeToken kills a token", async () => {
    const t = (await v("POST", "/v1/auth/token/create", { body: {} })).json.auth.client_token;
    server.faults.revokeToken(t);
    expect((await clientFor(server.addr, t)("GET", "/v1/auth/token/lookup-self")).status).toBe(403);
  });

  it("/__test/ admin endpoints need the root token and script the same faults", async () => {
    expect((await anon("POST", "/__test/faults", { body: { fail_next: 1 } })).status).toBe(403);
    const r = await v("POST", "/__test/faults", {
      body: { fail_next: 1, status: 502, sealed: true },
    });
    expect(r.json).toMatchObject({ fail_next: 1, status: 502, sealed: true });
    expect((await anon("GET", "/v1/sys/health")).status).toBe(502);
    expect((await anon("GET", "/v1/sys/health")).status).toBe(503);
    await v("POST", "/__test/faults", { body: { sealed: false, drop_next: 1 } });
    await expect(anon("GET", "/v1/sys/health")).rejects.toThrow();
    const t = (await v("POST", "/v1/auth/token/create", { body: {} })).json.auth.client_token;
    expect((await v("POST", "/__test/revoke", { body: { token: t } })).status).toBe(200);
    expect((await clientFor(server.addr, t)("GET", "/v1/auth/token/lookup-self")).status).toBe(403);
  });

  it("counts requests by path prefix", async () => {
    server.resetRequestCount();
    await v("GET", "/v1/secret/data/a");
    await v("GET", "/v1/secret/data/b");
    await v("GET", "/v1/kv/a");
    expect(server.requestCount()).toBe(3);
    expect(server.requestCount("secret/")).toBe(2);
    expect((await v("GET", "/__test/requests?prefix=kv/")).json.count).toBe(1);
  });
});

describe("TLS", () => {
  it("serves HTTPS with a generated CA that clients can trust", async () => {
    const tls = await startVaultTestServer({ tls: true });
    try {
      expect(tls.addr).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(tls.caPem).toContain("BEGIN CERTIFICATE");
      const r = await call(tls.addr, "LIST", "/v1/secret/metadata/", {
        token: tls.rootToken,
        caPem: tls.caPem as string,
      });
      expect(r).toMatchObject({ status: 404, json: { errors: [] } });
      await expect(call(tls.addr, "GET", "/v1/sys/health")).rejects.toThrow(/certificate/);
      const ca = await call(tls.addr, "GET", "/__test/ca", { caPem: tls.caPem as string });
      expect(ca.text).toBe(tls.caPem);
    } finally {
      await tls.close();
    }
  });
});
