// The server of the `policy explain` tests: an admin, an `app` policy with allow, deny and prefix
// rules, an `auditor` (an API key) that may explain, describe identities and read `app`, a
// `limited` client that may explain but not read `app`, a `self-only` client that may explain
// but not describe other identities, and a stranger in no policy.

import { generateApiKey, identityOfApiKey } from "../../internal/identity/api-key.js";
import { certificateForApiKey } from "../../internal/pki/certificate.js";
import { selfSignedClient, selfSignedServer } from "../../internal/pki/self-signed.js";
import { type RunningServer, startServer } from "../helpers/server.js";

export function makeExplainFixture() {
  const server = selfSignedServer();
  const apiKey = generateApiKey();
  const apiCert = certificateForApiKey(apiKey);
  const clients = {
    admin: selfSignedClient("admin", { kind: "ed25519" }),
    app: selfSignedClient("app", { kind: "ecdsa-p256" }),
    limited: selfSignedClient("limited", { kind: "ed25519" }),
    selfOnly: selfSignedClient("self-only", { kind: "rsa-2048" }),
    stranger: selfSignedClient("stranger", { kind: "ed25519" }),
    auditor: {
      certPem: apiCert.certPem,
      keyPem: apiCert.keyPem,
      identity: identityOfApiKey(apiKey),
    },
  };
  return { server, apiKey, clients };
}

export type ExplainFixture = ReturnType<typeof makeExplainFixture>;

export function startExplainServer(f: ExplainFixture): Promise<RunningServer> {
  const c = f.clients;
  const yaml = `
admin:
  identity: ${c.admin.identity}
tls:
  key: \${DIR}/server.key
  cert: \${DIR}/server.crt
policy:
  app:
    allow:
      - /v1/key/create/app-*
      - /v1/key/generate/*
      - /v1/key/describe/app-*
      - /v1/key/list/*
      - /v1/status
      - /v1/log/audit
    deny:
      - /v1/key/generate/app-secret*
    identities: [${c.app.identity}]
  auditor:
    allow: [/v1/policy/explain, /v1/identity/describe/*, /v1/policy/read/app]
    identities: [${c.auditor.identity}]
  limited:
    allow: [/v1/policy/explain, /v1/identity/describe/*]
    identities: [${c.limited.identity}]
  self-only:
    allow: [/v1/policy/explain, /v1/key/describe/*]
    identities: [${c.selfOnly.identity}]
keystore:
  fs:
    path: \${DIR}/keys
`;
  return startServer({
    yaml,
    caPem: f.server.certPem,
    files: { "server.crt": f.server.certPem, "server.key": f.server.keyPem },
  });
}
