// KV v1 and v2 on the Vault test server, driven over HTTP as a client would: exact statuses and
// bodies (204 vs 200, 404 `{"errors":[]}`, soft-deleted 404 envelopes, cas messages, list shapes)
// from vault-api.md §2, §3 and the quirks list.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVaultTestServer, type VaultTestServer } from "./server.js";
import { clientFor } from "./test-client.js";

let server: VaultTestServer;
let v: ReturnType<typeof clientFor>;

beforeAll(async () => {
  server = await startVaultTestServer();
  v = clientFor(server.addr, server.rootToken);
  // Not pre-mounted (as in `vault server -dev`): mounted as an operator would.
  expect((await v("POST", "/v1/sys/mounts/kv", { body: { type: "kv" } })).status).toBe(204);
});
afterAll(() => server.close());

describe("KV v1 (kv/)", () => {
  it("writes 204, reads the object as written with lease_duration 2764800 (or its ttl)", async () => {
    const w = await v("PUT", "/v1/kv/app/one", { body: { n: 1, nested: { b: true } } });
    expect(w.status).toBe(204);
    expect(w.text).toBe("");
    const r = await v("GET", "/v1/kv/app/one");
    expect(r.json).toMatchObject({ data: { n: 1, nested: { b: true } }, lease_duration: 2764800 });
    await v("POST", "/v1/kv/app/ttl", { body: { ttl: "1h", x: "y" } });
    expect((await v("GET", "/v1/kv/app/ttl")).json).toMatchObject({
      lease_duration: 3600,
      data: { ttl: "1h" },
    });
  });

  it("404 {errors:[]} for missing keys and folders; missing data fields; idempotent delete", async () => {
    expect(await v("GET", "/v1/kv/app/missing")).toMatchObject({
      status: 404,
      json: { errors: [] },
    });
    expect(await v("GET", "/v1/kv/app/")).toMatchObject({ status: 404, json: { errors: [] } });
    expect(await v("POST", "/v1/kv/app/empty")).toMatchObject({
      status: 400,
      json: { errors: ["missing data fields"] },
    });
    expect((await v("DELETE", "/v1/kv/never/was")).status).toBe(204);
  });

  it("lists direct children with folders ending in '/', via LIST and ?list=true; empty is 404", async () => {
    await v("POST", "/v1/kv/tree/a", { body: { x: 1 } });
    await v("POST", "/v1/kv/tree/sub/b", { body: { x: 1 } });
    for (const [m, p] of [
      ["LIST", "/v1/kv/tree"],
      ["GET", "/v1/kv/tree/?list=true"],
    ]) {
      const r = await v(m as string, p as string);
      expect(r.status).toBe(200);
      expect(r.json.data).toEqual({ keys: ["a", "sub/"] });
      expect(r.json.lease_duration).toBe(0);
    }
    expect(await v("LIST", "/v1/kv/nothing-here/")).toMatchObject({
      status: 404,
      json: { errors: [] },
    });
    expect(
      (
        await v("PATCH", "/v1/kv/tree/a", {
          body: {},
          headers: { "Content-Type": "application/merge-patch+json" },
        })
      ).json,
    ).toEqual({ errors: ["1 error occurred:\n\t* unsupported operation\n\n"] });
  });

  it("a v2-style write on a v1 mount succeeds with 204 and stores the literal object", async () => {
    const w = await v("POST", "/v1/kv/data/k", { body: { data: { a: 1 }, options: {} } });
    expect(w.status).toBe(204);
    expect((await v("GET", "/v1/kv/data/k")).json.data).toEqual({ data: { a: 1 }, options: {} });
  });
});

