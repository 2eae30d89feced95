// The leaf-identity attack of issue 8 item 1, over real TLS against the real server: an attacker
// with its own key sends [a CA-flagged leaf "issued by" the victim's subject name, the victim's
// public certificate]. OpenSSL links the victim's certificate as the leaf's issuer; the identity
// must still be the leaf's, and a CA-flagged leaf is no identity at all. Before the fix, both a
// policy identity's read and the admin's key delete answered 200 as the victim.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgeChain, makeVictim, type Victim } from "../helpers/openssl.js";
import { KEY_KINDS, makeTestPki, type TestPki } from "../helpers/pki.js";
import { type RunningServer, startServer } from "../helpers/server.js";

const err = (message: string) => `{"message":${JSON.stringify(message)}\n}`;
const REQUIRED = err("tls: client certificate is required");

let pki: TestPki;
let dir: string;

beforeAll(() => {
  pki = makeTestPki();
  dir = mkdtempSync(join(tmpdir(), "keyfront-forge-"));
});
afterAll(() => {
  pki?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function yaml(admin: Victim, reader: Victim, auth: "on" | "off"): string {
  return `
admin:
  identity: ${admin.identity}
tls:
  key: ${pki.server.keyFile}
  cert: ${pki.server.certFile}
  auth: ${auth}
  ca: ${pki.ca.certFile}
policy:
  readers:
    allow: [/v1/key/describe/*, /v1/status]
    identities: [${reader.identity}]
keystore:
  fs:
    path: \${DIR}/keys
`;
}

/** One HTTP/1.1 request through `openssl s_client -cert leaf -cert_chain victim -key attacker`. */
function sClientStatus(port: number, args: string[], request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn("openssl", [
      "s_client",
      "-quiet",
      "-connect",
      `127.0.0.1:${port}`,
      "-servername",
      "localhost",
      "-CAfile",
      pki.ca.certFile,
      ...args,
    ]);
    let out = "";
    proc.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    proc.stderr.on("data", (c: Buffer) => {
      out += c.toString();
    });
    proc.on("error", reject);
    proc.on("exit", () => resolve(/^HTTP\/1\.1 (\d{3})/m.exec(out)?.[1] ?? `no answer: ${out}`));
    proc.stdin.end(request);
  });
}

describe.each(KEY_KINDS)("a forged chain with %s keys (tls.auth: off)", (kind) => {
  let s: RunningServer;
  let admin: Victim;
  let reader: Victim;

  beforeAll(async () => {
    admin = makeVictim(dir, `admin-${kind}`, kind);
    reader = makeVictim(dir, `reader-${kind}`, kind);
    s = await startServer({ yaml: yaml(admin, reader, "off"), caPem: pki.ca.certPem });
    // The real owners are served as themselves.
    expect((await s.request(admin, "POST", "/v1/key/create/k")).status).toBe(200);
    expect((await s.request(reader, "GET", "/v1/key/describe/k")).status).toBe(200);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("does not make the attacker a policy identity", async () => {
    const forged = forgeChain(dir, `attacker-reader-${kind}`, kind, reader);
    const r = await s.request(
      { certPem: forged.chainPem, keyPem: forged.leaf.keyPem },
      "GET",
      "/v1/key/describe/k",
    );
    expect([r.status, r.body]).toEqual([400, REQUIRED]);
    const self = await s.request(
      { certPem: forged.chainPem, keyPem: forged.leaf.keyPem },
      "GET",
      "/v1/identity/self/describe",
    );
    expect(self.body).not.toContain(reader.identity);
  });

  it("does not make the attacker the admin", async () => {
    const forged = forgeChain(dir, `attacker-admin-${kind}`, kind, admin);
    const del = await s.request(
      { certPem: forged.chainPem, keyPem: forged.leaf.keyPem },
      "DELETE",
      "/v1/key/delete/k",
    );
    expect([del.status, del.body]).toEqual([400, REQUIRED]);
    expect((await s.request(admin, "GET", "/v1/key/describe/k")).status).toBe(200);
  });

  // Only Ed25519 through s_client: with ECDSA and RSA, the failed signature check of the linked
  // "issuer" leaves an error on OpenSSL's queue that Node then reports on the connection's next
  // read, so the s_client connection is reset (after the request was read) before any answer.
  // With Ed25519 this happens often too (every try of one CI run). Either outcome refuses the
  // attack: each try must end in 400 or in a reset or close with no answer, and the key must still be
  // there after each. Node's client above proves the 400 for every key kind.
  if (kind === "ed25519")
    it("is refused when sent with openssl s_client -cert_chain", async () => {
      const forged = forgeChain(dir, `attacker-sclient-${kind}`, kind, admin);
      const args = [
        "-cert",
        forged.leaf.certFile,
        "-cert_chain",
        forged.victimCertFile,
        "-key",
        forged.leaf.keyFile,
      ];
      const request =
        "DELETE /v1/key/delete/k HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
      for (let attempt = 0; attempt < 3; attempt++) {
        const status = await sClientStatus(s.port, args, request);
        // A reset shows as errno=104, or as "unexpected eof" when OpenSSL reads the close first.
        if (status !== "400")
          expect(status).toMatch(/^no answer: [\s\S]*(errno=104|unexpected eof)/);
        expect((await s.request(admin, "GET", "/v1/key/describe/k")).status).toBe(200);
      }
    });
});

describe("a forged chain against a CA-issued victim (tls.auth: on)", () => {
  it("is refused: the leaf is CA-flagged and its chain does not verify", async () => {
    const ca = { certFile: pki.ca.certFile, keyFile: pki.ca.keyFile };
    const admin = makeVictim(dir, "on-admin", "ecdsa-p256", ca);
    const reader = makeVictim(dir, "on-reader", "ed25519", ca);
    const s = await startServer({ yaml: yaml(admin, reader, "on"), caPem: pki.ca.certPem });
    try {
      expect((await s.request(admin, "POST", "/v1/key/create/k")).status).toBe(200);
      expect((await s.request(reader, "GET", "/v1/key/describe/k")).status).toBe(200);
      const forged = forgeChain(dir, "on-attacker", "ed25519", admin);
      const client = { certPem: forged.chainPem, keyPem: forged.leaf.keyPem };
      const del = await s.request(client, "DELETE", "/v1/key/delete/k");
      expect([del.status, del.body]).toEqual([400, REQUIRED]);
      expect((await s.request(admin, "GET", "/v1/key/describe/k")).status).toBe(200);
    } finally {
      await s.stop();
    }
  });
});
