// `keyfront doctor` as a user runs it (the built CLI as a subprocess) on configs written to temp
// dirs with real certificates from the test PKI: a healthy fs setup passes every check with exit
// 0; each broken setup fails with exit 1 on the line that names the problem; --json parses; a
// config with many problems lists them all, files included, as `server --config` does (exit 2).

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createCertificate } from "../../internal/pki/certificate.js";
import { generateKeyPair } from "../../internal/pki/keys.js";
import { makeTestPki } from "../helpers/pki.js";
import { kf } from "./cli-helpers.js";

const pki = makeTestPki();
const dir = mkdtempSync(join(tmpdir(), "keyfront-doctor-"));
afterAll(() => {
  pki.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function file(name: string, text: string): string {
  const path = join(dir, `${n++}-${name}`);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

const MINIO = pki.clients.ed25519.identity;
const MINIO_ALLOW =
  "[/v1/key/create/*, /v1/key/generate/*, /v1/key/decrypt/*, /v1/key/list/*, /v1/status, /v1/metrics]";

interface Setup {
  cert?: string;
  key?: string;
  ca?: string;
  address?: string;
  minioAllow?: string;
  extra?: string;
}

let lastKeys = "";
function config(s: Setup = {}): string {
  lastKeys = join(dir, `keys-${n}`);
  return file(
    "keyfront.yaml",
    `address: ${s.address ?? "127.0.0.1:7373"}
admin:
  identity: ${pki.clients["ecdsa-p256"].identity}
tls:
  key: ${s.key ?? pki.server.keyFile}
  cert: ${s.cert ?? pki.server.certFile}
  auth: on
  ca: ${s.ca ?? pki.ca.certFile}
policy:
  minio:
    allow: ${s.minioAllow ?? MINIO_ALLOW}
    identities: [${MINIO}]
${s.extra ?? ""}keystore:
  fs:
    path: ${lastKeys}
`,
  );
}

const doctor = (path: string, ...flags: string[]) => kf(["doctor", "--config", path, ...flags]);

/** The output line of check `id`. */
function lineOf(stdout: string, id: string): string {
  const line = stdout.split("\n").find((l) => l.split(/\s+/)[1] === id);
  if (line === undefined) throw new Error(`no line for ${id} in:\n${stdout}`);
  return line;
}

function leafCert(opts: { dns?: string[]; ips?: string[]; notBefore?: Date; notAfter?: Date }) {
  const keys = generateKeyPair("ecdsa-p256");
  const cert = createCertificate({
    subject: "localhost",
    keyPair: keys,
    issuer: { certPem: pki.ca.certPem, keyPair: pki.ca.keyPair },
    extKeyUsage: ["serverAuth"],
    ...opts,
  });
  return { cert: file("leaf.crt", cert.certPem), key: file("leaf.key", keys.privateKeyPem) };
}

describe("keyfront doctor on an fs keystore", () => {
  it("passes every check on a healthy setup, --probe included, and leaves no key", async () => {
    const path = config();
    const r = await doctor(path, "--probe");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    const checks = lines.slice(0, -1);
    expect(checks.map((l) => l.split(/\s+/)[1])).toEqual([
      "config",
      "tls.cert.key",
      "tls.cert.expiry",
      "tls.cert.san",
      "tls.cert.eku",
      "tls.ca",
      "identity.admin",
      "policy.minio",
      "minio.routes.minio",
      "keystore",
      "probe",
    ]);
    for (const l of checks) expect(l).toMatch(/^ok /);
    expect(lines.at(-1)).toBe("11 checks: all passed");
    expect(lineOf(r.stdout, "tls.cert.san")).toContain(
      "DNS:localhost, IP:127.0.0.1 include 127.0.0.1",
    );
    expect(readdirSync(lastKeys)).toEqual([]);
  });

  it("--json prints one document with stable fields", async () => {
    const r = await doctor(
      config({ minioAllow: "[/v1/key/create/*, /v1/key/generate/*, /v1/key/decrypt/*]" }),
      "--json",
    );
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { ok: boolean; checks: Record<string, string>[] };
    expect(doc.ok).toBe(false);
    for (const c of doc.checks) expect(Object.keys(c)).toEqual(["id", "status", "message", "hint"]);
    expect(doc.checks.find((c) => c.id === "minio.routes.minio")).toMatchObject({
      status: "fail",
      message: `policy 'minio' does not allow /v1/status: MinIO reports "insufficient permissions"`,
      hint: "add /v1/status to policy.minio.allow",
    });
  });

  const broken: [string, () => Setup, string, RegExp][] = [
    [
      "a key that is not the certificate's",
      () => ({ key: pki.servers.ed25519.keyFile }),
      "tls.cert.key",
      /^FAIL tls\.cert\.key +tls\.key is not the private key of tls\.cert/,
    ],
    [
      "an expired certificate",
      () =>
        leafCert({
          ips: ["127.0.0.1"],
          notBefore: new Date(Date.now() - 3 * 86_400_000),
          notAfter: new Date(Date.now() - 86_400_000),
        }),
      "tls.cert.expiry",
      /^FAIL tls\.cert\.expiry +the server certificate expired on \d{4}-.* → issue a new certificate/,
    ],
    [
      "a certificate without the address's SAN",
      () => leafCert({ dns: ["localhost"] }),
      "tls.cert.san",
      /^FAIL tls\.cert\.san +the server listens on 127\.0\.0\.1, which is not among the certificate's SANs \(DNS:localhost\) → add IP:127\.0\.0\.1/,
    ],
    [
      "a CA file that holds a leaf",
      () => ({ ca: pki.server.certFile }),
      "tls.ca",
      /^FAIL tls\.ca +'.*' \(CN=localhost\) is not a CA certificate/,
    ],
    [
      "a policy with no identity",
      () => ({ extra: "  orphan:\n    allow: [/v1/key/describe/*]\n" }),
      "policy.orphan",
      /^FAIL policy\.orphan +policy 'orphan' has no identity: no client can use it/,
    ],
    [
      "a MinIO identity lacking /v1/status",
      () => ({
        minioAllow:
          "[/v1/key/create/*, /v1/key/generate/*, /v1/key/decrypt/*, /v1/metrics, /v1/key/list/*]",
      }),
      "minio.routes.minio",
      /^FAIL minio\.routes\.minio +policy 'minio' does not allow \/v1\/status: MinIO reports "insufficient permissions" → add \/v1\/status to policy\.minio\.allow/,
    ],
  ];
  it.each(broken)("fails on %s", async (_name, setup, id, want) => {
    const r = await doctor(config(setup()));
    expect(r.code, r.stdout).toBe(1);
    expect(lineOf(r.stdout, id)).toMatch(want);
    const failed = r.stdout.split("\n").filter((l) => l.startsWith("FAIL"));
    expect(failed).toEqual([lineOf(r.stdout, id)]);
  });

  it("fails on an identity in two policies and the admin in a policy (config lines)", async () => {
    const admin = pki.clients["ecdsa-p256"].identity;
    const path = config({
      extra: `  twice:\n    allow: [/v1/key/describe/*]\n    identities: [${MINIO}, ${admin}]\n`,
    });
    const r = await doctor(path);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split("\n")).toEqual([
      `FAIL config  ${path}:15 policy.twice.identities[0]: cannot assign policy 'twice' to '${MINIO}': identity already has a policy → fix the config file`,
      `FAIL config  ${path}:15 policy.twice.identities[1]: the admin identity cannot be assigned to a policy → fix the config file`,
      "2 checks: 2 failed, 0 warned",
    ]);
  });

  it("lists every config problem, files included, as server --config does", async () => {
    const notPem = file("not-pem.crt", "hello\n");
    const path = file(
      "broken.yaml",
      `admin:
  identity: disabled
tls:
  key: ${join(dir, "missing.key")}
  cert: ${notPem}
  auth: [on]
log:
  error: LOUD
keystore:
  fs:
    path: ${notPem}
`,
    );
    const want = [
      `${path}:4 tls.key: cannot read '${join(dir, "missing.key")}' (ENOENT)`,
      `${path}:5 tls.cert: '${notPem}' is not a PEM certificate file: no PEM CERTIFICATE block found`,
      `${path}:6 tls.auth: expected a string`,
      `${path}:8 log.error: invalid log level 'LOUD'`,
      `${path}:11 keystore.fs.path: '${notPem}' is not a directory`,
    ];
    const r = await doctor(path);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split("\n");
    expect(lines.slice(0, -1)).toEqual(want.map((w) => `FAIL config  ${w} → fix the config file`));
    const s = await kf(["server", "--config", path]);
    expect(s.code).toBe(2);
    expect(s.stderr).toBe(`keyfront: invalid configuration:\n  ${want.join("\n  ")}\n`);
  });

  it("is a usage error without a config to check, or with an unknown flag", async () => {
    const empty = mkdtempSync(join(tmpdir(), "keyfront-doctor-empty-"));
    try {
      const none = await kf(["doctor"], {}, empty);
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(
        /^keyfront: no config: pass --config FILE \(certs\/dev\/keyfront\.yaml, .* is not here\)\nusage: keyfront doctor \[--config FILE\]/,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    const r = await kf(["doctor", "--config", "x", "--nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^keyfront: .*\nusage: keyfront doctor \[--config FILE\]/);
    const help = await kf(["doctor", "--help"]);
    expect([help.code, help.stdout.split("\n")[0]]).toEqual([
      0,
      "usage: keyfront doctor [--config FILE] [--probe] [--json]",
    ]);
  });
});
