// kes:v1 API keys (kes-api.md §5.4): `kes:v1:` + standard padded base64 of 33 bytes, byte 0 the
// key type (0x00 = Ed25519, the only one), bytes 1…32 the Ed25519 seed (RFC 8032).
// Pure: node:crypto and node:buffer only. It must never log, print or embed a seed in an error.

import { createPrivateKey, createPublicKey, type KeyObject, randomBytes } from "node:crypto";
import { isStdBase64 } from "../crypto/std-base64.js";
import { identityOfSpki } from "./identity.js";

const API_KEY_PREFIX = "kes:v1:";
const KEY_TYPE_ED25519 = 0x00;
const SEED_BYTES = 32;
const API_KEY_BYTES = 1 + SEED_BYTES;
/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4), followed by the 32-byte key. */
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
/** DER prefix of an Ed25519 PKCS#8 PrivateKeyInfo (RFC 8410 §7), followed by the 32-byte seed. */
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

export interface ApiKey {
  /** The 32-byte Ed25519 private key seed. */
  readonly seed: Buffer;
  /** The 32-byte Ed25519 public key. */
  readonly publicKey: Buffer;
}

/** Parses `kes:v1:<base64>` (prefix optional). Errors never contain the input. */
export function parseApiKey(text: string): ApiKey {
  const b64 = text.startsWith(API_KEY_PREFIX) ? text.slice(API_KEY_PREFIX.length) : text;
  if (!isStdBase64(b64)) throw new Error("invalid API key: invalid base64 encoding");
  const raw = Buffer.from(b64, "base64");
  if (raw.length !== API_KEY_BYTES) throw new Error("invalid API key: invalid length");
  if (raw[0] !== KEY_TYPE_ED25519) throw new Error("invalid API key: unsupported type");
  const seed = raw.subarray(1);
  return { seed, publicKey: publicKeyOfSeed(seed) };
}

/** Formats an Ed25519 seed as a `kes:v1:` API key. */
export function formatApiKey(seed: Uint8Array): string {
  if (seed.length !== SEED_BYTES) throw new Error("invalid API key: invalid length");
  return API_KEY_PREFIX + Buffer.concat([Buffer.from([KEY_TYPE_ED25519]), seed]).toString("base64");
}

/** A fresh random API key, always with the `kes:v1:` prefix. */
export function generateApiKey(): string {
  return formatApiKey(randomBytes(SEED_BYTES));
}

/** The Ed25519 private key of an Ed25519 seed, via a PKCS#8 DER we assemble. */
function privateKeyOfSeed(seed: Uint8Array): KeyObject {
  const der = Buffer.concat([ED25519_PKCS8_PREFIX, seed]);
  return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
}

function publicKeyOfSeed(seed: Uint8Array): Buffer {
  const spki = createPublicKey(privateKeyOfSeed(seed)).export({ type: "spki", format: "der" });
  return spki.subarray(spki.length - SEED_BYTES);
}

/** The DER SubjectPublicKeyInfo of a raw 32-byte Ed25519 public key. */
export function ed25519Spki(publicKey: Uint8Array): Buffer {
  return Buffer.concat([ED25519_SPKI_PREFIX, publicKey]);
}

/** The identity of an API key: sha256 over its Ed25519 SPKI (kes-api.md §5.4). */
export function identityOfApiKey(text: string): string {
  return identityOfSpki(ed25519Spki(parseApiKey(text).publicKey));
}

/** The Ed25519 private key of an API key. */
export function privateKeyOfApiKey(text: string): KeyObject {
  return privateKeyOfSeed(parseApiKey(text).seed);
}

/**
 * The API key of a PEM PKCS#8 (`PRIVATE KEY`) Ed25519 private key, as `kes identity <file>`
 * prints it (kes-api.md §11.4). Other key types and encodings are rejected.
 */
export function apiKeyOfPrivateKey(pem: string): string {
  if (!/-----BEGIN PRIVATE KEY-----/.test(pem)) {
    throw new Error("not a PEM PKCS#8 private key: expected a PRIVATE KEY block");
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: "pem" });
  } catch {
    throw new Error("invalid PEM PKCS#8 private key");
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new Error(`unsupported private key type '${key.asymmetricKeyType}': only Ed25519`);
  }
  const d = key.export({ format: "jwk" }).d;
  if (d === undefined) throw new Error("invalid Ed25519 private key");
  return formatApiKey(Buffer.from(d, "base64url"));
}
