// TLS as configured by an operator: server certificates of every key kind (and an encrypted key
// with tls.password), tls.auth on with a CA, skip_auth routes without a client certificate, and
// clients that send several non-CA certificates (kes-api.md §1.1, §5.1, §10.4).

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KEY_KINDS, makeTestPki, type TestPki } from "../helpers/pki.js";
import { type RunningServer, startServer, tlsRequest } from "../helpers/server.js";

let pki: TestPki;
const running: RunningServer[] = [];
const err = (message: string) => `{"message":${JSON.stringify(message)}\n}`;

beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki?.cleanup());
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

function yaml(opts: {
  cert: string;
  key: string;
  password?: string;
  auth?: string;
  extra?: string;
}): string {
  const c = pki.clients;
  return `
admin:
  identity: ${c.ed25519.identity}
tls:
  key: ${opts.key}
  cert: ${opts.cert}
${opts.password ? `  password: ${JSON.stringify(opts.password)}\n` : ""}${opts.auth ? `  auth: ${opts.auth}\n  ca: ${pki.ca.certFile}\n` : ""}policy:
  p:
    allow: [/v1/status, /v1/key/describe/*]
    identities: [${c["ecdsa-p256"].identity}, ${c["rsa-2048"].identity}, ${pki.selfSignedClients["ecdsa-p256"].identity}]
keystore:
  fs:
    path: \${DIR}/keys
${opts.extra ?? ""}`;
}

async function start(text: string): Promise<RunningServer> {
  const s = await startServer({ yaml: text, caPem: pki.ca.certPem });
  running.push(s);
  return s;
}

describe("server certificates", () => {
  it.each(KEY_KINDS)("serves with a %s certificate to clients of every kind", async (kind) => {
    const server = pki.servers[kind];
    const s = await start(yaml({ cert: server.certFile, key: server.keyFile }));
    for (const k of KEY_KINDS) {
      const r = await s.request(pki.clients[k], "GET", "/v1/status");
      expect([k, r.status]).toEqual([k, 200]);
    }
  });

  it.each(KEY_KINDS)("loads an encrypted %s key with tls.password", async (kind) => {
    const server = pki.encryptedServers[kind];
    const s = await start(
      yaml({ cert: server.certFile, key: server.keyFile, password: server.password }),
    );
    expect((await s.request(pki.clients.ed25519, "GET", "/v1/status")).status).toBe(200);
  });

  it("refuses to start with an encrypted key and no or a wrong password", async () => {
    const server = pki.encryptedServers["ecdsa-p256"];
    await expect(start(yaml({ cert: server.certFile, key: server.keyFile }))).rejects.toThrow(
      /a password is required/,
    );
    await expect(
      start(yaml({ cert: server.certFile, key: server.keyFile, password: "wrong" })),
    ).rejects.toThrow(/wrong password/);
  });
});

describe("tls.auth: on", () => {
  it("accepts CA-signed clients and rejects self-signed ones", async () => {
    const s = await start(yaml({ cert: pki.server.certFile, key: pki.server.keyFile, auth: "on" }));
    expect((await s.request(pki.clients["ecdsa-p256"], "GET", "/v1/status")).status).toBe(200);
    const self = await s.request(pki.selfSignedClients["ecdsa-p256"], "GET", "/v1/status");
    expect(self.status).toBe(400);
    expect(self.body).toMatch(/^\{"message":"tls: client certificate is not trusted: /);
  });

  it("with tls.auth off, lets a self-signed client in by its identity", async () => {
    const s = await start(yaml({ cert: pki.server.certFile, key: pki.server.keyFile }));
    expect((await s.request(pki.selfSignedClients["ecdsa-p256"], "GET", "/v1/status")).status).toBe(
      200,
    );
  });
});

describe("skip_auth", () => {
  it("serves a skip_auth route without a certificate and keeps the others protected", async () => {
    const extra = "api:\n  /v1/ready:\n    skip_auth: true\n";
    const s = await start(
      yaml({ cert: pki.server.certFile, key: pki.server.keyFile, auth: "on", extra }),
    );
    const ready = await tlsRequest(s.url, pki.ca.certPem, {}, "GET", "/v1/ready");
    expect(ready.status).toBe(200);
    const status = await tlsRequest(s.url, pki.ca.certPem, {}, "GET", "/v1/status");
    expect([status.status, status.body]).toEqual([400, err("tls: client certificate is required")]);
    const stranger = await s.request(pki.selfSignedClients.ed25519, "GET", "/v1/ready");
    expect(stranger.status).toBe(200);
  });
});

describe("client certificate chains", () => {
  it("takes the identity of the leaf whose key the handshake proved, not of extra certificates", async () => {
    // Node exposes only the chain that links to the leaf, so an unrelated second certificate is
    // never seen (KES would answer 400 'tls: received more than one client certificate'); the
    // identity stays the one whose private key signed the handshake.
    const s = await start(yaml({ cert: pki.server.certFile, key: pki.server.keyFile }));
    const c = pki.clients["ecdsa-p256"];
    const two = { certPem: `${c.certPem}\n${pki.clients.ed25519.certPem}`, keyPem: c.keyPem };
    const r = await s.request(two, "GET", "/v1/key/describe/x");
    expect(r.status).toBe(404); // allowed by c's policy; the admin's certificate gained nothing
    const del = await s.request(two, "DELETE", "/v1/key/delete/x");
    expect(del.status).toBe(403);
  });

  it("ignores a CA certificate sent along with the leaf", async () => {
    const s = await start(yaml({ cert: pki.server.certFile, key: pki.server.keyFile }));
    const c = pki.clients["rsa-2048"];
    const r = await s.request(
      { certPem: `${c.certPem}\n${pki.ca.certPem}`, keyPem: c.keyPem },
      "GET",
      "/v1/status",
    );
    expect(r.status).toBe(200);
  });
});
