// A per-run PKI and server config for the API tests: a server certificate, an Ed25519 admin,
// ECDSA and RSA application clients under one policy, an Ed25519 API-key client under another,
// a stranger with no policy, and a CA-flagged client certificate (kes-api.md §5.1 gotcha).

import { generateApiKey, identityOfApiKey } from "../../internal/identity/api-key.js";
import { certificateForApiKey } from "../../internal/pki/certificate.js";
import type { KeyKind } from "../../internal/pki/keys.js";
import { selfSignedClient, selfSignedServer } from "../../internal/pki/self-signed.js";
import type { TlsClient } from "../helpers/server.js";
import { type RunningServer, startServer } from "../helpers/server.js";

export interface Client extends TlsClient {
  certPem: string;
  keyPem: string;
  identity: string;
}

const client = (kind: KeyKind, subject: string, isCA = false): Client =>
  selfSignedClient(subject, { kind, isCA });

export function makeFixture() {
  const server = selfSignedServer();
  const apiKey = generateApiKey();
  const apiCert = certificateForApiKey(apiKey);
  const clients = {
    admin: client("ed25519", "admin"),
    ecdsa: client("ecdsa-p256", "app-ecdsa"),
    rsa: client("rsa-2048", "app-rsa"),
    stranger: client("ed25519", "stranger"),
    ca: client("ecdsa-p256", "ca-flagged", true),
    apiKey: {
      certPem: apiCert.certPem,
      keyPem: apiCert.keyPem,
      identity: identityOfApiKey(apiKey),
    },
  };
  return { serverCertPem: server.certPem, serverKeyPem: server.keyPem, clients };
}

export type Fixture = ReturnType<typeof makeFixture>;

/** The YAML config of the API tests; `${DIR}` is the server's temp dir. */
export function configYaml(f: Fixture, files: { cert: string; key: string }, extra = ""): string {
  const c = f.clients;
  return `
admin:
  identity: ${c.admin.identity}
tls:
  key: ${files.key}
  cert: ${files.cert}
policy:
  app:
    allow:
      - /v1/key/create/app-*
      - /v1/key/generate/app-*
      - /v1/key/encrypt/app-*
      - /v1/key/decrypt/app-*
      - /v1/key/describe/app-*
      - /v1/key/list/app-*
      - /v1/key/hmac/app-*
      - /v1/status
      - /v1/log/audit
    deny:
      - /v1/key/generate/app-secret*
    identities:
      - ${c.ecdsa.identity}
      - ${c.rsa.identity}
  reader:
    allow: [/v1/key/describe/*, /v1/policy/*, /v1/identity/*]
    identities: [ "\${READER_IDENTITY}" ]
log:
  error: debug
  audit: on
keystore:
  fs:
    path: \${DIR}/keys
${extra}`;
}

/** Starts the real server with this fixture's config (plus `extra` YAML). */
export function startFixtureServer(
  f: Fixture,
  extra = "",
  nodeArgs: string[] = [],
): Promise<RunningServer> {
  return startServer({
    nodeArgs,
    yaml: configYaml(f, { cert: "${DIR}/server.crt", key: "${DIR}/server.key" }, extra),
    caPem: f.serverCertPem,
    files: { "server.crt": f.serverCertPem, "server.key": f.serverKeyPem },
    env: { READER_IDENTITY: f.clients.apiKey.identity },
  });
}
