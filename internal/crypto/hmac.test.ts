import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hmacOf, NoHmacKeyError } from "./hmac.js";
import type { KeyVersion } from "./key-version.js";
import { ZERO_TIMESTAMP } from "./timestamp.js";

const seq = (n: number, from = 0) => Buffer.from(Array.from({ length: n }, (_, i) => from + i));
const kv = (hmacKey: Buffer | undefined): KeyVersion => ({
  key: seq(32, 100),
  algorithm: "AES256",
  hmacKey,
  createdAt: ZERO_TIMESTAMP,
  createdBy: "",
});

describe("hmacOf", () => {
  it("matches the kes-api.md §7.2 vector", () => {
    expect(hmacOf(kv(seq(32)), Buffer.from("hello")).toString("hex")).toBe(
      "53c40272a70c15ca4ee0af4df1f155fd6c41e00ce2307d8987ecd4bb36a7e990",
    );
  });

  it("uses the HMAC key, not the secret key", () => {
    const k = kv(seq(32));
    const withSecretKey = createHmac("sha256", k.key).update("hello").digest();
    expect(hmacOf(k, Buffer.from("hello"))).not.toEqual(withSecretKey);
  });

  it("throws NoHmacKeyError for legacy keys", () => {
    expect(() => hmacOf(kv(undefined), Buffer.from("hello"))).toThrow(NoHmacKeyError);
  });
});
