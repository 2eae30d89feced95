// ACL policies, mounts and namespaces on the Vault test server (vault-api.md §1.6, §4, §8):
// allow/deny with multierror 403s, create vs update by existence, `+`/`*` globs, list trailing
// slash, sys/mounts enable/conflict/tune, ui/mounts detection and its preflight 403, Enterprise
// namespace isolation and OSS header ignoring.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVaultTestServer, type VaultTestServer } from "./server.js";
import { clientFor } from "./test-client.js";

const DENIED = "1 error occurred:\n\t* permission denied\n\n";
let server: VaultTestServer;
let v: ReturnType<typeof clientFor>;

beforeAll(async () => {
  server = await startVaultTestServer();
  v = clientFor(server.addr, server.rootToken);
  // Not pre-mounted (as in `vault server -dev`): mounted as an operator would.
  expect((await v("POST", "/v1/sys/mounts/kv", { body: { type: "kv" } })).status).toBe(204);
});
afterAll(() => server.close());

async function tokenWith(
  policy: string,
  name: string,
  root = v,
): Promise<ReturnType<typeof clientFor>> {
  expect((await root("PUT", `/v1/sys/policies/acl/${name}`, { body: { policy } })).status).toBe(
    204,
  );
  const r = await root("POST", "/v1/auth/token/create", { body: { policies: [name] } });
  return clientFor(server.addr, r.json.auth.client_token, undefined);
}

describe("ACL", () => {
  it("create-only policy: create allowed, overwrite 403 (existence check on metadata)", async () => {
    const t = await tokenWith(
      'path "secret/data/co/*" { capabilities = ["create"] }',
      "create-only",
    );
    expect((await t("POST", "/v1/secret/data/co/k", { body: { data: { a: 1 } } })).status).toBe(
      200,
    );
    expect(await t("POST", "/v1/secret/data/co/k", { body: { data: { a: 2 } } })).toMatchObject({
      status: 403,
      json: { errors: [DENIED] },
    });
    expect((await t("GET", "/v1/secret/data/co/k")).status).toBe(403);
    const u = await tokenWith('path "kv/uo/*" { capabilities = ["update"] }', "update-only");
    expect((await u("POST", "/v1/kv/uo/new", { body: { a: 1 } })).status).toBe(403);
    await v("POST", "/v1/kv/uo/old", { body: { a: 1 } });
    expect((await u("POST", "/v1/kv/uo/old", { body: { a: 2 } })).status).toBe(204);
  });

  it("`+` segments, `*` prefixes, deny wins, list needs the trailing-slash path", async () => {
    const t = await tokenWith(
      `# tenants
path "secret/data/+/db" { capabilities = ["read"] }
path "secret/data/zip-*" { capabilities = ["read"] }
path "secret/data/zip-no" { capabilities = ["deny"] }
path "secret/metadata/ls/" { capabilities = ["list"] }`,
      "globs",
    );
    for (const p of ["t1/db", "zip-zap/x", "zip-no", "ls/a"])
      await v("POST", `/v1/secret/data/${p}`, { body: { data: { a: 1 } } });
    expect((await t("GET", "/v1/secret/data/t1/db")).status).toBe(200);
    expect((await t("GET", "/v1/secret/data/t1/x/db")).status).toBe(403);
    expect((await t("GET", "/v1/secret/data/zip-zap/x")).status).toBe(200);
    expect((await t("GET", "/v1/secret/data/zip/x")).status).toBe(403);
    expect((await t("GET", "/v1/secret/data/zip-no")).status).toBe(403);
    expect((await t("LIST", "/v1/secret/metadata/ls")).status).toBe(200);
    expect((await t("GET", "/v1/secret/metadata/ls")).status).toBe(403);
    const caps = await t("POST", "/v1/sys/capabilities-self", {
      body: { paths: ["secret/data/a/db"] },
    });
    expect(caps.json.data.capabilities).toEqual(["read"]);
  });

  it("no sys/ access without a policy; bad policy text is rejected", async () => {
    const t = await tokenWith('path "kv/*" { capabilities = ["read"] }', "kv-read");
    expect(await t("GET", "/v1/sys/mounts")).toMatchObject({
      status: 403,
      json: { errors: [DENIED] },
    });
    expect(await t("POST", "/v1/sys/seal")).toMatchObject({ status: 403 });
    expect(await t("GET", "/v1/unmounted/x")).toMatchObject({
      status: 403,
      json: { errors: [DENIED] },
    });
    const bad = await v("PUT", "/v1/sys/policies/acl/bad", {
      body: { policy: 'path "x" { capabilities = ["fly"] }' },
    });
    expect(bad.status).toBe(400);
    expect((await v("GET", "/v1/sys/policy/kv-read")).json).toMatchObject({
      name: "kv-read",
      data: { name: "kv-read" },
    });
  });
});

