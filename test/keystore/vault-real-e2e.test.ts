// keyfront end to end on a real Vault or OpenBao (VAULT_ADDR + a root-capable VAULT_TOKEN; without
// them every test here is skipped, loudly): the real server (built CLI, real mTLS) on the README's
// Vault walkthrough config, two tenants by prefix with AppRole (one with a response-wrapped secret
// ID) and per-tenant policies, namespace tenants (where the server has namespaces), and an AppRole
// token that expires under load. Figures are printed. Everything made in Vault is removed.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type Fixture, makeFixture } from "../api/fixture.js";
import { ROOT, type RunningServer, startServer } from "../helpers/server.js";
import {
  pick,
  REAL_VAULT,
  tenantPolicy,
  unique,
  VaultAdmin,
  waitFor,
  warnIfNoRealVault,
} from "./vault/vault-admin.js";

warnIfNoRealVault("vault-real-e2e.test.ts");

const TEST_MS = 120_000;
const LOAD_MS = 12_000;
const f: Fixture = makeFixture();
const servers: RunningServer[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
const figures: string[] = [];
const admin = () => new VaultAdmin(REAL_VAULT?.addr ?? "", REAL_VAULT?.token ?? "");

afterAll(async () => {
  for (const s of servers.splice(0)) await s.stop();
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  if (figures.length > 0) console.log(figures.join("\n"));
});

/** The real server on `yaml` (its keystore part), up and ready. */
async function serve(keystore: string, env: Record<string, string> = {}): Promise<RunningServer> {
  const s = await startServer({
    yaml: `admin:\n  identity: ${f.clients.admin.identity}\ntls:\n  key: \${DIR}/server.key\n  cert: \${DIR}/server.crt\nlog:\n  error: debug\n${keystore}`,
    caPem: f.serverCertPem,
    files: { "server.crt": f.serverCertPem, "server.key": f.serverKeyPem },
    env,
  });
  servers.push(s);
  await waitFor(
    "ready",
    async () => ((await call(s, "GET", "/v1/ready")).status === 200 ? true : undefined),
    30_000,
  );
  return s;
}

const call = (s: RunningServer, method: string, path: string, body?: string) =>
  s.request(f.clients.admin, method, path, body);

async function names(s: RunningServer): Promise<string[]> {
  const r = await call(s, "GET", "/v1/key/list/*");
  return ((r.json() as { names?: string[] }).names ?? []).sort();
}

/** A K/V mount, an AppRole auth mount, and a role per tenant prefix with only its policy. */
async function approleTenants(version: "v1" | "v2", prefixes: string[]) {
  const a = admin();
  const engine = unique("kv");
  const auth = unique("approle");
  await a.mountKv(engine, version);
  cleanups.push(() => a.unmount(engine));
  await a.enableAuth(auth, "approle");
  cleanups.push(() => a.disableAuth(auth));
  const roles: { roleId: string; policy: string }[] = [];
  for (const prefix of prefixes) {
    const policy = unique("tenant");
    await a.putPolicy(policy, tenantPolicy(engine, version, prefix));
    cleanups.push(() => a.deletePolicy(policy));
    const roleId = await a.createRole(auth, policy, { token_policies: [policy], token_ttl: "60s" });
    roles.push({ roleId, policy });
  }
  return { a, engine, auth, roles };
}

describe.skipIf(!REAL_VAULT)("keyfront on a real Vault", () => {
  it(
    "serves the README's Vault walkthrough config (K/V v1, a token with the config's policy)",
    async () => {
      const a = admin();
      const engine = unique("kes");
      await a.mountKv(engine, "v1");
      cleanups.push(() => a.unmount(engine));
      const policy = unique("keyfront");
      await a.putPolicy(policy, tenantPolicy(engine, "v1", ""));
      cleanups.push(() => a.deletePolicy(policy));
      const token = await a.createToken({ policies: [policy], period: "24h" });
      const text = await readFile(join(ROOT, "config/vault-token-kv1.yaml"), "utf8");
      const yaml = text
        .replace("engine: kes", `engine: ${engine}`)
        .replaceAll("certs/server.", "${DIR}/server.")
        .replace(/^address:.*$/m, "");
      const s = await startServer({
        yaml,
        caPem: f.serverCertPem,
        files: { "server.crt": f.serverCertPem, "server.key": f.serverKeyPem },
        env: {
          VAULT_ADDR: REAL_VAULT?.addr ?? "",
          VAULT_TOKEN: token,
          KEYFRONT_ADMIN: f.clients.admin.identity,
        },
      });
      servers.push(s);
      await waitFor("ready", async () =>
        (await call(s, "GET", "/v1/ready")).status === 200 ? true : undefined,
      );
      expect((await call(s, "POST", "/v1/key/create/my-key")).status).toBe(200);
      expect(await names(s)).toEqual(["my-key"]);
      expect((await call(s, "POST", "/v1/key/generate/my-key", "{}")).status).toBe(200);
      const raw = await a.call("GET", `${engine}/my-key`);
      expect(Object.keys(pick(raw.body, "data") as object)).toEqual(["my-key"]); // as KES stores it
      expect((await call(s, "DELETE", "/v1/key/delete/my-key")).status).toBe(200);
      expect((await a.call("GET", `${engine}/my-key`, undefined, { allow: [404] })).status).toBe(
        404,
      );
      expect(s.stderr()).not.toContain(token);
    },
    TEST_MS,
  );

  it(
    "keeps two tenants by prefix apart, each with its AppRole (one wrapped secret ID) and policy",
    async () => {
      const { a, engine, auth, roles } = await approleTenants("v2", ["tenants/a", "tenants/b"]);
      const [ra, rb] = roles;
      if (!ra || !rb) throw new Error("no roles");
      const plain = await a.secretId(auth, ra.policy);
      const wrapped = await a.secretId(auth, rb.policy, "120s");
      const block = (prefix: string, roleId: string, w: boolean) =>
        `keystore:\n  vault:\n    endpoint: ${REAL_VAULT?.addr}\n    engine: ${engine}\n    version: v2\n    prefix: ${prefix}\n    approle:\n      engine: ${auth}\n      id: ${roleId}\n      secret: \${SECRET}\n      wrapped: ${w}\n      retry: 200ms\n`;
      const sa = await serve(block("tenants/a", ra.roleId, false), { SECRET: plain });
      const sb = await serve(block("tenants/b", rb.roleId, true), { SECRET: wrapped });
      for (const s of [sa, sb])
        expect((await call(s, "POST", "/v1/key/create/shared-name")).status).toBe(200);
      expect((await call(sa, "POST", "/v1/key/create/only-a")).status).toBe(200);
      expect(await names(sa)).toEqual(["only-a", "shared-name"]);
      expect(await names(sb)).toEqual(["shared-name"]);
      const inVault = await a.call("GET", `${engine}/metadata/tenants/?list=true`);
      expect(pick(inVault.body, "data", "keys")).toEqual(["a/", "b/"]);
      // The wrapping token worked once: a second unwrap is refused by Vault.
      const again = await a.call(
        "POST",
        "sys/wrapping/unwrap",
        {},
        { token: wrapped, allow: [400] },
      );
      expect(again.status).toBe(400);
      for (const [s, secret] of [
        [sa, plain],
        [sb, wrapped],
      ] as const)
        expect(s.stderr()).not.toContain(secret);
    },
    TEST_MS,
  );

  it(
    "keeps namespace tenants apart (same mount path, same key names)",
    async (ctx) => {
      const root = admin();
      if (!(await root.supportsNamespaces())) {
        console.warn(
          "*** vault-real-e2e: this Vault has no namespaces; namespace tenants SKIPPED ***",
        );
        ctx.skip();
      }
      const tenants: RunningServer[] = [];
      for (const label of ["tenant-a", "tenant-b"]) {
        const ns = unique(label);
        await root.createNamespace(ns);
        cleanups.push(() => root.deleteNamespace(ns));
        const a = root.in(ns);
        await a.mountKv("kv", "v2");
        cleanups.push(() => a.unmount("kv"));
        await a.putPolicy("keyfront", tenantPolicy("kv", "v2", ""));
        const token = await a.createToken({ policies: ["keyfront"], ttl: "1h" });
        tenants.push(
          await serve(
            `keystore:\n  vault:\n    endpoint: ${REAL_VAULT?.addr}\n    engine: kv\n    version: v2\n    namespace: ${ns}\n    token: \${TENANT_TOKEN}\n`,
            { TENANT_TOKEN: token },
          ),
        );
      }
      const [ta, tb] = tenants as [RunningServer, RunningServer];
      expect((await call(ta, "POST", "/v1/key/create/app")).status).toBe(200);
      expect((await call(tb, "POST", "/v1/key/create/app")).status).toBe(200);
      expect((await call(tb, "POST", "/v1/key/create/b-only")).status).toBe(200);
      expect(await names(ta)).toEqual(["app"]);
      expect(await names(tb)).toEqual(["app", "b-only"]);
    },
    TEST_MS,
  );

  it(
    "logs in again when its AppRole token expires under load, without a failed request",
    async () => {
      const { a, engine, auth, roles } = await approleTenants("v2", ["load"]);
      const role = roles[0];
      if (!role) throw new Error("no role");
      // A 3 s token that cannot be renewed past 5 s: keyfront must log in again, repeatedly.
      await a.call("POST", `auth/${auth}/role/${role.policy}`, {
        token_ttl: "3s",
        token_max_ttl: "5s",
      });
      const secret = await a.secretId(auth, role.policy);
      const s = await serve(
        `cache:\n  expiry: { any: 1s, unused: 1s }\nkeystore:\n  vault:\n    endpoint: ${REAL_VAULT?.addr}\n    engine: ${engine}\n    version: v2\n    prefix: load\n    approle:\n      engine: ${auth}\n      id: ${role.roleId}\n      secret: \${SECRET}\n      retry: 200ms\n`,
        { SECRET: secret },
      );
      const until = Date.now() + LOAD_MS;
      let total = 0;
      let failed = 0;
      const client = async (c: number) => {
        for (let i = 0; Date.now() < until; i++) {
          const name = `k-${c}-${i}`;
          for (const [m, p] of [
            ["POST", `/v1/key/create/${name}`],
            ["POST", `/v1/key/generate/${name}`],
            ["GET", "/v1/key/list/*"],
          ] as const) {
            total++;
            const r = await call(
              s,
              m,
              p,
              m === "POST" && p.includes("generate") ? "{}" : undefined,
            ).catch(() => undefined);
            if (r?.status !== 200) failed++;
          }
        }
      };
      await Promise.all([0, 1, 2, 3].map(client));
      const logins = s.stderr().split("vault: logged in").length - 1;
      figures.push(
        `token expiring under load: ${total} requests over ${LOAD_MS / 1000} s, ${failed} failed, ${logins} logins (3 s TTL, 5 s max TTL)`,
      );
      expect(logins).toBeGreaterThanOrEqual(3);
      expect(failed).toBe(0);
      expect(s.stderr()).not.toContain(secret);
    },
    TEST_MS,
  );
});
