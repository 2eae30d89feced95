// X.509 v3 certificates (RFC 5280) built with node:crypto and a small DER encoder: CA, server
// and client certificates for `identity new`, dev mode and tests, and the in-memory client
// certificate the SDK mints for an API key (kes-api.md §5.4). Ed25519 (RFC 8410), ECDSA P-256
// and RSA keys. It must never write files or print keys; callers decide where PEM text goes.

import { createHash, type KeyObject, randomBytes, sign } from "node:crypto";
import { identityOfApiKey, privateKeyOfApiKey } from "../identity/api-key.js";
import { readDerChildren, readSingleDerElement, readTbsFields } from "../identity/der.js";
import {
  derBitString,
  derBoolean,
  derContext,
  derNull,
  derOctetString,
  derOid,
  derSequence,
  derSet,
  derSmallInteger,
  derTime,
  derUnsignedInteger,
  derUtf8String,
} from "./der-encode.js";
import { bytesOfIpAddress } from "./ip-address.js";
import { type KeyPair, keyPairOf } from "./keys.js";
import { certificatePemBlocks, formatPemBlock } from "./pem.js";

export type ExtKeyUsage = "serverAuth" | "clientAuth";

export interface CertificateOptions {
  /** The subject common name. */
  readonly subject: string;
  readonly keyPair: Pick<KeyPair, "publicKey" | "privateKey">;
  /** Signing CA; the certificate is self-signed if absent. */
  readonly issuer?: { readonly certPem: string; readonly keyPair: Pick<KeyPair, "privateKey"> };
  readonly isCA?: boolean;
  readonly dns?: readonly string[];
  readonly ips?: readonly string[];
  /** Default: now. */
  readonly notBefore?: Date;
  /** Default: notBefore + 720h (KES `identity new --expiry` default, kes-api.md §11.4). */
  readonly notAfter?: Date;
  /** Default: none for CAs, serverAuth + clientAuth for leaves. */
  readonly extKeyUsage?: readonly ExtKeyUsage[];
}

export interface Certificate {
  readonly certPem: string;
  readonly certDer: Buffer;
}

const DEFAULT_VALIDITY_MS = 720 * 3_600_000;
const API_KEY_CERT_VALIDITY_MS = 90 * 24 * 3_600_000;
const SERIAL_BYTES = 16;

const EKU_OIDS: Record<ExtKeyUsage, string> = {
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
};

/** Signature AlgorithmIdentifier and the node:crypto digest for a signing key. */
function signatureAlgorithm(key: KeyObject): { algId: Buffer; digest: string | null } {
  switch (key.asymmetricKeyType) {
    case "ed25519":
      return { algId: derSequence(derOid("1.3.101.112")), digest: null };
    case "ec":
      return { algId: derSequence(derOid("1.2.840.10045.4.3.2")), digest: "sha256" };
    case "rsa":
      return { algId: derSequence(derOid("1.2.840.113549.1.1.11"), derNull()), digest: "sha256" };
    default:
      throw new Error(`unsupported signing key type '${key.asymmetricKeyType}'`);
  }
}

function nameOf(commonName: string): Buffer {
  return derSequence(derSet(derSequence(derOid("2.5.4.3"), derUtf8String(commonName))));
}

/** A random positive 128-bit serial number. */
function randomSerial(): Buffer {
  const bytes = randomBytes(SERIAL_BYTES);
  if (bytes.every((b) => b === 0)) bytes[SERIAL_BYTES - 1] = 1;
  return derUnsignedInteger(bytes);
}

/** SubjectKeyIdentifier method 1 (RFC 5280 §4.2.1.2): SHA-1 of the subjectPublicKey bits. */
function keyIdentifierOf(spkiDer: Buffer): Buffer {
  const bits = readDerChildren(readSingleDerElement(spkiDer))[1];
  if (bits === undefined) throw new Error("malformed SubjectPublicKeyInfo");
  return createHash("sha1").update(bits.content.subarray(1)).digest();
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return critical
    ? derSequence(derOid(oid), derBoolean(true), derOctetString(value))
    : derSequence(derOid(oid), derOctetString(value));
}

/** KeyUsage bits: digitalSignature (0); CAs add keyCertSign (5) and cRLSign (6). */
function keyUsage(isCA: boolean): Buffer {
  return isCA ? derBitString(Buffer.from([0x86]), 1) : derBitString(Buffer.from([0x80]), 7);
}

