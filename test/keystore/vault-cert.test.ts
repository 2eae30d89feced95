// The Vault keystore logging in with Vault's TLS certificate auth method (`keystore.vault.cert`)
// over real TLS, on the Vault test server — and on a real Vault when VAULT_ADDR is https://,
// VAULT_TOKEN is root-capable and VAULT_CACERT names its CA (unique mounts, removed afterwards):
// login with the client certificate of `keystore.vault.tls`, renewal and re-login of a 2 s token
// under steady load without one failed operation, a wrong role and an untrusted certificate
// refused with the role and Vault's message, and an expiring or expired client certificate
// reported (log and warnings) before and when it breaks the login. No key or token is logged.

import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { VaultAuth } from "../../internal/config/config.js";
import type { KeyStore } from "../../internal/keystore/keystore.js";
import { connectVault } from "../../internal/keystore/vault/vault-store.js";
import { startVaultTestServer, type VaultTestServer } from "../vault-server/server.js";
import {
  type AdminTarget,
  type ClientPair,
  issueClient,
  makeCa,
  tlsAdmin,
  writePair,
} from "./vault/cert-pki.js";
import {
  type CapturedLog,
  captureLog,
  REAL_VAULT,
  steadyLoad,
  tenantPolicy,
  unique,
  vaultConfig,
  waitFor,
} from "./vault/vault-admin.js";

const UNTRUSTED = "invalid certificate or no client certificate supplied";
const DAY = 86_400_000;

const ca = makeCa("keyfront-vault-clients");
const otherCa = makeCa("someone else");

/** A real Vault to run the cert login against too: https:// with its CA in VAULT_CACERT. */
const REAL_TLS_VAULT: AdminTarget | undefined =
  REAL_VAULT?.addr.startsWith("https://") && process.env.VAULT_CACERT
    ? {
        addr: REAL_VAULT.addr,
        rootToken: REAL_VAULT.token,
        caPem: readFileSync(process.env.VAULT_CACERT, "utf8"),
      }
    : undefined;
if (!REAL_TLS_VAULT) {
  console.warn(
    "*** vault-cert.test.ts: real-Vault cert login tests SKIPPED — set VAULT_ADDR (https://), VAULT_TOKEN (root-capable) and VAULT_CACERT to run them against a real Vault ***",
  );
}

let testServer: VaultTestServer;
let dir: string;
beforeAll(async () => {
  testServer = await startVaultTestServer({ tls: true });
  dir = await mkdtemp(join(tmpdir(), "keyfront-vault-cert-"));
});
afterAll(async () => {
  await testServer?.close();
  await rm(dir, { recursive: true, force: true });
});

/** pino's level numbers: 40 warn, 50 error. */
const linesAt = (log: CapturedLog, level: number) =>
  log.lines.filter((l) => (JSON.parse(l) as { level: number }).level === level);
const messages = (log: CapturedLog) => log.lines.map((l) => (JSON.parse(l) as { msg: string }).msg);

