// AppRole, tokens and response wrapping on the Vault test server (vault-api.md §5, §6): login
// shape and errors, secret_id limits, wrapped secret-id unwrap (single use), real TTL expiry with
// short TTLs, num_uses, renew-self capping and periodic tokens, revoke-self.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVaultTestServer, type VaultTestServer } from "./server.js";
import { clientFor, sleep } from "./test-client.js";

let server: VaultTestServer;
let v: ReturnType<typeof clientFor>;
const INVALID_TOKEN = "2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n";

beforeAll(async () => {
  server = await startVaultTestServer();
  v = clientFor(server.addr, server.rootToken);
  expect((await v("POST", "/v1/sys/auth/approle", { body: { type: "approle" } })).status).toBe(204);
  await v("PUT", "/v1/sys/policies/acl/app", {
    body: { policy: 'path "secret/data/app/*" { capabilities = ["read"] }' },
  });
});
afterAll(() => server.close());

async function roleCreds(role: string, settings: Record<string, unknown>) {
  expect((await v("POST", `/v1/auth/approle/role/${role}`, { body: settings })).status).toBe(204);
  const roleId = (await v("GET", `/v1/auth/approle/role/${role}/role-id`)).json.data
    .role_id as string;
  const secret = await v("POST", `/v1/auth/approle/role/${role}/secret-id`);
  return { roleId, secretId: secret.json.data.secret_id as string, secret: secret.json.data };
}

describe("AppRole", () => {
  it("login returns Vault's auth block with sorted policies, default added, role_name", async () => {
    const { roleId, secretId } = await roleCreds("web", {
      token_ttl: "30m",
      token_max_ttl: "1h",
      token_policies: "app",
    });
    const r = await v("POST", "/v1/auth/approle/login", {
      body: { role_id: roleId, secret_id: secretId },
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ lease_duration: 0, data: null });
    expect(r.json.auth).toMatchObject({
      policies: ["app", "default"],
      token_policies: ["app", "default"],
      metadata: { role_name: "web" },
      lease_duration: 1800,
      renewable: true,
      token_type: "service",
      orphan: true,
      num_uses: 0,
    });
    expect(r.json.auth.client_token).toMatch(/^hvs\./);
    expect(r.json.auth.accessor).toHaveLength(24);
    const role = await v("GET", "/v1/auth/approle/role/web");
    expect(role.json.data).toMatchObject({
      token_ttl: 1800,
      token_max_ttl: 3600,
      token_policies: ["app"],
      bind_secret_id: true,
    });
  });

  it("wrong role or secret alike; missing secret_id; secret_id_num_uses and secret_id_ttl enforced", async () => {
    const { roleId, secretId } = await roleCreds("limited", {
      secret_id_num_uses: 1,
      secret_id_ttl: 1,
    });
    const login = (body: unknown) => v("POST", "/v1/auth/approle/login", { body });
    expect(await login({ role_id: "nope", secret_id: secretId })).toMatchObject({
      status: 400,
      json: { errors: ["invalid role or secret ID"] },
    });
    expect(await login({ role_id: roleId, secret_id: "nope" })).toMatchObject({
      status: 400,
      json: { errors: ["invalid role or secret ID"] },
    });
    expect(await login({ role_id: roleId })).toMatchObject({
      status: 400,
      json: { errors: ["missing secret_id"] },
    });
    expect((await login({ role_id: roleId, secret_id: secretId })).status).toBe(200);
    expect((await login({ role_id: roleId, secret_id: secretId })).status).toBe(400);
    const second = (await v("POST", "/v1/auth/approle/role/limited/secret-id")).json.data.secret_id;
    await sleep(1100);
    expect((await login({ role_id: roleId, secret_id: second })).status).toBe(400);
    expect(await v("POST", "/v1/auth/approle/role/ghost/secret-id")).toMatchObject({
      status: 404,
      json: { errors: ['role "ghost" does not exist'] },
    });
    expect(await v("GET", "/v1/auth/approle/role/ghost")).toMatchObject({
      status: 404,
      json: { errors: [] },
    });
  });

  it("wrapped secret-id: wrap_info, unwrap once with the wrapping token, second unwrap 400", async () => {
    await roleCreds("wrapped", {});
    const w = await v("POST", "/v1/auth/approle/role/wrapped/secret-id", {
      headers: { "X-Vault-Wrap-TTL": "5m" },
    });
    expect(w.status).toBe(200);
    expect(w.json).toMatchObject({ request_id: "", data: null, auth: null });
    expect(w.json.wrap_info).toMatchObject({
      ttl: 300,
      creation_path: "auth/approle/role/wrapped/secret-id",
    });
    const wrapToken = w.json.wrap_info.token as string;
    const look = await clientFor(server.addr)("POST", "/v1/sys/wrapping/lookup", {
      body: { token: wrapToken },
    });
    expect(look.json.data).toMatchObject({
      creation_path: "auth/approle/role/wrapped/secret-id",
      creation_ttl: 300,
    });
    // The wrapping token is good for nothing but unwrap/lookup.
    expect((await clientFor(server.addr, wrapToken)("GET", "/v1/secret/data/app/x")).status).toBe(
      403,
    );
    const un = await clientFor(server.addr, wrapToken)("POST", "/v1/sys/wrapping/unwrap", {
      body: {},
    });
    expect(un.status).toBe(200);
    expect(un.json.request_id).not.toBe("");
    expect(un.json.data.secret_id_accessor).toBe(w.json.wrap_info.wrapped_accessor);
    const roleId = (await v("GET", "/v1/auth/approle/role/wrapped/role-id")).json.data.role_id;
    const login = await v("POST", "/v1/auth/approle/login", {
      body: { role_id: roleId, secret_id: un.json.data.secret_id },
    });
    expect(login.status).toBe(200);
    const again = await clientFor(server.addr, wrapToken)("POST", "/v1/sys/wrapping/unwrap", {
      body: {},
    });
    expect(again).toMatchObject({
      status: 400,
      json: { errors: ["wrapping token is not valid or does not exist"] },
    });
    expect(
      (await v("POST", "/v1/sys/wrapping/unwrap", { body: { token: wrapToken } })).status,
    ).toBe(400);
  });

  it("rejects a negative wrap TTL", async () => {
    const r = await v("POST", "/v1/auth/approle/role/wrapped/secret-id", {
      headers: { "X-Vault-Wrap-TTL": "-5" },
    });
    expect(r).toMatchObject({
      status: 400,
      json: {
        errors: ["error parsing X-Vault-Wrap-TTL header: requested wrap ttl cannot be negative"],
      },
    });
  });
});