describe("KV v2 (secret/)", () => {
  it("writes 200 with version metadata, reads data+metadata, versions count up", async () => {
    const w1 = await v("POST", "/v1/secret/data/ver", { body: { data: { v: 1 } } });
    expect(w1.status).toBe(200);
    expect(w1.json.data).toMatchObject({
      version: 1,
      destroyed: false,
      deletion_time: "",
      custom_metadata: null,
    });
    expect(w1.json.data.created_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z$/);
    await v("PUT", "/v1/secret/data/ver", { body: { data: { v: 2 } } });
    const cur = await v("GET", "/v1/secret/data/ver");
    expect(cur.json.data).toMatchObject({ data: { v: 2 }, metadata: { version: 2 } });
    expect((await v("GET", "/v1/secret/data/ver?version=1")).json.data.data).toEqual({ v: 1 });
    expect(await v("GET", "/v1/secret/data/ver?version=9")).toMatchObject({
      status: 404,
      json: { errors: [] },
    });
    expect(await v("GET", "/v1/secret/data/none")).toMatchObject({
      status: 404,
      json: { errors: [] },
    });
    expect(await v("POST", "/v1/secret/data/ver", { body: { v: 3 } })).toMatchObject({
      status: 400,
      json: { errors: ["no data provided"] },
    });
  });

  it("cas: 0 creates once; mismatches and garbage are 400 with exact messages", async () => {
    expect(
      (await v("POST", "/v1/secret/data/cas", { body: { data: { a: 1 }, options: { cas: 0 } } }))
        .status,
    ).toBe(200);
    expect(
      await v("POST", "/v1/secret/data/cas", { body: { data: { a: 2 }, options: { cas: 0 } } }),
    ).toMatchObject({
      status: 400,
      json: { errors: ["check-and-set parameter did not match the current version"] },
    });
    expect(
      (await v("POST", "/v1/secret/data/cas", { body: { data: { a: 2 }, options: { cas: "1" } } }))
        .status,
    ).toBe(200);
    expect(
      await v("POST", "/v1/secret/data/cas", { body: { data: {}, options: { cas: "x" } } }),
    ).toMatchObject({ status: 400, json: { errors: ["error parsing check-and-set parameter"] } });
    // Deleting every version keeps metadata: cas 0 still fails; only metadata delete resets.
    await v("POST", "/v1/secret/destroy/cas", { body: { versions: [1, 2] } });
    expect(
      (await v("POST", "/v1/secret/data/cas", { body: { data: {}, options: { cas: 0 } } })).status,
    ).toBe(400);
    expect((await v("DELETE", "/v1/secret/metadata/cas")).status).toBe(204);
    const again = await v("POST", "/v1/secret/data/cas", {
      body: { data: { a: 3 }, options: { cas: 0 } },
    });
    expect(again.json.data.version).toBe(1);
  });

  it("cas_required on config demands cas", async () => {
    expect((await v("POST", "/v1/secret/config", { body: { cas_required: true } })).status).toBe(
      204,
    );
    expect(await v("POST", "/v1/secret/data/req", { body: { data: { a: 1 } } })).toMatchObject({
      status: 400,
      json: { errors: ["check-and-set parameter required for this call"] },
    });
    await v("POST", "/v1/secret/config", { body: { cas_required: false } });
    expect((await v("GET", "/v1/secret/config")).json.data).toEqual({
      cas_required: false,
      delete_version_after: "0s",
      max_versions: 0,
    });
  });

  it("soft-delete, undelete, destroy: 404 success envelopes, exact version-list errors", async () => {
    await v("POST", "/v1/secret/data/del", { body: { data: { a: 1 } } });
    expect((await v("DELETE", "/v1/secret/data/del")).status).toBe(204);
    const gone = await v("GET", "/v1/secret/data/del");
    expect(gone.status).toBe(404);
    expect(gone.json.errors).toBeUndefined();
    expect(gone.json).toMatchObject({
      data: { data: null, metadata: { version: 1, destroyed: false } },
      mount_type: "",
    });
    expect(gone.json.data.metadata.deletion_time).not.toBe("");
    expect((await v("POST", "/v1/secret/undelete/del", { body: { versions: [1] } })).status).toBe(
      204,
    );
    expect((await v("GET", "/v1/secret/data/del")).json.data.data).toEqual({ a: 1 });
    expect((await v("POST", "/v1/secret/destroy/del", { body: { versions: [1] } })).status).toBe(
      204,
    );
    const destroyed = await v("GET", "/v1/secret/data/del");
    expect(destroyed.json.data.metadata).toMatchObject({ destroyed: true, deletion_time: "" });
    expect(await v("POST", "/v1/secret/delete/del", { body: { versions: [] } })).toMatchObject({
      status: 400,
      json: { errors: ["No version number provided"] },
    });
    expect(await v("POST", "/v1/secret/undelete/del", {})).toMatchObject({
      status: 400,
      json: { errors: ["No version number provided"] },
    });
    expect(await v("POST", "/v1/secret/destroy/del", { body: {} })).toMatchObject({
      status: 400,
      json: { errors: ["no version number provided"] },
    });
    for (const p of ["delete", "undelete", "destroy"]) {
      expect((await v("POST", `/v1/secret/${p}/missing`, { body: { versions: [1] } })).status).toBe(
        204,
      );
    }
  });

  it("metadata read/write, max_versions eviction, list shapes including deleted keys", async () => {
    expect(
      (
        await v("POST", "/v1/secret/metadata/lst/m", {
          body: { max_versions: 2, custom_metadata: { owner: "t" } },
        })
      ).status,
    ).toBe(204);
    for (const n of [1, 2, 3]) await v("POST", "/v1/secret/data/lst/m", { body: { data: { n } } });
    const meta = await v("GET", "/v1/secret/metadata/lst/m");
    expect(meta.json.data).toMatchObject({
      current_version: 3,
      oldest_version: 2,
      max_versions: 2,
      custom_metadata: { owner: "t" },
      delete_version_after: "0s",
    });
    expect(Object.keys(meta.json.data.versions)).toEqual(["2", "3"]);
    expect(await v("GET", "/v1/secret/data/lst/m?version=1")).toMatchObject({
      status: 404,
      json: { errors: [] },
    });
    await v("POST", "/v1/secret/data/lst/dir/x", { body: { data: { a: 1 } } });
    await v("DELETE", "/v1/secret/data/lst/dir/x");
    expect((await v("LIST", "/v1/secret/metadata/lst")).json.data.keys).toEqual(["dir/", "m"]);
    expect((await v("GET", "/v1/secret/metadata/lst/dir/?list=true")).json.data.keys).toEqual([
      "x",
    ]);
    expect((await v("LIST", "/v1/secret/metadata/lst/dir/?exclude_deleted=true")).status).toBe(404);
    expect(await v("LIST", "/v1/secret/metadata/empty/")).toMatchObject({
      status: 404,
      json: { errors: [] },
    });
    expect(await v("GET", "/v1/secret/metadata/none")).toMatchObject({
      status: 404,
      json: { errors: [] },
    });
  });

  it("PATCH merges with merge-patch+json; missing key is 404 with an empty body", async () => {
    const patch = { "Content-Type": "application/merge-patch+json" };
    await v("POST", "/v1/secret/data/p", { body: { data: { a: 1, b: 2 } } });
    const r = await v("PATCH", "/v1/secret/data/p", {
      body: { data: { b: null, c: 3 } },
      headers: patch,
    });
    expect(r.json.data.version).toBe(2);
    expect((await v("GET", "/v1/secret/data/p")).json.data.data).toEqual({ a: 1, c: 3 });
    const missing = await v("PATCH", "/v1/secret/data/nope", {
      body: { data: { a: 1 } },
      headers: patch,
    });
    expect(missing.status).toBe(404);
    expect(missing.text).toBe("");
  });

  it("v1-style paths on a v2 mount are 404 with a warning envelope", async () => {
    const r = await v("GET", "/v1/secret/foo");
    expect(r.status).toBe(404);
    expect(r.json.errors).toBeUndefined();
    expect(r.json.warnings).toEqual([
      "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation.",
    ]);
    const put = await v("POST", "/v1/secret/foo", { body: { a: 1 } });
    expect(put.json.warnings[0]).toContain("'vault kv put'");
    const root = await v("GET", "/v1/secret/data");
    expect(root.json.warnings).toEqual([
      "Non-listing operations on the root of a K/V v2 mount are not supported.",
    ]);
  });

  it("v1-style write, delete and list on a v2 mount are 404 + warnings and change nothing", async () => {
    const put = await v("POST", "/v1/secret/wrong-layout", { body: { "wrong-layout": "x" } });
    expect(put.status).toBe(404);
    expect(put.json.errors).toBeUndefined();
    expect(put.json.warnings[0]).toContain("Invalid path for a versioned K/V secrets engine");
    expect((await v("DELETE", "/v1/secret/wrong-layout")).status).toBe(404);
    expect((await v("LIST", "/v1/secret/")).json.warnings[0]).toContain("'vault kv list'");
    expect((await v("GET", "/v1/secret/metadata/wrong-layout")).status).toBe(404);
  });
});

