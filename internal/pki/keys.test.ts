// Unit tests of key generation, PEM key loading and legacy RFC 1423 PEM encryption
// (kes-api.md §1.1 tls.key/tls.password, §11.4 `identity new --encrypt`).

import { createPrivateKey, type KeyObject } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  decryptPrivateKeyPem,
  generateKeyPair,
  type KeyKind,
  keyPairOf,
  loadPrivateKeyPem,
} from "./keys.js";
import { parsePemBlocks } from "./pem.js";
import { encryptPrivateKeyPem } from "./pem-encrypt.js";

const KINDS: KeyKind[] = ["ed25519", "ecdsa-p256", "rsa-2048"];
const pairs = Object.fromEntries(KINDS.map((k) => [k, generateKeyPair(k)]));
const pair = (k: KeyKind) => pairs[k] as ReturnType<typeof generateKeyPair>;
const PASSWORD = "correct horse battery staple";

function sameKey(a: KeyObject, b: KeyObject): boolean {
  const der = (k: KeyObject) => k.export({ type: "pkcs8", format: "der" });
  return der(a).equals(der(b));
}

describe("generateKeyPair", () => {
  it.each(KINDS)("%s", (kind) => {
    const kp = pair(kind);
    expect(kp.kind).toBe(kind);
    expect(kp.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(sameKey(loadPrivateKeyPem(kp.privateKeyPem), kp.privateKey)).toBe(true);
    expect(keyPairOf(kp.privateKey).kind).toBe(kind);
  });
});

describe("legacy PEM encryption", () => {
  it.each(KINDS)("%s: encrypt → decrypt round trip", (kind) => {
    const enc = encryptPrivateKeyPem(pair(kind).privateKeyPem, PASSWORD);
    const [block] = parsePemBlocks(enc);
    expect(block?.type).toBe("PRIVATE KEY");
    expect(block?.headers.get("Proc-Type")).toBe("4,ENCRYPTED");
    expect(block?.headers.get("DEK-Info")).toMatch(/^AES-256-CBC,[0-9A-F]{32}$/);
    expect(enc).not.toContain(pair(kind).privateKeyPem.split("\n")[1]);
    expect(sameKey(loadPrivateKeyPem(enc, PASSWORD), pair(kind).privateKey)).toBe(true);
    expect(decryptPrivateKeyPem(enc, PASSWORD)).toBe(pair(kind).privateKeyPem);
    // Independent check of the KDF and cipher: OpenSSL (via Node) decrypts our output too.
    expect(
      sameKey(createPrivateKey({ key: enc, passphrase: PASSWORD }), pair(kind).privateKey),
    ).toBe(true);
  });

  it.each(KINDS)("%s: wrong or missing password", (kind) => {
    const enc = encryptPrivateKeyPem(pair(kind).privateKeyPem, PASSWORD);
    expect(() => loadPrivateKeyPem(enc, "wrong")).toThrow(
      "failed to decrypt private key: wrong password?",
    );
    expect(() => loadPrivateKeyPem(enc)).toThrow(
      "private key is encrypted: a password is required",
    );
    expect(() => loadPrivateKeyPem(enc, "")).toThrow("a password is required");
  });

  it("each encryption uses a fresh IV", () => {
    const pem = pair("ed25519").privateKeyPem;
    expect(encryptPrivateKeyPem(pem, PASSWORD)).not.toBe(encryptPrivateKeyPem(pem, PASSWORD));
  });

  it("refuses to encrypt an already encrypted key", () => {
    const enc = encryptPrivateKeyPem(pair("ed25519").privateKeyPem, PASSWORD);
    expect(() => encryptPrivateKeyPem(enc, PASSWORD)).toThrow(/no unencrypted/);
  });

  // Keys encrypted by OpenSSL (through Node's export) in the traditional formats.
  it.each([
    ["rsa-2048", "pkcs1", "aes-256-cbc", /RSA PRIVATE KEY/],
    ["rsa-2048", "pkcs1", "aes-128-cbc", /RSA PRIVATE KEY/],
    ["rsa-2048", "pkcs1", "des-ede3-cbc", /RSA PRIVATE KEY/],
    ["ecdsa-p256", "sec1", "aes-256-cbc", /EC PRIVATE KEY/],
    ["ecdsa-p256", "sec1", "aes-192-cbc", /EC PRIVATE KEY/],
  ] as const)("%s %s %s encrypted by OpenSSL", (kind, type, cipher, label) => {
    const enc = pair(kind).privateKey.export({ type, format: "pem", cipher, passphrase: PASSWORD });
    expect(enc.toString()).toMatch(label);
    expect(enc.toString()).toContain("Proc-Type: 4,ENCRYPTED");
    expect(sameKey(loadPrivateKeyPem(enc.toString(), PASSWORD), pair(kind).privateKey)).toBe(true);
    expect(() => loadPrivateKeyPem(enc.toString(), "nope")).toThrow("wrong password?");
  });
});

describe("PKCS#8 ENCRYPTED PRIVATE KEY", () => {
  it.each(KINDS)("%s", (kind) => {
    const enc = pair(kind)
      .privateKey.export({
        type: "pkcs8",
        format: "pem",
        cipher: "aes-256-cbc",
        passphrase: PASSWORD,
      })
      .toString();
    expect(enc).toMatch(/BEGIN ENCRYPTED PRIVATE KEY/);
    expect(sameKey(loadPrivateKeyPem(enc, PASSWORD), pair(kind).privateKey)).toBe(true);
    expect(() => loadPrivateKeyPem(enc, "nope")).toThrow(
      "failed to decrypt private key: wrong password?",
    );
    expect(() => loadPrivateKeyPem(enc)).toThrow(
      "private key is encrypted: a password is required",
    );
  });
});

describe("loadPrivateKeyPem block selection", () => {
  it("first key block wins; other blocks are skipped", () => {
    const a = pair("ed25519");
    const b = pair("ecdsa-p256");
    const cert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    expect(sameKey(loadPrivateKeyPem(cert + a.privateKeyPem + b.privateKeyPem), a.privateKey)).toBe(
      true,
    );
    expect(sameKey(loadPrivateKeyPem(b.privateKeyPem + a.privateKeyPem), b.privateKey)).toBe(true);
  });

  it.each([
    ["pkcs1", "rsa-2048", "RSA PRIVATE KEY"],
    ["sec1", "ecdsa-p256", "EC PRIVATE KEY"],
  ] as const)("unencrypted %s (%s)", (type, kind, label) => {
    const pem = pair(kind).privateKey.export({ type, format: "pem" }).toString();
    expect(pem).toContain(label);
    expect(sameKey(loadPrivateKeyPem(pem), pair(kind).privateKey)).toBe(true);
  });

  it.each([
    [
      "no key block",
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
      /no PEM private key/,
    ],
    ["empty text", "", /no PEM private key/],
    [
      "garbage DER",
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
      /invalid private key/,
    ],
    [
      "unknown key label",
      "-----BEGIN DSA PRIVATE KEY-----\nAAAA\n-----END DSA PRIVATE KEY-----\n",
      /unsupported/,
    ],
    [
      "bad base64",
      "-----BEGIN PRIVATE KEY-----\nA*AA\n-----END PRIVATE KEY-----\n",
      /invalid base64/,
    ],
  ])("%s → error", (_name, pem, message) => {
    expect(() => loadPrivateKeyPem(pem)).toThrow(message);
  });
});
