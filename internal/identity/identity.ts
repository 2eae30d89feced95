// Identities: the lowercase hex SHA-256 of a certificate's raw DER SubjectPublicKeyInfo
// (kes-api.md §5.1), and the identity of a TLS peer: its proven leaf certificate, nothing else.
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

export type PeerIdentity =
  | { readonly identity: string }
  | { readonly error: "none" }
  /** A leaf the TLS layer accepted but this module's DER reader does not: never an identity. */
  | { readonly error: "malformed" };

/**
 * The caller's identity from the leaf certificate of the TLS handshake: the only certificate whose
 * private key the handshake proved. Any other certificate the client sent (or that the TLS layer
 * linked as its issuer) never names the caller: a forged CA-flagged leaf "issued by" a victim's
 * public certificate must not become the victim (KES does exactly that, kes-api.md §5.1 steps 2–3;
 * keyfront deliberately differs). A CA-flagged leaf, or no leaf, is "none", which maps to
 * 400 `tls: client certificate is required` (KES compat, kes-api.md §5.1 gotcha).
 */
export function identityOfPeerLeaf(leaf: Uint8Array | undefined): PeerIdentity {
  if (leaf === undefined || leaf.length === 0) return { error: "none" };
  try {
    return isCaCertificate(leaf) ? { error: "none" } : { identity: identityOfCertificate(leaf) };
  } catch {
    return { error: "malformed" };
  }
}
