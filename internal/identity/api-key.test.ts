// Unit tests of kes:v1 API keys: the spec's vectors (kes-api.md §5.4), round trips, rejections.

import { createPublicKey, sign, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateKeyPair } from "../pki/keys.js";
import {
  apiKeyOfPrivateKey,
  formatApiKey,
  generateApiKey,
  identityOfApiKey,
  parseApiKey,
  privateKeyOfApiKey,
} from "./api-key.js";

const VECTORS = [
  {
    key: "kes:v1:AD9E7FSYWrMD+VjhI6q545cYT9YOyFxZb7UnjEepYDRc",
    pub: "bce7ef7e567e6487fe084ab3ee223d6ce264c9967625abfecaafa9e5be5b04b1",
    identity: "3ecfcdf38fcbe141ae26a1030f81e96b753365a46760ae6b578698a97c59fd22",
  },
  {
    key: "kes:v1:ACQpoGqx3rHHjT938Hfu5hVVQJHZWSqVI2Xp1KlYxFVw",
    pub: undefined,
    identity: "0426fa9a04bc2756b92fbe8a97e1a1e07b53ecf04ed33da22c33e5c9faeb8cbb",
  },
];

describe("API key vectors", () => {
  it.each(VECTORS)("$key → $identity", ({ key, pub, identity }) => {
    expect(identityOfApiKey(key)).toBe(identity);
    // The bare base64 (no prefix) is accepted too.
    expect(identityOfApiKey(key.slice("kes:v1:".length))).toBe(identity);
    if (pub !== undefined) expect(parseApiKey(key).publicKey.toString("hex")).toBe(pub);
    expect(formatApiKey(parseApiKey(key).seed)).toBe(key);
  });
});

describe("generate → format → parse", () => {
  it("round trips and the key signs for its public key", () => {
    const key = generateApiKey();
    expect(key).toMatch(/^kes:v1:[A-Za-z0-9+/]{44}$/);
    const parsed = parseApiKey(key);
    expect(parsed.seed).toHaveLength(32);
    expect(formatApiKey(parsed.seed)).toBe(key);
    const priv = privateKeyOfApiKey(key);
    const spki = createPublicKey(priv).export({ type: "spki", format: "der" });
    expect(spki.subarray(12).equals(parsed.publicKey)).toBe(true);
    const sig = sign(null, Buffer.from("m"), priv);
    expect(verify(null, Buffer.from("m"), createPublicKey(priv), sig)).toBe(true);
    expect(identityOfApiKey(key)).not.toBe(identityOfApiKey(generateApiKey()));
  });
});

const b64 = (bytes: number[]) => Buffer.from(bytes).toString("base64");
const seed = new Array<number>(32).fill(7);

describe("bad API keys", () => {
  it.each([
    ["wrong prefix", "kes:v2:AD9E7FSYWrMD+VjhI6q545cYT9YOyFxZb7UnjEepYDRc", "invalid base64"],
    ["non-base64", "kes:v1:AD9E7FSYWrMD+VjhI6q545cYT9YOyFxZb7UnjEepYD!c", "invalid base64"],
    ["url-safe alphabet", "kes:v1:AD9E7FSYWrMD-VjhI6q545cYT9YOyFxZb7UnjEepYDRc", "invalid base64"],
    ["unpadded", `kes:v1:${b64([0, ...seed.slice(1)]).replace(/=+$/, "")}`, "invalid base64"],
    ["32 bytes", `kes:v1:${b64([0, ...seed.slice(1)])}`, "invalid API key: invalid length"],
    ["34 bytes", `kes:v1:${b64([0, ...seed, 1])}`, "invalid API key: invalid length"],
    ["empty", "kes:v1:", "invalid API key: invalid length"],
    ["type 0x01", `kes:v1:${b64([1, ...seed])}`, "invalid API key: unsupported type"],
  ])("%s", (_name, text, message) => {
    expect(() => parseApiKey(text)).toThrow(message);
    expect(() => identityOfApiKey(text)).toThrow(message);
  });
});

describe("apiKeyOfPrivateKey", () => {
  it("returns the API key of a PKCS#8 Ed25519 PEM", () => {
    const key = VECTORS[0]?.key as string;
    const pem = privateKeyOfApiKey(key).export({ type: "pkcs8", format: "pem" }).toString();
    expect(apiKeyOfPrivateKey(pem)).toBe(key);
  });
  it.each(["ecdsa-p256", "rsa-2048"] as const)("rejects %s keys", (kind) => {
    expect(() => apiKeyOfPrivateKey(generateKeyPair(kind).privateKeyPem)).toThrow(/unsupported/);
  });
  it("rejects non-PKCS#8 PEM", () => {
    const rsa = generateKeyPair("rsa-2048").privateKey.export({ type: "pkcs1", format: "pem" });
    expect(() => apiKeyOfPrivateKey(rsa.toString())).toThrow(/PRIVATE KEY block/);
  });
});
