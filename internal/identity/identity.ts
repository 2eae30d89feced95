// Identities: the lowercase hex SHA-256 of a certificate's raw DER SubjectPublicKeyInfo
// (kes-api.md §5.1), and the choice of the one client certificate that names the caller.
// Pure: imports only node:crypto and node:buffer. It must never re-encode the SPKI (the hash is
// over the bytes exactly as they appear in the certificate) nor look at anything else in it.

import { createHash } from "node:crypto";
import {
  findExtensionValue,
  readDerChildren,
  readSingleDerElement,
  readTbsFields,
  TAG_BOOLEAN,
  TAG_SEQUENCE,
} from "./der.js";

/** OID 2.5.29.19 (id-ce-basicConstraints), DER content bytes. */
const OID_BASIC_CONSTRAINTS = Buffer.from([0x55, 0x1d, 0x13]);

/** Lowercase hex SHA-256 of DER SubjectPublicKeyInfo bytes: always 64 characters. */
export function identityOfSpki(spkiDer: Uint8Array): string {
  return createHash("sha256").update(spkiDer).digest("hex");
}

/** The raw subjectPublicKeyInfo element (header included) of an X.509 DER certificate. */
export function spkiOfCertificate(certDer: Uint8Array): Buffer {
  return readTbsFields(certDer).subjectPublicKeyInfo.raw;
}

/** The identity of an X.509 DER certificate (kes-api.md §5.1 step 4). */
export function identityOfCertificate(certDer: Uint8Array): string {
  return identityOfSpki(spkiOfCertificate(certDer));
}

/**
 * Whether the certificate's BasicConstraints extension says cA = TRUE (Go's `IsCA`).
 * No extension, or cA absent (DEFAULT FALSE), means not a CA. Throws on malformed DER.
 */
export function isCaCertificate(certDer: Uint8Array): boolean {
  const value = findExtensionValue(readTbsFields(certDer), OID_BASIC_CONSTRAINTS);
  if (value === undefined) return false;
  const seq = readSingleDerElement(value);
  if (seq.tag !== TAG_SEQUENCE)
    throw new Error("malformed DER: BasicConstraints is not a SEQUENCE");
  const first = readDerChildren(seq)[0];
  if (first === undefined || first.tag !== TAG_BOOLEAN) return false;
  if (first.content.length !== 1) throw new Error("malformed DER: bad BOOLEAN in BasicConstraints");
  return first.content[0] !== 0;
}

export type PeerIdentity = { readonly identity: string } | { readonly error: "none" | "many" };

/**
 * Picks the caller's identity from the certificates sent in the TLS handshake (leaf first):
 * CA-flagged certificates are ignored; exactly one must remain (kes-api.md §5.1 steps 2–3).
 * "none" maps to `tls: client certificate is required`, "many" to
 * `tls: received more than one client certificate` — both 400, decided by the caller.
 */
export function identityFromPeerChain(certs: readonly Uint8Array[]): PeerIdentity {
  // KES compat, kes-api.md §5.1: a lone CA-flagged self-signed client cert is ignored too.
  const leaves = certs.filter((c) => !isCaCertificate(c));
  if (leaves.length === 0) return { error: "none" };
  if (leaves.length > 1) return { error: "many" };
  return { identity: identityOfCertificate(leaves[0] as Uint8Array) };
}
