// The real keyfront server (built CLI) logging in to the Vault test server with its TLS client
// certificate (`keystore.vault.cert`): an expiring certificate shows in /v1/status and the log
// while everything works; a certificate rotated on disk (new CA, the Vault role moved to it) is
// picked up by a SIGHUP reload without a restart; and an expired certificate, reported in
// /v1/status with the reason, is replaced by a renewed file and a SIGHUP.

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { type Fixture, makeFixture } from "../api/fixture.js";
import { type RunningServer, runCli, startServer } from "../helpers/server.js";
import { startVaultTestServer, type VaultTestServer } from "../vault-server/server.js";
import { type ClientPair, issueClient, makeCa, type TestCa, tlsAdmin } from "./vault/cert-pki.js";
import { vaultServerYaml } from "./vault/server-yaml.js";
import { tenantPolicy, unique, waitFor } from "./vault/vault-admin.js";

const DAY = 86_400_000;
let vault: VaultTestServer;
let f: Fixture;
let s: RunningServer | undefined;
const engine = unique("kv");
const policy = unique("keyfront");

const vaultAdmin = tlsAdmin(() => vault);

/** The role `keyfront` trusts `ca` only (what an operator changes when the CA is rotated). */
const trust = (ca: TestCa) =>
  vaultAdmin("POST", "auth/cert/certs/keyfront", {
    certificate: ca.certPem,
    token_policies: [policy],
    token_ttl: "60s",
  });

beforeAll(async () => {
  vault = await startVaultTestServer({ tls: true });
  await vaultAdmin("POST", `sys/mounts/${engine}`, { type: "kv", options: { version: "2" } });
  await vaultAdmin("PUT", `sys/policies/acl/${policy}`, { policy: tenantPolicy(engine, "v2", "") });
  await vaultAdmin("POST", "sys/auth/cert", { type: "cert" });
  f = makeFixture();
}, 30_000);
afterAll(async () => {
  await vault?.close();
});
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

const yaml = () =>
  vaultServerYaml(f, {
    addr: vault.addr,
    engine,
    version: "v2",
    vault: `    cert:
      name: keyfront
    tls:
      cert: \${DIR}/vault-client.crt
      key: \${DIR}/vault-client.key
      ca: \${DIR}/vault-ca.pem
`,
  });

async function start(pair: ClientPair): Promise<RunningServer> {
  s = await startServer({
    yaml: yaml(),
    caPem: f.serverCertPem,
    files: {
      "server.crt": f.serverCertPem,
      "server.key": f.serverKeyPem,
      "vault-client.crt": pair.certPem,
      "vault-client.key": pair.keyPem,
      "vault-ca.pem": vault.caPem as string,
    },
  });
  return s;
}

const adminReq = (srv: RunningServer, method: string, path: string) =>
  srv.request(f.clients.admin, method, path);
const statusOf = async (srv: RunningServer) =>
  (await adminReq(srv, "GET", "/v1/status")).json() as Record<string, unknown>;
const ready = (srv: RunningServer) =>
  waitFor("ready", async () =>
    (await adminReq(srv, "GET", "/v1/ready")).status === 200 ? true : undefined,
  );

/** `keyfront status` as the admin, against `srv`. */
async function statusCli(srv: RunningServer) {
  await writeFile(join(srv.dir, "admin.crt"), f.clients.admin.certPem);
  await writeFile(join(srv.dir, "admin.key"), f.clients.admin.keyPem, { mode: 0o600 });
  await writeFile(join(srv.dir, "ca.crt"), f.serverCertPem);
  return runCli(["status"], {
    env: {
      KES_SERVER: `127.0.0.1:${srv.port}`,
      KES_CLIENT_CERT: join(srv.dir, "admin.crt"),
      KES_CLIENT_KEY: join(srv.dir, "admin.key"),
      NODE_EXTRA_CA_CERTS: join(srv.dir, "ca.crt"),
    },
  });
}