describe("default mounts and lost writes", () => {
  it("mounts what `vault server -dev` mounts as K/V: only secret/, version 2", async () => {
    const fresh = await startVaultTestServer();
    try {
      const mounts = await clientFor(fresh.addr, fresh.rootToken)("GET", "/v1/sys/mounts");
      const kvMounts = Object.entries(mounts.json.data as Record<string, { type: string }>)
        .filter(([, m]) => m.type === "kv")
        .map(([p, m]) => [p, m]);
      expect(kvMounts).toEqual([
        ["secret/", expect.objectContaining({ options: { version: "2" } })],
      ]);
      expect(mounts.json.data["kv/"]).toBeUndefined();
      expect((await clientFor(fresh.addr, fresh.rootToken)("GET", "/v1/kv/x")).json).toEqual({
        errors: ['no handler for route "kv/x". route entry not found.'],
      });
    } finally {
      await fresh.close();
    }
  });

  it("lose_writes acknowledges K/V v1 and v2 writes as real Vault would, but keeps nothing", async () => {
    const set = await v("POST", "/__test/faults", { body: { lose_writes: 2 } });
    expect(set.json.lose_writes).toBe(2);
    const w2 = await v("POST", "/v1/secret/data/lost", {
      body: { data: { a: 1 }, options: { cas: 0 } },
    });
    expect(w2.status).toBe(200);
    expect(w2.json.data).toMatchObject({ version: 1, destroyed: false, deletion_time: "" });
    const w1 = await v("POST", "/v1/kv/lost", { body: { a: 1 } });
    expect(w1.status).toBe(204);
    expect((await v("GET", "/v1/secret/data/lost")).status).toBe(404);
    expect((await v("GET", "/v1/kv/lost")).status).toBe(404);
    expect((await v("GET", "/__test/faults")).json.lose_writes).toBe(0);
    expect((await v("POST", "/v1/kv/lost", { body: { a: 1 } })).status).toBe(204);
    expect((await v("GET", "/v1/kv/lost")).json.data).toEqual({ a: 1 });
  });

  it("hide_reads answers reads of existing K/V v1 and v2 keys 404 {errors:[]} N times", async () => {
    await v("POST", "/v1/secret/data/lagging", { body: { data: { a: 1 } } });
    await v("POST", "/v1/kv/lagging", { body: { a: 1 } });
    expect((await v("POST", "/__test/faults", { body: { hide_reads: 2 } })).json.hide_reads).toBe(
      2,
    );
    expect(await v("GET", "/v1/secret/data/lagging")).toMatchObject({
      status: 404,
      json: { errors: [] },
    });
    expect(await v("GET", "/v1/kv/lagging")).toMatchObject({ status: 404, json: { errors: [] } });
    expect((await v("GET", "/v1/secret/data/lagging")).json.data.data).toEqual({ a: 1 });
    expect((await v("GET", "/v1/kv/lagging")).json.data).toEqual({ a: 1 });
  });
});
