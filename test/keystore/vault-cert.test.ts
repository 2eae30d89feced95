// The Vault keystore logging in with Vault's TLS certificate auth method (`keystore.vault.cert`)
// on the Vault test server over real TLS: login with the client certificate of
// `keystore.vault.tls`, renewal and re-login of a 2 s token under steady load without one failed
// operation, a wrong role and an untrusted certificate refused with the role and Vault's message,
// and an expiring or expired client certificate reported (log and warnings) before and when it
// breaks the login. No token reaches a log line.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { VaultAuth } from "../../internal/config/config.js";
import type { KeyStore } from "../../internal/keystore/keystore.js";
import { connectVault } from "../../internal/keystore/vault/vault-store.js";
import { startVaultTestServer, type VaultTestServer } from "../vault-server/server.js";
import { type ClientPair, issueClient, makeCa, tlsAdmin, writePair } from "./vault/cert-pki.js";
import {
  type CapturedLog,
  captureLog,
  tenantPolicy,
  unique,
  vaultConfig,
  waitFor,
} from "./vault/vault-admin.js";

const UNTRUSTED = "invalid certificate or no client certificate supplied";
const DAY = 86_400_000;

const ca = makeCa("keyfront-vault-clients");
const otherCa = makeCa("someone else");

let vault: VaultTestServer;
let dir: string;
const engine = unique("kv");
const policy = unique("keyfront");

const adminCall = tlsAdmin(() => vault);

beforeAll(async () => {
  vault = await startVaultTestServer({ tls: true });
  dir = await mkdtemp(join(tmpdir(), "keyfront-vault-cert-"));
  await writeFile(join(dir, "vault-ca.pem"), vault.caPem as string);
  await adminCall("POST", `sys/mounts/${engine}`, { type: "kv", options: { version: "2" } });
  await adminCall("PUT", `sys/policies/acl/${policy}`, { policy: tenantPolicy(engine, "v2", "") });
  await adminCall("POST", "sys/auth/cert", { type: "cert" });
  await adminCall("POST", "auth/cert/certs/keyfront", {
    certificate: ca.certPem,
    token_policies: [policy],
    token_ttl: "60s",
    allowed_common_names: ["keyfront"],
  });
  await adminCall("POST", "auth/cert/certs/other", {
    certificate: otherCa.certPem,
    token_policies: [policy],
  });
});
afterAll(async () => {
  await vault?.close();
  await rm(dir, { recursive: true, force: true });
});

const stores: KeyStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

async function open(pair: ClientPair, name: string | undefined, log: CapturedLog) {
  const files = await writePair(dir, unique("client"), pair);
  const auth: VaultAuth = { kind: "cert", namespace: "", engine: "cert", name, retryMs: 100 };
  const tls = { ...files, ca: join(dir, "vault-ca.pem") };
  const store = await connectVault(vaultConfig(vault.addr, auth, { engine, tls }), {
    log: log.log,
  });
  stores.push(store);
  return { store, files };
}

/** pino's level numbers: 40 warn, 50 error. */
const linesAt = (log: CapturedLog, level: number) =>
  log.lines.filter((l) => (JSON.parse(l) as { level: number }).level === level);

describe("cert login", () => {
  it("logs in with the client certificate of keystore.vault.tls and serves keys", async () => {
    const log = captureLog();
    vault.resetRequestCount();
    const pair = issueClient(ca);
    const { store } = await open(pair, "keyfront", log);
    await waitFor("login", () => store.status());
    await store.create("cert-k1", "value-1");
    expect(await store.get("cert-k1")).toBe("value-1");
    expect(vault.requestCount("auth/cert/login")).toBe(1);
    expect(log.text()).toContain('"method":"cert"');
    expect(log.text()).toContain("vault: logged in");
    expect(store.warnings?.()).toEqual([]);
    // Neither the private key nor a Vault token (the test server's are hvs.…) is logged.
    expect(log.text()).not.toContain(pair.keyPem.split("\n")[1]);
    expect(log.text()).not.toMatch(/hvs\.[A-Za-z0-9]{20}/);
  });

  it("logs in without a role name when a role trusts the certificate", async () => {
    const { store } = await open(issueClient(ca), undefined, captureLog());
    await waitFor("login", () => store.status());
    await store.create("cert-k2", "v");
  });

  it("renews a 2 s token and logs in again under steady load, with zero failed operations", async () => {
    await adminCall("POST", "auth/cert/certs/short", {
      certificate: ca.certPem,
      token_policies: [policy],
      token_ttl: "2s",
      token_max_ttl: "4s",
    });
    const log = captureLog();
    const { store } = await open(issueClient(ca), "short", log);
    await waitFor("login", () => store.status());
    vault.resetRequestCount();
    const until = performance.now() + 6_500;
    let ops = 0;
    const failures: unknown[] = [];
    const worker = async (w: number) => {
      for (let i = 0; performance.now() < until; i++) {
        try {
          await store.create(`short-${w}-${i}`, `v${i}`);
          expect(await store.get(`short-${w}-${i}`)).toBe(`v${i}`);
          ops++;
        } catch (err) {
          failures.push(err);
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(worker));
    expect(failures).toEqual([]);
    expect(ops).toBeGreaterThan(0);
    // A 4 s max TTL over 6.5 s: renewed, and logged in again at least once.
    expect(vault.requestCount("auth/token/renew-self")).toBeGreaterThan(0);
    expect(vault.requestCount("auth/cert/login")).toBeGreaterThan(0);
    const tokens = log.lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(tokens.filter((m) => m === "vault: logged in").length).toBeGreaterThan(1);
  }, 30_000);

  it.each([
    ["a role that trusts another CA", "other", "for certificate role 'other'"],
    ["a role that does not exist", "nope", "for certificate role 'nope'"],
  ])("refuses %s, naming the role and Vault's message", async (_, name, role) => {
    const log = captureLog();
    const { store } = await open(issueClient(ca), name, log);
    const err = (await store.status().catch((e: unknown) => e)) as Error;
    expect(err.message).toContain(`vault: cert login failed ${role} (HTTP 400: ${UNTRUSTED})`);
    expect(linesAt(log, 50).join("")).toContain(`${role} (HTTP 400: ${UNTRUSTED})`);
    await expect(store.get("cert-k1")).rejects.toThrow(role);
  });

  it("refuses a certificate no role trusts", async () => {
    const { store } = await open(issueClient(makeCa("unknown")), undefined, captureLog());
    const err = (await store.status().catch((e: unknown) => e)) as Error;
    expect(err.message).toContain(
      `cert login failed for any certificate role (keystore.vault.cert.name unset) (HTTP 400: ${UNTRUSTED})`,
    );
  });
});

describe("client certificate expiry", () => {
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
});
