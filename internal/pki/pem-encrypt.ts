// Legacy RFC 1423 PEM encryption ("Proc-Type: 4,ENCRYPTED" + "DEK-Info: <cipher>,<IV hex>"),
// as `kes identity new --encrypt` writes keys and `tls.password` reads them (kes-api.md §1.1,
// §11.4). The key is OpenSSL's EVP_BytesToKey with MD5, one iteration, salt = first 8 IV bytes.
// This format is weak (MD5, one round) and exists only for compatibility; it must never be the
// only protection offered, and no error may reveal the password or the decrypted bytes.

import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { formatPemBlock, type PemBlock, parsePemBlocks } from "./pem.js";

interface LegacyCipher {
  readonly name: string;
  readonly keyBytes: number;
  readonly ivBytes: number;
}

/** The ciphers Go's x509.DecryptPEMBlock knows that OpenSSL 3's default provider still offers. */
const LEGACY_CIPHERS: Record<string, LegacyCipher> = {
  "AES-256-CBC": { name: "aes-256-cbc", keyBytes: 32, ivBytes: 16 },
  "AES-192-CBC": { name: "aes-192-cbc", keyBytes: 24, ivBytes: 16 },
  "AES-128-CBC": { name: "aes-128-cbc", keyBytes: 16, ivBytes: 16 },
  "DES-EDE3-CBC": { name: "des-ede3-cbc", keyBytes: 24, ivBytes: 8 },
};

const SALT_BYTES = 8;
export const WRONG_PASSWORD_MESSAGE = "failed to decrypt private key: wrong password?";

/** OpenSSL EVP_BytesToKey(MD5, count = 1): D_i = MD5(D_{i-1} ‖ password ‖ salt). */
function deriveLegacyKey(password: string, salt: Buffer, keyBytes: number): Buffer {
  const pw = Buffer.from(password, "utf8");
  const parts: Buffer[] = [];
  let prev = Buffer.alloc(0);
  let total = 0;
  while (total < keyBytes) {
    prev = createHash("md5")
      .update(Buffer.concat([prev, pw, salt]))
      .digest();
    parts.push(prev);
    total += prev.length;
  }
  return Buffer.concat(parts).subarray(0, keyBytes);
}

/** Whether a PEM block carries RFC 1423 encryption headers. */
export function isLegacyEncryptedBlock(block: PemBlock): boolean {
  return block.headers.get("Proc-Type") === "4,ENCRYPTED";
}

/**
 * Encrypts the first unencrypted `* PRIVATE KEY` block of `pem` with AES-256-CBC, keeping its
 * type (so a PKCS#8 `PRIVATE KEY` stays one).
 */
export function encryptPrivateKeyPem(pem: string, password: string): string {
  const block = parsePemBlocks(pem).find((b) => b.type.endsWith("PRIVATE KEY"));
  if (
    block === undefined ||
    block.type === "ENCRYPTED PRIVATE KEY" ||
    isLegacyEncryptedBlock(block)
  ) {
    throw new Error("no unencrypted PEM private key block found");
  }
  const spec = LEGACY_CIPHERS["AES-256-CBC"] as LegacyCipher;
  const iv = randomBytes(spec.ivBytes);
  const key = deriveLegacyKey(password, iv.subarray(0, SALT_BYTES), spec.keyBytes);
  const cipher = createCipheriv(spec.name, key, iv);
  const sealed = Buffer.concat([cipher.update(block.der), cipher.final()]);
  return formatPemBlock(block.type, sealed, [
    ["Proc-Type", "4,ENCRYPTED"],
    ["DEK-Info", `AES-256-CBC,${iv.toString("hex").toUpperCase()}`],
  ]);
}

/**
 * Decrypts the body of an RFC 1423 encrypted block and returns the plain DER. A wrong password
 * is detected by bad padding here (and, in the rare case padding happens to be valid, by the
 * caller failing to parse the result).
 */
export function decryptLegacyBlock(block: PemBlock, password: string): Buffer {
  const [name = "", ivHex = ""] = (block.headers.get("DEK-Info") ?? "").split(",");
  const spec = LEGACY_CIPHERS[name.trim().toUpperCase()];
  if (spec === undefined) throw new Error(`unsupported PEM encryption '${name}'`);
  const iv = Buffer.from(ivHex.trim(), "hex");
  if (iv.length !== spec.ivBytes || ivHex.trim().length !== spec.ivBytes * 2) {
    throw new Error("invalid PEM DEK-Info IV");
  }
  if (block.der.length === 0 || block.der.length % iv.length !== 0) {
    throw new Error("invalid PEM encrypted key: bad length");
  }
  const key = deriveLegacyKey(password, iv.subarray(0, SALT_BYTES), spec.keyBytes);
  try {
    const decipher = createDecipheriv(spec.name, key, iv);
    return Buffer.concat([decipher.update(block.der), decipher.final()]);
  } catch {
    throw new Error(WRONG_PASSWORD_MESSAGE);
  }
}
