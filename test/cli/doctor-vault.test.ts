// `keyfront doctor` against the Vault test server over verified TLS (AppRole or cert login, a policy
// granting the key paths): the healthy setup passes every check with --probe and exit 0; a sealed
// Vault, a standby node, the wrong K/V version, a missing mount, a token without `create`, an
// unreachable Vault and an untrusted Vault certificate each show on their line. The probe on a
// read-only token fails and leaves no key behind.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestPki } from "../helpers/pki.js";
import {
  type AdminResponse,
  pick,
  tenantPolicy,
  unique,
  VaultAdmin,
} from "../keystore/vault/vault-admin.js";
import { startVaultTestServer } from "../vault-server/server.js";
import { kf } from "./cli-helpers.js";

type TestServer = Awaited<ReturnType<typeof startVaultTestServer>>;
const pki = makeTestPki();
const dir = mkdtempSync(join(tmpdir(), "keyfront-doctor-vault-"));
let vault: TestServer;
let admin: VaultAdmin;
let vaultCa: string;
const engine = unique("kv");
const approle = unique("approle");
let roleId = "";
let secretId = "";
let readOnlyToken = "";
let writeOnlyToken = "";

beforeAll(async () => {
  vault = await startVaultTestServer({ tls: true });
  vaultCa = join(dir, "vault-ca.pem");
  writeFileSync(vaultCa, vault.caPem ?? "");
  admin = new TlsVaultAdmin(vault.addr, vault.rootToken, vault.caPem ?? "");
  await admin.mountKv(engine, "v2");
  await admin.enableAuth(approle, "approle");
  await admin.putPolicy("keyfront", tenantPolicy(engine, "v2", "keys"));
  roleId = await admin.createRole(approle, "keyfront", {
    token_policies: ["keyfront"],
    token_ttl: "60s",
  });
  secretId = await admin.secretId(approle, "keyfront");
  await admin.putPolicy(
    "read-only",
    `path "${engine}/data/keys/*" { capabilities = ["read"] }
path "${engine}/metadata/keys/*" { capabilities = ["read", "list", "delete"] }
path "${engine}/metadata/keys/" { capabilities = ["list"] }`,
  );
  readOnlyToken = await admin.createToken({ policies: ["read-only"], ttl: "5m" });
  await admin.putPolicy(
    "write-only",
    `path "${engine}/data/keys/*" { capabilities = ["create"] }
path "${engine}/metadata/keys/*" { capabilities = ["delete", "list"] }`,
  );
  writeOnlyToken = await admin.createToken({ policies: ["write-only"], ttl: "5m" });
}, 30_000);
afterAll(async () => {
  await vault?.close();
  pki.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** VaultAdmin over node:https trusting the test server's CA (fetch cannot be given a CA). */
class TlsVaultAdmin extends VaultAdmin {
  constructor(
    addr: string,
    token: string,
    readonly ca: string,
  ) {
    super(addr, token);
  }

  override call(
    method: string,
    path: string,
    body?: unknown,
    opts: { allow?: number[] } = {},
  ): Promise<AdminResponse> {
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.addr}/v1/${path}`,
        { method, ca: this.ca, headers: { "X-Vault-Token": this.token } },
        (res) => {
          let text = "";
          res.on("data", (c: Buffer) => {
            text += c.toString();
          });
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            if (status >= 400 && !(opts.allow ?? []).includes(status)) {
              reject(new Error(`vault admin: ${method} ${path} → ${status}`));
              return;
            }
            resolve({ status, body: text === "" ? undefined : JSON.parse(text) });
          });
        },
      );
      req.on("error", reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }
}

let n = 0;
interface VaultSetup {
  endpoint?: string;
  engine?: string;
  version?: "v1" | "v2";
  auth?: string;
  ca?: string | null;
}

function config(v: VaultSetup = {}): string {
  const auth = v.auth ?? `approle: { engine: ${approle}, id: ${roleId}, secret: ${secretId} }`;
  const ca = v.ca === null ? "" : `    tls: { ca: ${v.ca ?? vaultCa} }\n`;
  const path = join(dir, `${n++}.yaml`);
  writeFileSync(
    path,
    `address: 127.0.0.1:7373
admin:
  identity: ${pki.clients["ecdsa-p256"].identity}
tls:
  key: ${pki.server.keyFile}
  cert: ${pki.server.certFile}
policy:
  minio:
    allow: [/v1/key/create/*, /v1/key/generate/*, /v1/key/decrypt/*, /v1/key/list/*, /v1/status, /v1/metrics]
    identities: [${pki.clients.ed25519.identity}]
keystore:
  vault:
    endpoint: ${v.endpoint ?? vault.addr}
    engine: ${v.engine ?? engine}
    version: ${v.version ?? "v2"}
    prefix: keys
    ${auth}
${ca}`,
    { mode: 0o600 },
  );
  return path;
}

const doctor = (path: string, ...flags: string[]) => kf(["doctor", "--config", path, ...flags]);

function lineOf(stdout: string, id: string): string {
  const line = stdout.split("\n").find((l) => l.split(/\s+/)[1] === id);
  if (line === undefined) throw new Error(`no line for ${id} in:\n${stdout}`);
  return line;
}

/** Names stored under the prefix, as Vault lists them (none: 404). */
async function storedKeys(): Promise<string[]> {
  const res = await admin.call("GET", `${engine}/metadata/keys/?list=true`, undefined, {
    allow: [404],
  });
  return (pick(res.body, "data", "keys") as string[] | undefined) ?? [];
}

describe("keyfront doctor on a Vault keystore", () => {
  it("passes every check on a healthy setup with --probe, and leaves no key", async () => {
    const r = await doctor(config(), "--probe");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const checks = r.stdout.trim().split("\n").slice(0, -1);
    for (const l of checks) expect(l).toMatch(/^ok /);
    expect(checks.map((l) => l.split(/\s+/)[1]).slice(-8)).toEqual([
      "keystore",
      "vault.tls.ca",
      "vault.reach",
      "vault.state",
      "vault.auth",
      "vault.mount",
      "vault.capabilities",
      "probe",
    ]);
    expect(lineOf(r.stdout, "vault.reach")).toContain(
      `Vault at ${vault.addr} answers over verified TLS`,
    );
    expect(lineOf(r.stdout, "vault.mount")).toContain(
      `mount '${engine}/' is K/V v2, as configured`,
    );
    expect(lineOf(r.stdout, "vault.capabilities")).toContain(
      `create+read on ${engine}/data/keys/keyfront-doctor-check`,
    );
    expect(await storedKeys()).toEqual([]);
    expect(r.stdout + r.stderr).not.toContain(secretId);
  });

  it("fails on a sealed Vault, and stops there", async () => {
    vault.faults.seal();
    try {
      const r = await doctor(config());
      expect(r.code).toBe(1);
      expect(lineOf(r.stdout, "vault.state")).toMatch(
        new RegExp(
          `^FAIL vault\\.state +Vault at ${vault.addr.replaceAll(".", "\\.")} is sealed: every key operation fails → unseal it`,
        ),
      );
      expect(r.stdout).not.toContain("vault.auth");
    } finally {
      vault.faults.unseal();
    }
  });

  it("warns on a standby node, which still serves", async () => {
    vault.faults.setStandby(true);
    try {
      const r = await doctor(config());
      expect(lineOf(r.stdout, "vault.state")).toMatch(
        /^WARN vault\.state +Vault at .* is a standby node/,
      );
      expect(r.code, r.stdout).toBe(0);
    } finally {
      vault.faults.setStandby(false);
    }
  });

  const broken: [string, () => VaultSetup, string, RegExp][] = [
    [
      "the wrong K/V version",
      () => ({ version: "v1" }),
      "vault.mount",
      /^FAIL vault\.mount +keystore\.vault\.version is v1, but the mount '.*\/' is K\/V v2: set keystore\.vault\.version: v2/,
    ],
    [
      "a missing mount",
      () => ({ engine: "no-such-mount" }),
      "vault.mount",
      /^FAIL vault\.mount +the K\/V mount 'no-such-mount\/' does not exist/,
    ],
    [
      "a token without create on the key path",
      () => ({ auth: `token: ${readOnlyToken}` }),
      "vault.capabilities",
      /^FAIL vault\.capabilities +the token lacks create on kv-[0-9a-f]+\/data\/keys\/keyfront-doctor-check \(has: read\) → grant the Vault policy/,
    ],
    [
      "an untrusted Vault certificate",
      () => ({ ca: null }),
      "vault.reach",
      /^FAIL vault\.reach +cannot reach Vault at .* → set keystore\.vault\.tls\.ca to the CA that issued Vault's certificate/,
    ],
  ];
  it.each(broken)("fails on %s", async (_name, setup, id, want) => {
    const r = await doctor(config(setup()));
    expect(r.code, r.stdout).toBe(1);
    expect(lineOf(r.stdout, id)).toMatch(want);
    expect(r.stdout.split("\n").filter((l) => l.startsWith("FAIL"))).toEqual([
      lineOf(r.stdout, id),
    ]);
  });

  it("fails on an unreachable Vault, in bounded time", async () => {
    const closed: Server = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await doctor(config({ endpoint: `https://127.0.0.1:${port}` }));
    expect(r.code).toBe(1);
    expect(lineOf(r.stdout, "vault.reach")).toMatch(
      new RegExp(
        `^FAIL vault\\.reach +cannot reach Vault at https://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.* → is Vault running and listening at`,
      ),
    );
  });

  it("--probe with a read-only token fails on create and leaves no key behind", async () => {
    const r = await doctor(config({ auth: `token: ${readOnlyToken}` }), "--probe");
    expect(r.code).toBe(1);
    expect(lineOf(r.stdout, "probe")).toMatch(
      /^FAIL probe +create of the throwaway key 'keyfront-doctor-probe-[0-9a-f]{16}' failed: .* → the keystore refuses writes/,
    );
    expect(await storedKeys()).toEqual([]);
    expect(r.stdout + r.stderr).not.toContain(readOnlyToken);
  });

  it("--probe deletes its key even when a step after the write fails", async () => {
    // Vault stores the key, then keyfront's read-back is refused: the create fails after the write.
    const r = await doctor(config({ auth: `token: ${writeOnlyToken}` }), "--probe");
    expect(r.code).toBe(1);
    expect(lineOf(r.stdout, "probe")).toMatch(/^FAIL probe +create of the throwaway key/);
    expect(await storedKeys()).toEqual([]);
  });

  it("logs in with Vault's cert method using keystore.vault.tls, and names a refused role", async () => {
    const mount = unique("cert");
    await admin.enableAuth(mount, "cert");
    await admin.call("POST", `auth/${mount}/certs/keyfront`, {
      certificate: pki.ca.certPem,
      token_policies: ["keyfront"],
    });
    const client = pki.clients["ecdsa-p256"];
    const tls = `tls: { ca: ${vaultCa}, cert: ${client.certFile}, key: ${client.keyFile} }`;
    const setup = (name: string) => ({
      auth: `cert: { engine: ${mount}, name: ${name} }\n    ${tls}`,
      ca: null,
    });
    try {
      const r = await doctor(config(setup("keyfront")), "--probe");
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(lineOf(r.stdout, "vault.auth")).toMatch(/^ok\s+vault\.auth\s+logged in with cert/);
      const refused = await doctor(config(setup("nope")));
      expect(refused.code).toBe(1);
      expect(lineOf(refused.stdout, "vault.auth")).toContain(
        "cert login failed for certificate role 'nope' (HTTP 400: invalid certificate or no client certificate supplied)",
      );
    } finally {
      await admin.disableAuth(mount);
    }
  });

  it("--probe with the vault unreachable is not run", async () => {
    const r = await doctor(config({ ca: null }), "--probe");
    expect(lineOf(r.stdout, "probe")).toMatch(/^FAIL probe +not run: vault\.reach failed$/);
  });
});