describe("tokens", () => {
  const create = async (body: Record<string, unknown>) => {
    const r = await v("POST", "/v1/auth/token/create", { body });
    expect(r.status).toBe(200);
    return r.json.auth.client_token as string;
  };

  it("a 1 s TTL really expires: 403 with invalid token afterwards", async () => {
    const token = await create({ policies: ["app"], ttl: "1s" });
    const t = clientFor(server.addr, token);
    const look = await t("GET", "/v1/auth/token/lookup-self");
    expect(look.status).toBe(200);
    expect(look.json.data).toMatchObject({
      policies: ["app", "default"],
      creation_ttl: 1,
      path: "auth/token/create",
      type: "service",
    });
    expect(look.json.data.expire_time).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+[+-]\d\d:\d\d$/);
    await sleep(1100);
    expect(await t("GET", "/v1/auth/token/lookup-self")).toMatchObject({
      status: 403,
      json: { errors: [INVALID_TOKEN] },
    });
  });

  it("num_uses counts down and the last use revokes", async () => {
    const t = clientFor(server.addr, await create({ num_uses: 2 }));
    expect((await t("GET", "/v1/auth/token/lookup-self")).json.data.num_uses).toBe(1);
    expect((await t("GET", "/v1/auth/token/lookup-self")).status).toBe(200);
    expect((await t("GET", "/v1/auth/token/lookup-self")).status).toBe(403);
  });

  it("renew-self extends, caps at the max TTL with a warning; periodic renews to the period", async () => {
    const t = clientFor(server.addr, await create({ ttl: "10s", explicit_max_ttl: "20s" }));
    const r1 = await t("POST", "/v1/auth/token/renew-self", { body: { increment: "15s" } });
    expect(r1.json.auth.lease_duration).toBe(15);
    expect(r1.json.warnings).toBeNull();
    const r2 = await t("POST", "/v1/auth/token/renew-self", { body: { increment: "1h" } });
    expect(r2.status).toBe(200);
    expect(r2.json.auth.lease_duration).toBeLessThanOrEqual(20);
    expect(r2.json.warnings[0]).toMatch(
      /^TTL of "1h0m0s" exceeded the effective max_ttl of "(19|20)s"; TTL value is capped accordingly$/,
    );
    const p = clientFor(server.addr, await create({ period: "30s" }));
    const rp = await p("POST", "/v1/auth/token/renew-self", { body: { increment: "2h" } });
    expect(rp.json.auth.lease_duration).toBe(30);
    expect((await p("GET", "/v1/auth/token/lookup-self")).json.data.period).toBe(30);
    expect(await v("POST", "/v1/auth/token/renew-self", { body: {} })).toMatchObject({
      status: 400,
      json: { errors: ["lease is not renewable"] },
    });
  });

  it("revoke-self answers 204 and the token is dead", async () => {
    const t = clientFor(server.addr, await create({}));
    expect((await t("POST", "/v1/auth/token/revoke-self")).status).toBe(204);
    expect(await t("GET", "/v1/auth/token/lookup-self")).toMatchObject({
      status: 403,
      json: { errors: [INVALID_TOKEN] },
    });
  });

  it("AppRole tokens with token_ttl 1 expire too", async () => {
    const { roleId, secretId } = await roleCreds("short", { token_ttl: 1 });
    const login = await v("POST", "/v1/auth/approle/login", {
      body: { role_id: roleId, secret_id: secretId },
    });
    const t = clientFor(server.addr, login.json.auth.client_token);
    expect((await t("GET", "/v1/auth/token/lookup-self")).json.data).toMatchObject({
      display_name: "approle",
      path: "auth/approle/login",
      meta: { role_name: "short" },
    });
    await sleep(1100);
    expect((await t("GET", "/v1/auth/token/lookup-self")).status).toBe(403);
  });
});
