// Key pairs: generation for the three kinds keyfront issues certificates for, and loading of
// PEM private keys in every form `tls.key` accepts (kes-api.md §1.1): PKCS#8 `PRIVATE KEY`,
// `RSA/EC PRIVATE KEY`, RFC 1423 legacy-encrypted forms of those, and PKCS#8
// `ENCRYPTED PRIVATE KEY`. It must never log or echo key bytes or passwords.

import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
import { type PemBlock, parsePemBlocks } from "./pem.js";
import {
  decryptLegacyBlock,
  isLegacyEncryptedBlock,
  WRONG_PASSWORD_MESSAGE,
} from "./pem-encrypt.js";

export type KeyKind = "ed25519" | "ecdsa-p256" | "rsa-2048";

export interface KeyPair {
  readonly kind: KeyKind;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Unencrypted PKCS#8 `PRIVATE KEY` PEM. */
  readonly privateKeyPem: string;
}

export const PASSWORD_REQUIRED_MESSAGE = "private key is encrypted: a password is required";
const RSA_BITS = 2048;

function generateRaw(kind: KeyKind): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (kind) {
    case "ed25519":
      return generateKeyPairSync("ed25519");
    case "ecdsa-p256":
      return generateKeyPairSync("ec", { namedCurve: "P-256" });
    case "rsa-2048":
      return generateKeyPairSync("rsa", { modulusLength: RSA_BITS });
  }
}

/** A fresh key pair of the given kind. */
export function generateKeyPair(kind: KeyKind): KeyPair {
  return keyPairOf(generateRaw(kind).privateKey, kind);
}

/** Wraps a private KeyObject as a KeyPair; its kind is derived if not given. */
export function keyPairOf(privateKey: KeyObject, kind?: KeyKind): KeyPair {
  const resolved = kind ?? kindOfKey(privateKey);
  const privateKeyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  return { kind: resolved, privateKey, publicKey: createPublicKey(privateKey), privateKeyPem };
}

/** The KeyKind of a key, or an error for keys keyfront cannot issue certificates with. */
export function kindOfKey(key: KeyObject): KeyKind {
  const type = key.asymmetricKeyType;
  if (type === "ed25519") return "ed25519";
  if (type === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") return "ecdsa-p256";
  if (type === "rsa") return "rsa-2048";
  throw new Error(`unsupported key type '${type}'`);
}

const LEGACY_DER_TYPES: Record<string, "pkcs8" | "pkcs1" | "sec1"> = {
  "PRIVATE KEY": "pkcs8",
  "RSA PRIVATE KEY": "pkcs1",
  "EC PRIVATE KEY": "sec1",
};

function loadLegacyEncrypted(block: PemBlock, password: string): KeyObject {
  const type = LEGACY_DER_TYPES[block.type];
  if (type === undefined) throw new Error(`unsupported private key block '${block.type}'`);
  const der = decryptLegacyBlock(block, password);
  try {
    return createPrivateKey({ key: der, format: "der", type });
  } catch {
    // Valid padding by chance, garbage inside: still a wrong password.
    throw new Error(WRONG_PASSWORD_MESSAGE);
  }
}

function loadPkcs8Encrypted(der: Buffer, password: string): KeyObject {
  try {
    return createPrivateKey({ key: der, format: "der", type: "pkcs8", passphrase: password });
  } catch {
    throw new Error(WRONG_PASSWORD_MESSAGE);
  }
}

/**
 * Loads the first `PRIVATE KEY` / `* PRIVATE KEY` block of `pem` (kes-api.md §1.1). Encrypted
 * keys need `password`; an empty password counts as none.
 */
export function loadPrivateKeyPem(pem: string, password?: string): KeyObject {
  const block = parsePemBlocks(pem).find(
    (b) => b.type === "PRIVATE KEY" || b.type.endsWith(" PRIVATE KEY"),
  );
  if (block === undefined) throw new Error("no PEM private key block found");
  const encrypted = block.type === "ENCRYPTED PRIVATE KEY" || isLegacyEncryptedBlock(block);
  if (encrypted && (password === undefined || password === "")) {
    throw new Error(PASSWORD_REQUIRED_MESSAGE);
  }
  if (block.type === "ENCRYPTED PRIVATE KEY")
    return loadPkcs8Encrypted(block.der, password as string);
  if (encrypted) return loadLegacyEncrypted(block, password as string);
  const type = LEGACY_DER_TYPES[block.type];
  if (type === undefined) throw new Error(`unsupported private key block '${block.type}'`);
  try {
    return createPrivateKey({ key: block.der, format: "der", type });
  } catch {
    throw new Error(`invalid private key in PEM ${block.type} block`);
  }
}

/** Decrypts an encrypted PEM key (any form above) and returns it as unencrypted PKCS#8 PEM. */
export function decryptPrivateKeyPem(pem: string, password: string): string {
  return loadPrivateKeyPem(pem, password).export({ type: "pkcs8", format: "pem" }).toString();
}