/** Writes the renewed pair over the configured files and reloads; waits for the reload. */
async function rotate(srv: RunningServer, pair: ClientPair): Promise<void> {
  await writeFile(join(srv.dir, "vault-client.crt"), pair.certPem);
  await writeFile(join(srv.dir, "vault-client.key"), pair.keyPem, { mode: 0o600 });
  const reloads = (srv.stderr().match(/keyfront: configuration reloaded/g) ?? []).length;
  srv.proc.kill("SIGHUP");
  await waitFor("the reload", async () =>
    (srv.stderr().match(/keyfront: configuration reloaded/g) ?? []).length > reloads
      ? true
      : undefined,
  );
}

it("reports an expiring certificate, and uses a certificate rotated on disk after a SIGHUP", async () => {
  const oldCa = makeCa("vault clients 2025");
  await trust(oldCa);
  const expiring = issueClient(oldCa, {
    notBefore: new Date(Date.now() - 29 * DAY),
    notAfter: new Date(Date.now() + DAY),
  });
  const srv = await start(expiring);
  await ready(srv);
  expect((await adminReq(srv, "POST", "/v1/key/create/before-rotation")).status).toBe(200);
  const before = await statusOf(srv);
  expect(before.keystore_unavailable).toBeUndefined();
  expect(before.keystore_warnings).toEqual([
    expect.stringMatching(
      /^the Vault client certificate keystore\.vault\.tls\.cert '.*vault-client\.crt' \(CN=keyfront\) expires at .* \(in 2[34]h \d+m\): renew the file and reload keyfront \(SIGHUP\) before then$/,
    ),
  ]);
  expect(srv.stderr()).toMatch(/"level":40.*vault: the Vault client certificate .* expires at/);
  // `keyfront status` shows it too.
  const cli = await statusCli(srv);
  expect(cli.code).toBe(0);
  expect(cli.stdout).toMatch(/^\s+Keystore\s+ok/m);
  expect(cli.stdout).toMatch(
    /^\s+Warning\s+the Vault client certificate .* expires at .*\(SIGHUP\) before then$/m,
  );

  // The operator moves Vault's role to the new CA and writes the new certificate.
  const newCa = makeCa("vault clients 2026");
  await trust(newCa);
  vault.resetRequestCount();
  await rotate(srv, issueClient(newCa));
  await ready(srv);
  expect((await adminReq(srv, "POST", "/v1/key/create/after-rotation")).status).toBe(200);
  expect((await adminReq(srv, "POST", "/v1/key/generate/before-rotation")).status).toBe(200);
  expect(vault.requestCount("auth/cert/login")).toBeGreaterThan(0);
  const after = await statusOf(srv);
  expect(after.keystore_unavailable).toBeUndefined();
  expect(after.keystore_warnings).toBeUndefined();
  expect((await statusCli(srv)).stdout).not.toContain("Warning");
}, 60_000);

it("says in /v1/status that the certificate expired, and recovers from a renewed file on SIGHUP", async () => {
  const ca = makeCa("vault clients");
  await trust(ca);
  const expired = issueClient(ca, {
    notBefore: new Date(Date.now() - 30 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  const srv = await start(expired);
  const status = await waitFor("the failed login", async () => {
    const st = await statusOf(srv);
    return typeof st.keystore_error === "string" && st.keystore_error.includes("login failed")
      ? st
      : undefined;
  });
  expect(status.keystore_unavailable).toBe(true);
  expect(status.keystore_error).toMatch(
    /cert login failed for certificate role 'keyfront' \(HTTP 500: failed to verify client's certificate: x509: certificate has expired .*\); the Vault client certificate .* expired at /,
  );
  expect(status.keystore_warnings).toEqual([
    expect.stringMatching(/ expired at .*: Vault refuses it/),
  ]);
  expect(
    (await adminReq(srv, "POST", "/v1/key/create/while-expired")).status,
  ).toBeGreaterThanOrEqual(500);

  await rotate(srv, issueClient(ca));
  await ready(srv);
  expect((await adminReq(srv, "POST", "/v1/key/create/renewed")).status).toBe(200);
  const after = await statusOf(srv);
  expect(after.keystore_error).toBeUndefined();
  expect(after.keystore_warnings).toBeUndefined();
}, 60_000);