describe("mounts", () => {
  it("enables kv v1/v2 and transit; conflict is 400 path is already in use; tune upgrades v1→v2", async () => {
    expect((await v("POST", "/v1/sys/mounts/v2b", { body: { type: "kv-v2" } })).status).toBe(204);
    expect((await v("POST", "/v1/sys/mounts/v1b", { body: { type: "kv" } })).status).toBe(204);
    expect(await v("POST", "/v1/sys/mounts/v2b", { body: { type: "kv" } })).toMatchObject({
      status: 400,
      json: { errors: ["path is already in use at v2b/"] },
    });
    const list = await v("GET", "/v1/sys/mounts");
    expect(list.json.data["v2b/"]).toMatchObject({ type: "kv", options: { version: "2" } });
    expect(list.json.data["v1b/"].options).toBeNull();
    expect(list.json["v2b/"]).toBeDefined(); // injected at top level
    await v("POST", "/v1/v1b/old", { body: { a: 1 } });
    expect(
      (await v("POST", "/v1/sys/mounts/v1b/tune", { body: { options: { version: "2" } } })).status,
    ).toBe(204);
    expect((await v("GET", "/v1/v1b/data/old")).json.data.data).toEqual({ a: 1 });
    expect(
      await v("POST", "/v1/sys/mounts/v1b/tune", { body: { options: { version: "1" } } }),
    ).toMatchObject({ status: 400, json: { errors: ["cannot downgrade mount from version 2"] } });
    expect((await v("DELETE", "/v1/sys/mounts/v1b")).status).toBe(204);
    expect((await v("GET", "/v1/v1b/data/old")).status).toBe(404);
  });

  it("ui/mounts: version detection for any path inside; preflight 403 without access or mount", async () => {
    const r = await v("GET", "/v1/sys/internal/ui/mounts/secret/some/key");
    expect(r.json.data).toMatchObject({ path: "secret/", type: "kv", options: { version: "2" } });
    const t = await tokenWith('path "secret/data/app/*" { capabilities = ["read"] }', "ui-app");
    expect((await t("GET", "/v1/sys/internal/ui/mounts/secret")).status).toBe(200);
    expect(await t("GET", "/v1/sys/internal/ui/mounts/kv")).toMatchObject({
      status: 403,
      json: {
        errors: [
          'preflight capability check returned 403, please ensure client\'s policies grant access to path "kv/"',
        ],
      },
    });
    expect((await v("GET", "/v1/sys/internal/ui/mounts/missing")).status).toBe(403);
    expect(await clientFor(server.addr)("GET", "/v1/sys/internal/ui/mounts/secret")).toMatchObject({
      status: 403,
      json: { errors: ["permission denied"] },
    });
  });
});

describe("namespaces (Enterprise mode)", () => {
  it("isolates the same path in two namespaces, via header or path prefix", async () => {
    for (const ns of ["tenant-a", "tenant-b"]) {
      expect((await v("POST", `/v1/sys/namespaces/${ns}`)).status).toBe(200);
      const h = { "X-Vault-Namespace": ns };
      expect(
        (await v("POST", "/v1/sys/mounts/secret", { body: { type: "kv-v2" }, headers: h })).status,
      ).toBe(204);
      await v("POST", "/v1/secret/data/same", { body: { data: { owner: ns } }, headers: h });
    }
    expect(
      (await v("GET", "/v1/secret/data/same", { headers: { "X-Vault-Namespace": "tenant-a/" } }))
        .json.data.data,
    ).toEqual({ owner: "tenant-a" });
    expect((await v("GET", "/v1/tenant-b/secret/data/same")).json.data.data).toEqual({
      owner: "tenant-b",
    });
    expect((await v("GET", "/v1/secret/data/same")).status).toBe(404);
    expect((await v("LIST", "/v1/sys/namespaces")).json.data.keys).toEqual([
      "tenant-a/",
      "tenant-b/",
    ]);
  });

  it("tokens are bound to their namespace; missing child namespace is just a path", async () => {
    const h = { "X-Vault-Namespace": "tenant-a" };
    await v("PUT", "/v1/sys/policies/acl/rw", {
      body: { policy: 'path "secret/*" { capabilities = ["read","create","update"] }' },
      headers: h,
    });
    const created = await v("POST", "/v1/auth/token/create", {
      body: { policies: ["rw"] },
      headers: h,
    });
    const token = created.json.auth.client_token as string;
    const a = clientFor(server.addr, token);
    expect((await a("GET", "/v1/secret/data/same", { headers: h })).json.data.data).toEqual({
      owner: "tenant-a",
    });
    expect((await a("GET", "/v1/tenant-b/secret/data/same")).json).toEqual({ errors: [DENIED] });
    expect((await a("GET", "/v1/auth/token/lookup-self")).json.data.namespace_path).toBe(
      "tenant-a/",
    );
    const missing = await v("GET", "/v1/tenant-a/nochild/sys/mounts");
    expect(missing.json).toEqual({
      errors: ['no handler for route "nochild/sys/mounts". route entry not found.'],
    });
    expect(await v("GET", "/v1/sys/health", { headers: h })).toMatchObject({
      status: 400,
      json: { errors: ["operation unavailable in namespaces"] },
    });
  });

  it("OSS mode ignores the namespace header; a path prefix is an unmounted path", async () => {
    const oss = await startVaultTestServer({ enterprise: false });
    try {
      const o = clientFor(oss.addr, oss.rootToken);
      await o("POST", "/v1/secret/data/k", { body: { data: { a: 1 } } });
      const r = await o("GET", "/v1/secret/data/k", { headers: { "X-Vault-Namespace": "ns1" } });
      expect(r.json.data.data).toEqual({ a: 1 });
      expect((await o("GET", "/v1/ns1/secret/data/k")).json).toEqual({
        errors: ['no handler for route "ns1/secret/data/k". route entry not found.'],
      });
      expect((await o("POST", "/v1/sys/namespaces/ns1")).status).toBe(404);
    } finally {
      await oss.close();
    }
  });
});
