import { describe, expect, it } from "vitest";
import { generateKeyVersion, InvalidKeySizeError, importKeyVersion } from "./key-version.js";

describe("generateKeyVersion", () => {
  it("draws independent 32-byte keys", () => {
    const a = generateKeyVersion("ChaCha20", "id1", { seconds: 5n, nanos: 6 });
    const b = generateKeyVersion("ChaCha20", "id1");
    expect(a.key).toHaveLength(32);
    expect(a.hmacKey).toHaveLength(32);
    expect(a.key).not.toEqual(a.hmacKey);
    expect(a.key).not.toEqual(b.key);
    expect(a).toMatchObject({
      algorithm: "ChaCha20",
      createdBy: "id1",
      createdAt: { seconds: 5n, nanos: 6 },
    });
  });
});

describe("importKeyVersion", () => {
  it("copies the key and adds a random HMAC key", () => {
    const key = Buffer.alloc(32, 7);
    const kv = importKeyVersion(key, "AES256", "me");
    key.fill(0);
    expect(kv.key).toEqual(Buffer.alloc(32, 7));
    expect(kv.hmacKey).toHaveLength(32);
    expect(kv.algorithm).toBe("AES256");
  });

  it.each([0, 16, 31, 33, 64])("rejects a %d-byte key", (n) => {
    expect(() => importKeyVersion(Buffer.alloc(n), "AES256", "me")).toThrow(InvalidKeySizeError);
  });
});
