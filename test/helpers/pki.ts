// A per-run test PKI in a fresh temp dir: an ECDSA CA, server certificates (ECDSA, Ed25519, RSA)
// for localhost + 127.0.0.1, client certificates of every key kind (CA-signed and self-signed),
// a CA-flagged self-signed client (kes-api.md §5.1 gotcha), an API-key client (§5.4) and
// encrypted server keys. Identities come from the production code. Every test that calls
// makeTestPki() must call cleanup(); nothing here may be reused across runs.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateApiKey } from "../../internal/identity/api-key.js";
import { identityOfCertificate } from "../../internal/identity/identity.js";
import { certificateForApiKey, createCertificate } from "../../internal/pki/certificate.js";
import { generateKeyPair, type KeyKind, type KeyPair } from "../../internal/pki/keys.js";
import { encryptPrivateKeyPem } from "../../internal/pki/pem-encrypt.js";

export const KEY_KINDS: readonly KeyKind[] = ["ed25519", "ecdsa-p256", "rsa-2048"];

export interface TestCredential {
  readonly certPem: string;
  readonly keyPem: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly identity: string;
}

export interface TestClient extends TestCredential {
  readonly kind: KeyKind;
}

export interface TestEncryptedServer extends TestCredential {
  /** The `tls.password` that decrypts keyPem (legacy RFC 1423 PEM, AES-256-CBC). */
  readonly password: string;
}

export interface TestPki {
  readonly dir: string;
  readonly ca: TestCredential & { readonly keyPair: KeyPair };
  /** ECDSA P-256 server certificate for DNS localhost + IP 127.0.0.1, signed by the CA. */
  readonly server: TestCredential;
  /** Server certificates of each key kind (`servers["ecdsa-p256"]` is `server`). */
  readonly servers: Readonly<Record<KeyKind, TestCredential>>;
  /** Server certificates with their keys encrypted, one per key kind. */
  readonly encryptedServers: Readonly<Record<KeyKind, TestEncryptedServer>>;
  /** Client certificates signed by the CA. */
  readonly clients: Readonly<Record<KeyKind, TestClient>>;
  /** Self-signed client certificates (CA = false). */
  readonly selfSignedClients: Readonly<Record<KeyKind, TestClient>>;
  /** A self-signed client certificate with BasicConstraints CA = TRUE: never an identity. */
  readonly caFlaggedClient: TestClient;
  /** The certificate an SDK mints for a fresh API key. */
  readonly apiKeyClient: TestClient & { readonly apiKey: string };
  cleanup(): void;
}

const SERVER_PASSWORD = "test-server-key-password";

/** Builds the whole PKI; files are written under a fresh mkdtemp directory. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "keyfront-pki-"));
  const write = (name: string, text: string, mode: number) => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode });
    return path;
  };
  const credential = (name: string, certPem: string, keyPem: string, certDer: Uint8Array) => ({
    certPem,
    keyPem,
    certFile: write(`${name}.crt`, certPem, 0o644),
    keyFile: write(`${name}.key`, keyPem, 0o600),
    identity: identityOfCertificate(certDer),
  });

  const caKeys = generateKeyPair("ecdsa-p256");
  const caCert = createCertificate({ subject: "keyfront test CA", keyPair: caKeys, isCA: true });
  const ca = {
    ...credential("ca", caCert.certPem, caKeys.privateKeyPem, caCert.certDer),
    keyPair: caKeys,
  };
  const issuer = { certPem: ca.certPem, keyPair: caKeys };

  const servers = {} as Record<KeyKind, TestCredential>;
  const encryptedServers = {} as Record<KeyKind, TestEncryptedServer>;
  const clients = {} as Record<KeyKind, TestClient>;
  const selfSignedClients = {} as Record<KeyKind, TestClient>;
  for (const kind of KEY_KINDS) {
    const keys = generateKeyPair(kind);
    const cert = createCertificate({
      subject: "localhost",
      keyPair: keys,
      issuer,
      dns: ["localhost"],
      ips: ["127.0.0.1"],
      extKeyUsage: ["serverAuth"],
    });
    servers[kind] = credential(`server-${kind}`, cert.certPem, keys.privateKeyPem, cert.certDer);
    const encrypted = encryptPrivateKeyPem(keys.privateKeyPem, SERVER_PASSWORD);
    encryptedServers[kind] = {
      ...credential(`server-${kind}-encrypted`, cert.certPem, encrypted, cert.certDer),
      password: SERVER_PASSWORD,
    };
    clients[kind] = makeClient(kind, `client-${kind}`, credential, issuer);
    selfSignedClients[kind] = makeClient(kind, `client-${kind}-selfsigned`, credential, undefined);
  }

  const caFlaggedKeys = generateKeyPair("ed25519");
  const caFlagged = createCertificate({
    subject: "ca-flagged client",
    keyPair: caFlaggedKeys,
    isCA: true,
    extKeyUsage: ["clientAuth"],
  });
  const caFlaggedClient = {
    kind: "ed25519" as const,
    ...credential(
      "client-ca-flagged",
      caFlagged.certPem,
      caFlaggedKeys.privateKeyPem,
      caFlagged.certDer,
    ),
  };

  const apiKey = generateApiKey();
  const apiCert = certificateForApiKey(apiKey);
  const apiKeyClient = {
    kind: "ed25519" as const,
    apiKey,
    ...credential("client-api-key", apiCert.certPem, apiCert.keyPem, apiCert.certDer),
  };

  return {
    dir,
    ca,
    server: servers["ecdsa-p256"],
    servers,
    encryptedServers,
    clients,
    selfSignedClients,
    caFlaggedClient,
    apiKeyClient,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

type MakeCredential = (
  name: string,
  certPem: string,
  keyPem: string,
  certDer: Uint8Array,
) => TestCredential;

function makeClient(
  kind: KeyKind,
  name: string,
  credential: MakeCredential,
  issuer: { certPem: string; keyPair: KeyPair } | undefined,
): TestClient {
  const keys = generateKeyPair(kind);
  const cert = createCertificate({
    subject: name,
    keyPair: keys,
    extKeyUsage: ["clientAuth"],
    ...(issuer !== undefined && { issuer }),
  });
  return { kind, ...credential(name, cert.certPem, keys.privateKeyPem, cert.certDer) };
}
