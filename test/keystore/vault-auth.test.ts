// Vault authentication of the keystore (kes-api.md §8.3 "Login", "Token lifecycle"; vault-api.md
// §5, §6): AppRole with a plain and a response-wrapped secret ID, a static token, and a 2 s token
// TTL renewed and re-logged under steady load without one failed operation — on the test server
// and, when VAULT_ADDR/VAULT_TOKEN are set, on a real Vault. No secret reaches a log line.

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KeyNotFoundError } from "../../internal/errors.js";
import type { KeyStore } from "../../internal/keystore/keystore.js";
import { connectVault } from "../../internal/keystore/vault/vault-store.js";
import { startVaultTestServer } from "../vault-server/server.js";
import {
  approleAuth,
  captureLog,
  REAL_VAULT,
  steadyLoad,
  tenantPolicy,
  tokenAuth,
  unique,
  VaultAdmin,
  vaultConfig,
  waitFor,
  warnIfNoRealVault,
} from "./vault/vault-admin.js";

type TestServer = Awaited<ReturnType<typeof startVaultTestServer>>;
let server: TestServer | undefined;
beforeAll(async () => {
  server = await startVaultTestServer({});
});
afterAll(async () => {
  await server?.close();
});

/** One AppRole deployment: a KV v2 mount, an approle mount, a policy and a role. */
interface Deployment {
  admin: VaultAdmin;
  engine: string;
  approle: string;
  roleId: string;
  role: string;
  policy: string;
  cleanup: () => Promise<void>;
}

async function deploy(
  admin: VaultAdmin,
  roleFields: Record<string, unknown> = {},
): Promise<Deployment> {
  const engine = unique("kv");
  const approle = unique("approle");
  const policy = unique("keyfront");
  const role = "keyfront";
  await admin.mountKv(engine, "v2");
  await admin.enableAuth(approle, "approle");
  await admin.putPolicy(policy, tenantPolicy(engine, "v2", ""));
  const roleId = await admin.createRole(approle, role, {
    token_policies: [policy],
    token_ttl: "60s",
    ...roleFields,
  });
  return {
    admin,
    engine,
    approle,
    roleId,
    role,
    policy,
    cleanup: async () => {
      await admin.unmount(engine);
      await admin.disableAuth(approle);
      await admin.deletePolicy(policy);
    },
  };
}

function authTests(label: string, admin: () => VaultAdmin) {
  describe(label, () => {
    const stores: KeyStore[] = [];
    const deployments: Deployment[] = [];
    afterEach(async () => {
      for (const s of stores.splice(0)) await s.close();
      for (const d of deployments.splice(0)) await d.cleanup();
    });
    const open = async (
      d: Deployment,
      auth: ReturnType<typeof approleAuth>,
      log = captureLog(),
    ) => {
      const store = await connectVault(vaultConfig(d.admin.addr, auth, { engine: d.engine }), {
        log: log.log,
      });
      stores.push(store);
      return store;
    };

    it("logs in with AppRole and a plain secret ID", async () => {
      const d = await deploy(admin());
      deployments.push(d);
      const secret = await d.admin.secretId(d.approle, d.role);
      const log = captureLog();
      const store = await open(d, approleAuth(d.roleId, secret, { engine: d.approle }), log);
      await store.create("k1", "value-1");
      expect(await store.get("k1")).toBe("value-1");
      expect((await store.status()).state).toMatch(/^(ok|standby)$/);
      expect(log.text()).toContain("vault: logged in");
      expect(log.text()).not.toContain(secret);
    });

    it("unwraps a response-wrapped secret ID once, and refuses a used wrapping token", async () => {
      const d = await deploy(admin());
      deployments.push(d);
      const wrapping = await d.admin.secretId(d.approle, d.role, "60s");
      const log = captureLog();
      const auth = approleAuth(d.roleId, wrapping, { engine: d.approle, wrapped: true });
      const store = await open(d, auth, log);
      await waitFor("login", () => store.status());
      await store.create("k1", "v");
      expect(await store.get("k1")).toBe("v");

      const reuse = captureLog();
      const second = await open(d, auth, reuse);
      await expect(second.get("k1")).rejects.toThrow(/cannot unwrap approle.secret/);
      expect(await store.get("k1")).toBe("v");
      for (const text of [log.text(), reuse.text()]) expect(text).not.toContain(wrapping);
    });

    it("uses a static token", async () => {
      const d = await deploy(admin());
      deployments.push(d);
      const token = await d.admin.createToken({ policies: [d.policy], ttl: "60s" });
      const log = captureLog();
      const store = await open(d, tokenAuth(token) as ReturnType<typeof approleAuth>, log);
      await store.create("k1", "v");
      await expect(store.get("missing")).rejects.toBeInstanceOf(KeyNotFoundError);
      expect(log.text()).not.toContain(token);
    });

    it("renews a 2 s token and logs in again under steady load, with zero failed operations", async () => {
      const d = await deploy(admin(), { token_ttl: "2s", token_max_ttl: "4s" });
      deployments.push(d);
      const secret = await d.admin.secretId(d.approle, d.role);
      const log = captureLog();
      const store = await open(d, approleAuth(d.roleId, secret, { engine: d.approle }), log);
      await waitFor("login", () => store.status());
      const { ops, failures } = await steadyLoad(store, 6_500, { pauseMs: 20 });
      expect(failures).toEqual([]);
      expect(ops).toBeGreaterThan(100);
      const logins = log.lines.filter((l) => l.includes("vault: logged in")).length;
      expect(logins).toBeGreaterThanOrEqual(2);
      expect(log.text()).toContain("vault: token renewed");
      expect(log.text()).not.toContain(secret);
    }, 15_000);
  });
}

authTests("vault test server", () => {
  if (!server) throw new Error("vault test server not started");
  return new VaultAdmin(server.addr, server.rootToken);
});

warnIfNoRealVault("vault-auth.test.ts");
describe.skipIf(!REAL_VAULT)("real Vault", () => {
  authTests("real Vault", () => new VaultAdmin(REAL_VAULT?.addr ?? "", REAL_VAULT?.token ?? ""));
});
