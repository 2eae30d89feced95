// TLS session resumption and identities (issue 8 item 1), over real TLS 1.2 and 1.3 against the
// real server: a resumed session has the identity of the certificate proven in its full
// handshake, whatever certificate the resuming client offers; a session made without a
// certificate never gains one; TLS 1.2 session IDs are not resumed at all (the server keeps no
// session cache), and a reload starts new ticket keys.

import { constants } from "node:crypto";
import type { SecureVersion } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestPki, type TestClient, type TestPki } from "../helpers/pki.js";
import { type RawTlsOptions, rawGet } from "../helpers/raw-tls.js";
import { type RunningServer, startServer } from "../helpers/server.js";

const err = (message: string) => `{"message":${JSON.stringify(message)}\n}`;
const VERSIONS: SecureVersion[] = ["TLSv1.2", "TLSv1.3"];
const SELF = "/v1/identity/self/describe";

let pki: TestPki;
let s: RunningServer;
let a: TestClient;
let b: TestClient;

beforeAll(async () => {
  pki = makeTestPki();
  a = pki.clients.ed25519;
  b = pki.clients["rsa-2048"];
  s = await startServer({
    caPem: pki.ca.certPem,
    yaml: `
admin:
  identity: disabled
tls:
  key: ${pki.server.keyFile}
  cert: ${pki.server.certFile}
policy:
  p:
    allow: [/v1/status]
    identities: [${a.identity}, ${b.identity}]
keystore:
  fs:
    path: \${DIR}/keys
`,
  });
});
afterAll(async () => {
  await s?.stop();
  pki?.cleanup();
});

const base = (version: SecureVersion, client?: TestClient): RawTlsOptions => ({
  port: s.port,
  caPem: pki.ca.certPem,
  version,
  ...(client !== undefined && { certPem: client.certPem, keyPem: client.keyPem }),
});

const identityOf = (body: string) => (JSON.parse(body) as { identity: string }).identity;

describe.each(VERSIONS)("%s session tickets", (version) => {
  it("a resumed session keeps the identity proven in its full handshake", async () => {
    const full = await rawGet(base(version, a), SELF);
    expect([full.protocol, full.reused, full.status]).toEqual([version, false, 200]);
    expect(identityOf(full.body)).toBe(a.identity);
    expect(full.session).toBeDefined();
    const session = full.session as Buffer;
    // Resuming while offering another certificate: the session's identity, not the offered one.
    const withB = await rawGet({ ...base(version, b), session }, SELF);
    expect([withB.reused, withB.status]).toEqual([true, 200]);
    expect(identityOf(withB.body)).toBe(a.identity);
    // Resuming with no certificate at all: still the identity proven by the full handshake.
    const bare = await rawGet({ ...base(version), session }, "/v1/status");
    expect([bare.reused, bare.status]).toEqual([true, 200]);
  });

  it("a session made without a certificate never gets one on resumption", async () => {
    const full = await rawGet(base(version), "/v1/status");
    expect([full.reused, full.status, full.body]).toEqual([
      false,
      400,
      err("tls: client certificate is required"),
    ]);
    const session = full.session as Buffer;
    expect(session).toBeDefined();
    const resumed = await rawGet({ ...base(version, a), session }, "/v1/status");
    expect([resumed.reused, resumed.status, resumed.body]).toEqual([
      true,
      400,
      err("tls: client certificate is required"),
    ]);
  });
});

describe("TLSv1.2 session IDs (no tickets)", () => {
  it("are not resumed: every connection proves its own certificate", async () => {
    const noTicket = { secureOptions: constants.SSL_OP_NO_TICKET };
    const full = await rawGet({ ...base("TLSv1.2", a), ...noTicket }, SELF);
    expect([full.reused, full.status]).toEqual([false, 200]);
    const session = full.session as Buffer;
    expect(session).toBeDefined();
    const again = await rawGet({ ...base("TLSv1.2"), ...noTicket, session }, "/v1/status");
    expect([again.reused, again.status]).toEqual([false, 400]);
    const asB = await rawGet({ ...base("TLSv1.2", b), ...noTicket, session }, SELF);
    expect([asB.reused, identityOf(asB.body)]).toEqual([false, b.identity]);
  });
});

describe("reload", () => {
  it("starts new ticket keys: a session from before a SIGHUP is not resumed", async () => {
    const full = await rawGet(base("TLSv1.3", a), SELF);
    const session = full.session as Buffer;
    expect((await rawGet({ ...base("TLSv1.3"), session }, "/v1/status")).reused).toBe(true);
    const reloads = () => `${s.stdout()}${s.stderr()}`.split("configuration reloaded").length;
    const before = reloads();
    s.proc.kill("SIGHUP");
    await expect.poll(reloads, { timeout: 10_000 }).toBeGreaterThan(before);
    const after = await rawGet({ ...base("TLSv1.3"), session }, "/v1/status");
    expect([after.reused, after.status]).toEqual([false, 400]);
  });
});