function certTests(target: () => AdminTarget) {
  const admin = tlsAdmin(target);
  const engine = unique("kv");
  const mount = unique("cert");
  const policy = unique("keyfront");
  const role = (name: string, fields: Record<string, unknown>) =>
    admin("POST", `auth/${mount}/certs/${name}`, { token_policies: [policy], ...fields });

  beforeAll(async () => {
    await writeFile(join(dir, `${mount}-ca.pem`), target().caPem);
    await admin("POST", `sys/mounts/${engine}`, { type: "kv", options: { version: "2" } });
    await admin("PUT", `sys/policies/acl/${policy}`, { policy: tenantPolicy(engine, "v2", "") });
    await admin("POST", `sys/auth/${mount}`, { type: "cert" });
    await role("keyfront", { certificate: ca.certPem, allowed_common_names: ["keyfront"] });
    await role("other", { certificate: otherCa.certPem });
  });
  afterAll(async () => {
    await admin("DELETE", `sys/auth/${mount}`);
    await admin("DELETE", `sys/mounts/${engine}`);
    await admin("DELETE", `sys/policies/acl/${policy}`);
  });

  const stores: KeyStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });

  async function open(pair: ClientPair, name: string | undefined, log: CapturedLog) {
    const files = await writePair(dir, unique("client"), pair);
    const auth: VaultAuth = { kind: "cert", namespace: "", engine: mount, name, retryMs: 100 };
    const tls = { ...files, ca: join(dir, `${mount}-ca.pem`) };
    const store = await connectVault(vaultConfig(target().addr, auth, { engine, tls }), {
      log: log.log,
    });
    stores.push(store);
    return { store, files };
  }

  it("logs in with the client certificate of keystore.vault.tls and serves keys", async () => {
    const log = captureLog();
    const pair = issueClient(ca);
    const { store } = await open(pair, "keyfront", log);
    await waitFor("login", () => store.status());
    await store.create("cert-k1", "value-1");
    expect(await store.get("cert-k1")).toBe("value-1");
    expect(messages(log).filter((m) => m === "vault: logged in")).toHaveLength(1);
    expect(log.text()).toContain('"method":"cert"');
    expect(store.warnings?.()).toEqual([]);
    // Neither the private key nor a Vault token (hvs.… or s.…) is logged.
    expect(log.text()).not.toContain(pair.keyPem.split("\n")[1]);
    expect(log.text()).not.toMatch(/\b(hvs|s)\.[A-Za-z0-9]{20}/);
  });

  it("logs in without a role name when a role trusts the certificate", async () => {
    const { store } = await open(issueClient(ca), undefined, captureLog());
    await waitFor("login", () => store.status());
    await store.create("cert-k2", "v");
  });

  it("renews a 2 s token and logs in again under steady load, with zero failed operations", async () => {
    await role("short", { certificate: ca.certPem, token_ttl: "2s", token_max_ttl: "4s" });
    const log = captureLog();
    const { store } = await open(issueClient(ca), "short", log);
    await waitFor("login", () => store.status());
    const { ops, failures } = await steadyLoad(store, 6_500, { tag: "short-" });
    expect(failures).toEqual([]);
    expect(ops).toBeGreaterThan(0);
    // A 4 s max TTL over 6.5 s: renewed (over the certificate's connection), and logged in again.
    expect(messages(log)).toContain("vault: token renewed");
    expect(messages(log).filter((m) => m === "vault: logged in").length).toBeGreaterThan(1);
  }, 30_000);

  it.each([
    ["a role that trusts another CA", "other"],
    ["a role that does not exist", "nope"],
  ])("refuses %s, naming the role and Vault's message", async (_, name) => {
    const log = captureLog();
    const { store } = await open(issueClient(ca), name, log);
    const err = (await store.status().catch((e: unknown) => e)) as Error;
    const refusal = `for certificate role '${name}' (HTTP 400: ${UNTRUSTED})`;
    expect(err.message).toContain(`vault: cert login failed ${refusal}`);
    expect(linesAt(log, 50).join("")).toContain(refusal);
    await expect(store.get("cert-k1")).rejects.toThrow(`certificate role '${name}'`);
  });

  it("refuses a certificate no role trusts", async () => {
    const { store } = await open(issueClient(makeCa("unknown")), undefined, captureLog());
    const err = (await store.status().catch((e: unknown) => e)) as Error;
    expect(err.message).toContain(
      `cert login failed for any certificate role (keystore.vault.cert.name unset) (HTTP 400: ${UNTRUSTED})`,
    );
  });

  it("reports a certificate that expires soon while the login still works", async () => {
    const log = captureLog();
    const pair = issueClient(ca, {
      notBefore: new Date(Date.now() - 29 * DAY),
      notAfter: new Date(Date.now() + DAY),
    });
    const { store, files } = await open(pair, "keyfront", log);
    await waitFor("login", () => store.status());
    await store.create("cert-expiring", "v");
    const [warning, ...more] = store.warnings?.() ?? [];
    expect(more).toEqual([]);
    expect(warning).toMatch(
      /^the Vault client certificate keystore\.vault\.tls\.cert '.+' \(CN=keyfront\) expires at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in 2[34]h \d+m\): renew the file and reload keyfront \(SIGHUP\) before then$/,
    );
    expect(warning).toContain(files.cert);
    expect(linesAt(log, 40).join("")).toContain(`vault: ${warning}`);
  });

  it("says why the login fails once the certificate has expired", async () => {
    const log = captureLog();
    const pair = issueClient(ca, {
      notBefore: new Date(Date.now() - 30 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const { store } = await open(pair, "keyfront", log);
    const err = (await store.status().catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(
      /cert login failed for certificate role 'keyfront' \(HTTP 500: failed to verify client's certificate: x509: certificate has expired or is not yet valid: .*\); the Vault client certificate keystore\.vault\.tls\.cert '.+' \(CN=keyfront\) expired at .+: Vault refuses it; renew the file and reload keyfront \(SIGHUP\)$/,
    );
    expect(store.warnings?.()).toEqual([expect.stringMatching(/ expired at /)]);
    expect(linesAt(log, 50).join("")).toMatch(/vault: the Vault client certificate .* expired at/);
  });
}

describe("Vault test server", () => {
  certTests(() => testServer as AdminTarget);
});

describe.skipIf(!REAL_TLS_VAULT)("real Vault", () => {
  certTests(() => REAL_TLS_VAULT as AdminTarget);
});
