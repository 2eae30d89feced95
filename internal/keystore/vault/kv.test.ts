// Table-driven tests of the Vault KV layout: Go path.Join semantics, v1/v2 paths and bodies,
// reading values and names out of responses, transit bodies.

import { describe, expect, it } from "vitest";
import { stateOfHealth } from "./health.js";
import { backoffMs, describeResponse } from "./http.js";
import {
  checkLayout,
  createBody,
  dataPath,
  deletePath,
  joinPath,
  type KvLayout,
  listPath,
  readCiphertext,
  readNames,
  readPlaintext,
  readValue,
  transitEncrypt,
} from "./kv.js";
import { isDeadToken, leaseOfAuth, loginNamespace } from "./login.js";

const v1 = (prefix = "", engine = "kv"): KvLayout => ({ engine, version: "v1", prefix });
const v2 = (prefix = "", engine = "kv"): KvLayout => ({ engine, version: "v2", prefix });

describe("joinPath (Go path.Join, kes-api.md §8.3)", () => {
  it.each([
    [["kv", "", "k"], "kv/k"],
    [["kv", "/a/b/", "k"], "kv/a/b/k"],
    [["/kv/", "a//b", "k"], "kv/a/b/k"],
    [["kv"], "kv"],
    [["kv", ""], "kv"],
  ])("%j → %s", (parts, want) => {
    expect(joinPath(...parts)).toBe(want);
  });
});

describe("paths", () => {
  it.each([
    [v1(), "k1", "kv/k1", "kv/k1", "kv/"],
    [v1("/tenant-a/"), "k1", "kv/tenant-a/k1", "kv/tenant-a/k1", "kv/tenant-a/"],
    [v2(), "k1", "kv/data/k1", "kv/metadata/k1", "kv/metadata/"],
    [v2("a/b"), "k1", "secret/data/a/b/k1", "secret/metadata/a/b/k1", "secret/metadata/a/b/"],
    [v1("sp ace", "my kv"), "k", "my%20kv/sp%20ace/k", "my%20kv/sp%20ace/k", "my%20kv/sp%20ace/"],
  ])("%j %s", (layout, name, data, del, list) => {
    const l = layout.prefix === "a/b" ? { ...layout, engine: "secret" } : layout;
    expect([dataPath(l, name), deletePath(l, name), listPath(l)]).toEqual([data, del, list]);
  });

  it.each(["", ".", "..", "a/b"])("rejects the key name %j", (name) => {
    expect(() => dataPath(v1(), name)).toThrow(/cannot be stored/);
  });

  it.each([
    [v1("../other"), /prefix/],
    [v1("a/./b"), /prefix/],
    [v1("", "kv/.."), /engine/],
    [v1("", "/"), /engine: must not be empty/],
  ])("rejects layouts that escape their mount: %j", (layout, re) => {
    expect(() => checkLayout(layout)).toThrow(re);
  });

  it("accepts ordinary layouts", () => {
    expect(() => checkLayout(v2("/tenants/a/"))).not.toThrow();
  });
});

describe("bodies and values", () => {
  it("creates with cas 0 on v2 and the bare field on v1 (§8.3 Create)", () => {
    expect(createBody(v2(), "k", "val")).toEqual({ options: { cas: 0 }, data: { k: "val" } });
    expect(createBody(v1(), "k", "val")).toEqual({ k: "val" });
  });

  it.each([
    [v1(), { data: { k: "abc" } }, { kind: "value", stored: "abc" }],
    [v2(), { data: { data: { k: "abc" }, metadata: {} } }, { kind: "value", stored: "abc" }],
    [v2(), { data: { data: null, metadata: { destroyed: true } } }, { kind: "missing" }],
    [
      v1(),
      { data: { other: "x" } },
      { kind: "invalid", reason: "entry exists but has no field 'k'" },
    ],
    [v1(), { data: { k: 5 } }, { kind: "invalid", reason: "field 'k' is not a string" }],
    [v2(), { data: { k: "abc" } }, { kind: "invalid", reason: "K/V v2 response has no data.data" }],
    [v1(), undefined, { kind: "invalid", reason: "response has no data" }],
  ])("readValue %j %j", (layout, body, want) => {
    expect(readValue(layout, "k", body)).toEqual(want);
  });

  it("drops folders from listings", () => {
    expect(readNames({ data: { keys: ["b", "a/", "c", 3, ""] } })).toEqual(["b", "c"]);
    expect(readNames({ data: {} })).toBeUndefined();
  });

  it("wraps and unwraps with transit", () => {
    const t = { engine: "transit", key: "kes" };
    expect(transitEncrypt(t, "hi")).toEqual({
      path: "transit/encrypt/kes",
      body: { plaintext: "aGk=" },
    });
    expect(readCiphertext({ data: { ciphertext: "vault:v1:abc" } })).toBe("vault:v1:abc");
    expect(readCiphertext({ data: { ciphertext: "abc" } })).toBeUndefined();
    expect(readPlaintext({ data: { plaintext: "aGk=" } })).toBe("hi");
    expect(readPlaintext({ data: { plaintext: "not base64!" } })).toBeUndefined();
  });
});

describe("health, auth and response helpers", () => {
  it.each([
    [{ initialized: false, sealed: true, standby: true }, "uninitialized"],
    [{ initialized: true, sealed: true, standby: true }, "sealed"],
    [{ initialized: true, sealed: false, standby: true }, "standby"],
    [{ initialized: true, sealed: false, standby: false, performance_standby: true }, "standby"],
    [{ initialized: true, sealed: false, standby: false }, "ok"],
    [{ errors: [] }, undefined],
    [undefined, undefined],
  ])("stateOfHealth %j → %s", (body, want) => {
    expect(stateOfHealth(body)).toBe(want);
  });

  const res = (status: number, errors: string[]) => ({
    status,
    body: { errors },
    errors,
    warnings: [],
  });
  it.each([
    [res(403, ["2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"]), true],
    [res(403, ["permission denied"]), true],
    [res(403, ["1 error occurred:\n\t* permission denied\n\n"]), false],
    [res(400, ["invalid token"]), false],
  ])("isDeadToken %#", (r, want) => {
    expect(isDeadToken(r)).toBe(want);
  });

  it("describes Vault errors on one line", () => {
    expect(describeResponse(res(403, ["1 error occurred:\n\t* permission denied\n\n"]))).toBe(
      "HTTP 403: permission denied",
    );
    expect(describeResponse(res(404, []))).toBe("HTTP 404");
  });

  it("reads the auth block of a login answer", () => {
    const body = { auth: { client_token: "t", lease_duration: 30, renewable: true } };
    expect(leaseOfAuth({ status: 200, body, errors: [], warnings: [] })).toEqual({
      token: "t",
      ttlMs: 30_000,
      renewable: true,
    });
    expect(
      leaseOfAuth({ status: 200, body: { auth: null }, errors: [], warnings: [] }),
    ).toBeUndefined();
  });

  it.each([
    ["/", "tenant", ""],
    ["", "tenant", "tenant"],
    ["admin", "tenant", "admin"],
  ])("login namespace %j with store namespace %j → %j", (auth, store, want) => {
    expect(loginNamespace(auth, store)).toBe(want);
  });

  it("backs off exponentially with jitter, capped", () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(2_000, 100 * 2 ** attempt);
      const d = backoffMs(attempt, 100, 2_000);
      expect(d).toBeGreaterThanOrEqual(ceiling / 2);
      expect(d).toBeLessThanOrEqual(ceiling);
    }
  });
});