function subjectAltName(dns: readonly string[], ips: readonly string[]): Buffer | undefined {
  if (dns.length === 0 && ips.length === 0) return undefined;
  for (const d of dns) {
    if (!/^[\x21-\x7e]+$/.test(d)) throw new Error(`invalid DNS name '${d}': printable ASCII only`);
  }
  const names = [
    ...dns.map((d) => derContext(2, Buffer.from(d, "ascii"), false)),
    ...ips.map((ip) => derContext(7, bytesOfIpAddress(ip), false)),
  ];
  return derSequence(...names);
}

function buildExtensions(opts: CertificateOptions, ski: Buffer, aki: Buffer | undefined): Buffer {
  const isCA = opts.isCA ?? false;
  const eku = opts.extKeyUsage ?? (isCA ? [] : (["serverAuth", "clientAuth"] as const));
  const exts: Buffer[] = [extension("2.5.29.15", true, keyUsage(isCA))];
  if (eku.length > 0) {
    exts.push(extension("2.5.29.37", false, derSequence(...eku.map((u) => derOid(EKU_OIDS[u])))));
  }
  // BasicConstraints always present; cA omitted (DEFAULT FALSE) for leaves.
  exts.push(extension("2.5.29.19", true, isCA ? derSequence(derBoolean(true)) : derSequence()));
  exts.push(extension("2.5.29.14", false, derOctetString(ski)));
  if (aki !== undefined) {
    exts.push(extension("2.5.29.35", false, derSequence(derContext(0, aki, false))));
  }
  const san = subjectAltName(opts.dns ?? [], opts.ips ?? []);
  if (san !== undefined) exts.push(extension("2.5.29.17", false, san));
  return derContext(3, derSequence(...exts), true);
}

/** The issuer's subject Name (raw) and its key identifier, from its certificate. */
function issuerInfo(certPem: string): { name: Buffer; keyId: Buffer } {
  const der = certificatePemBlocks(certPem)[0] as Buffer;
  const fields = readTbsFields(der);
  return { name: fields.subject.raw, keyId: keyIdentifierOf(fields.subjectPublicKeyInfo.raw) };
}

/** Creates and signs a certificate. */
export function createCertificate(opts: CertificateOptions): Certificate {
  const spki = opts.keyPair.publicKey.export({ type: "spki", format: "der" });
  const ski = keyIdentifierOf(spki);
  const issuer = opts.issuer === undefined ? undefined : issuerInfo(opts.issuer.certPem);
  const signer = opts.issuer?.keyPair.privateKey ?? opts.keyPair.privateKey;
  const { algId, digest } = signatureAlgorithm(signer);
  const notBefore = opts.notBefore ?? new Date();
  const notAfter = opts.notAfter ?? new Date(notBefore.getTime() + DEFAULT_VALIDITY_MS);
  if (notAfter.getTime() <= notBefore.getTime())
    throw new Error("notAfter must be after notBefore");
  const tbs = derSequence(
    derContext(0, derSmallInteger(2), true), // v3
    randomSerial(),
    algId,
    issuer?.name ?? nameOf(opts.subject),
    derSequence(derTime(notBefore), derTime(notAfter)),
    nameOf(opts.subject),
    spki,
    buildExtensions(opts, ski, issuer?.keyId),
  );
  const signature = sign(digest, tbs, signer);
  const certDer = derSequence(tbs, algId, derBitString(signature));
  return { certDer, certPem: formatPemBlock("CERTIFICATE", certDer) };
}

/**
 * The self-signed client certificate an SDK mints in memory for an API key (kes-api.md §5.4):
 * CN = identity, now … now + 90 days, DigitalSignature, ClientAuth, CA = false, no SANs.
 */
export function certificateForApiKey(apiKey: string): Certificate & { keyPem: string } {
  const keyPair = keyPairOf(privateKeyOfApiKey(apiKey), "ed25519");
  const now = new Date();
  const cert = createCertificate({
    subject: identityOfApiKey(apiKey),
    keyPair,
    notBefore: now,
    notAfter: new Date(now.getTime() + API_KEY_CERT_VALIDITY_MS),
    extKeyUsage: ["clientAuth"],
  });
  return { ...cert, keyPem: keyPair.privateKeyPem };
}
