// `tls.auth: on` with `tls.ca` trusts that CA only (issue 8, operator mistakes); the system roots
// are added only with `tls.trust_system_roots: true`. No client certificate chaining to a public
// root can be made in a test, so the trust pool is observed where TLS shows it: the CA names the
// server sends in its CertificateRequest (`openssl s_client` prints them), which OpenSSL takes from
// the same pool that verifies clients. Plus the behaviour a client sees: CA-signed in, others out.

import { spawn } from "node:child_process";
import { rootCertificates } from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeTestPki, type TestPki } from "../helpers/pki.js";
import { type RunningServer, startServer } from "../helpers/server.js";

let pki: TestPki;
const running: RunningServer[] = [];

beforeAll(() => {
  pki = makeTestPki();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});
afterAll(() => pki?.cleanup());

async function start(tlsExtra: string): Promise<RunningServer> {
  const s = await startServer({
    caPem: pki.ca.certPem,
    yaml: `
admin:
  identity: ${pki.clients.ed25519.identity}
tls:
  key: ${pki.server.keyFile}
  cert: ${pki.server.certFile}
  auth: on
${tlsExtra}keystore:
  fs:
    path: \${DIR}/keys
`,
  });
  running.push(s);
  return s;
}

/** The "Acceptable client certificate CA names" the server sent, one per line. */
function acceptableCaNames(port: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn("openssl", [
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      "-servername",
      "localhost",
      "-CAfile",
      pki.ca.certFile,
      "-tls1_2",
    ]);
    let out = "";
    proc.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    proc.on("error", reject);
    proc.on("exit", () => {
      const m =
        /Acceptable client certificate CA names\n((?:[^\n]+\n)*?)(?:Requested|Client Certificate Types|Shared)/.exec(
          out,
        );
      resolve(m?.[1]?.trim().split("\n") ?? []);
    });
    proc.stdin.end();
  });
}

describe("tls.auth: on with tls.ca", () => {
  it("trusts the configured CA only", async () => {
    const s = await start(`  ca: ${pki.ca.certFile}\n`);
    expect(await acceptableCaNames(s.port)).toEqual(["CN = keyfront test CA"]);
    expect((await s.request(pki.clients.ed25519, "GET", "/v1/status")).status).toBe(200);
    const self = await s.request(pki.selfSignedClients.ed25519, "GET", "/v1/status");
    expect(self.status).toBe(400);
  });

  it("adds the system roots with tls.trust_system_roots: true", async () => {
    const s = await start(`  ca: ${pki.ca.certFile}\n  trust_system_roots: true\n`);
    const names = await acceptableCaNames(s.port);
    expect(names).toContain("CN = keyfront test CA");
    expect(names.length).toBe(rootCertificates.length + 1);
    expect((await s.request(pki.clients.ed25519, "GET", "/v1/status")).status).toBe(200);
  });
});

describe("tls.auth: on with a tls.ca that holds no certificate", () => {
  it("refuses to start instead of trusting no client", async () => {
    const run = startServer({
      caPem: pki.ca.certPem,
      files: { "ca.pem": "not a certificate\n" },
      yaml: `
admin:
  identity: disabled
tls:
  key: ${pki.server.keyFile}
  cert: ${pki.server.certFile}
  auth: on
  ca: \${DIR}/ca.pem
keystore:
  fs:
    path: \${DIR}/keys
`,
    });
    await expect(run).rejects.toThrow(/tls\.ca: '.*ca\.pem' holds no PEM certificate/);
  });
});
