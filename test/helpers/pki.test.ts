// The test PKI really works for mutual TLS: node:tls servers with each server key kind (plain
// and legacy-encrypted keys loaded with their password, kes-api.md §1.1) accept clients of every
// key kind over TLS 1.2 and 1.3, and the server computes the identity the PKI promised (§5.1).

import { X509Certificate } from "node:crypto";
import type { AddressInfo } from "node:net";
import { connect, createServer, type Server } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { identityOfApiKey } from "../../internal/identity/api-key.js";
import { identityOfPeerLeaf, isCaCertificate } from "../../internal/identity/identity.js";
import { loadPrivateKeyPem } from "../../internal/pki/keys.js";
import {
  KEY_KINDS,
  makeTestPki,
  type TestClient,
  type TestCredential,
  type TestPki,
} from "./pki.js";

type TlsVersion = "TLSv1.2" | "TLSv1.3";
const VERSIONS: TlsVersion[] = ["TLSv1.2", "TLSv1.3"];

/** Answers each connection with `<tls version> <identity or error:...>` and closes it. */
function startServer(key: string, cert: string, options: { ca?: string } = {}): Promise<Server> {
  const server = createServer(
    {
      key,
      cert,
      minVersion: "TLSv1.2",
      requestCert: true,
      rejectUnauthorized: options.ca !== undefined, // §1.1: tls.auth off = RequireAnyClientCert
      ...(options.ca !== undefined && { ca: options.ca }),
    },
    (socket) => {
      const leaf = socket.getPeerX509Certificate();
      const result = identityOfPeerLeaf(socket.getPeerCertificate(false)?.raw);
      const who = "identity" in result ? result.identity : `error:${result.error}`;
      const leafOk = leaf === undefined || socket.getPeerCertificate(false).raw.equals(leaf.raw);
      socket.end(`${socket.getProtocol()} ${who} ${leafOk}`);
    },
  );
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

function request(
  server: Server,
  ca: string,
  client: TestClient,
  version: TlsVersion,
): Promise<string> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: "127.0.0.1",
      port,
      servername: "localhost",
      ca,
      cert: client.certPem,
      key: client.keyPem,
      minVersion: version,
      maxVersion: version,
    });
    let data = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      data += chunk;
    });
    socket.on("end", () => resolve(data));
    socket.on("error", reject);
  });
}

let pki: TestPki;
const servers: Server[] = [];

beforeAll(() => {
  pki = makeTestPki();
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  pki?.cleanup();
});

async function started(cred: TestCredential, password?: string, ca?: string): Promise<Server> {
  // A server loads tls.key through production code; node:tls gets the decrypted key.
  const key = loadPrivateKeyPem(cred.keyPem, password).export({ type: "pkcs8", format: "pem" });
  const server = await startServer(key.toString(), cred.certPem, ca === undefined ? {} : { ca });
  servers.push(server);
  return server;
}

function allClients(): TestClient[] {
  return [...Object.values(pki.clients), ...Object.values(pki.selfSignedClients), pki.apiKeyClient];
}

describe("test PKI", () => {
  it("identities are distinct, lowercase hex, and the API key's identity matches", () => {
    const ids = allClients().map((c) => c.identity);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(pki.apiKeyClient.identity).toBe(identityOfApiKey(pki.apiKeyClient.apiKey));
    expect(isCaCertificate(new X509Certificate(pki.caFlaggedClient.certPem).raw)).toBe(true);
  });

  it("server certificates carry localhost and 127.0.0.1", () => {
    for (const kind of KEY_KINDS) {
      const x = new X509Certificate(pki.servers[kind].certPem);
      expect(x.subjectAltName).toBe("DNS:localhost, IP Address:127.0.0.1");
      expect(x.publicKey.asymmetricKeyType).toBe(
        kind === "ecdsa-p256" ? "ec" : kind === "rsa-2048" ? "rsa" : "ed25519",
      );
    }
  });

  it("encrypted server keys need their password", () => {
    const enc = pki.encryptedServers.ed25519;
    expect(enc.keyPem).toContain("Proc-Type: 4,ENCRYPTED");
    expect(() => loadPrivateKeyPem(enc.keyPem)).toThrow("a password is required");
    expect(() => loadPrivateKeyPem(enc.keyPem, "nope")).toThrow("wrong password?");
  });
});

describe.each(KEY_KINDS)("mTLS with a %s server", (serverKind) => {
  describe.each([false, true])("key encrypted: %s", (encrypted) => {
    let server: Server;
    beforeAll(async () => {
      const cred = encrypted ? pki.encryptedServers[serverKind] : pki.servers[serverKind];
      server = await started(
        cred,
        encrypted ? pki.encryptedServers[serverKind].password : undefined,
      );
    });

    it.each(VERSIONS)("%s: every client kind gets its identity", async (version) => {
      for (const client of allClients()) {
        const reply = await request(server, pki.ca.certPem, client, version);
        expect(reply).toBe(`${version} ${client.identity} true`);
      }
    });

    it.each(VERSIONS)("%s: a CA-flagged client cert yields no identity (§5.1)", async (version) => {
      const reply = await request(server, pki.ca.certPem, pki.caFlaggedClient, version);
      expect(reply).toBe(`${version} error:none true`);
    });
  });
});

describe("chain verification (tls.auth: on)", () => {
  it("accepts CA-signed clients and rejects self-signed ones", async () => {
    const server = await started(pki.server, undefined, pki.ca.certPem);
    for (const kind of KEY_KINDS) {
      const reply = await request(server, pki.ca.certPem, pki.clients[kind], "TLSv1.3");
      expect(reply).toBe(`TLSv1.3 ${pki.clients[kind].identity} true`);
      for (const version of VERSIONS) {
        // The server aborts the handshake: the client sees an alert or an empty, closed stream.
        const outcome = await request(
          server,
          pki.ca.certPem,
          pki.selfSignedClients[kind],
          version,
        ).catch(() => "rejected");
        expect(["", "rejected"]).toContain(outcome);
      }
    }
  });
});
