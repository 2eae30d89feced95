// Self-signed credentials in one call: a server certificate for local hosts and a client
// certificate, each with its fresh key pair. Used by `npm start`, `--dev`, tests and benchmarks.
// Returns PEM text; writes no files and never logs key material.

import { identityOfCertificate } from "../identity/identity.js";
import { createCertificate } from "./certificate.js";
import { generateKeyPair, type KeyKind } from "./keys.js";

export interface Credential {
  certPem: string;
  certDer: Buffer;
  keyPem: string;
  identity: string;
}

/** A self-signed serverAuth certificate for `localhost` and the given IPs. */
export function selfSignedServer(
  opts: { kind?: KeyKind; ips?: readonly string[]; notAfter?: Date } = {},
): Credential {
  const keyPair = generateKeyPair(opts.kind ?? "ecdsa-p256");
  const cert = createCertificate({
    subject: "localhost",
    keyPair,
    dns: ["localhost"],
    ips: opts.ips ?? ["127.0.0.1"],
    extKeyUsage: ["serverAuth"],
    ...(opts.notAfter ? { notAfter: opts.notAfter } : {}),
  });
  return { ...cert, keyPem: keyPair.privateKeyPem, identity: identityOfCertificate(cert.certDer) };
}

/** A self-signed clientAuth certificate (CA unless `isCA` says otherwise: false). */
export function selfSignedClient(
  subject: string,
  opts: { kind?: KeyKind; isCA?: boolean; notAfter?: Date } = {},
): Credential {
  const keyPair = generateKeyPair(opts.kind ?? "ed25519");
  const cert = createCertificate({
    subject,
    keyPair,
    isCA: opts.isCA ?? false,
    extKeyUsage: ["clientAuth"],
    ...(opts.notAfter ? { notAfter: opts.notAfter } : {}),
  });
  return { ...cert, keyPem: keyPair.privateKeyPem, identity: identityOfCertificate(cert.certDer) };
}
