import { describe, expect, it } from "vitest";
import { parseAlgorithm } from "./algorithm.js";

describe("parseAlgorithm", () => {
  it.each([
    ["AES256", "AES256"],
    ["AES256-GCM_SHA256", "AES256"],
    ["ChaCha20", "ChaCha20"],
    ["XCHACHA20-POLY1305", "ChaCha20"],
    ["aes256", undefined],
    ["CHACHA20", undefined],
    ["AES-256-GCM-HMAC-SHA-256", undefined],
    ["ChaCha20Poly1305", undefined],
    ["", undefined],
    [" AES256", undefined],
    ["toString", undefined],
  ])("%j → %j", (name, want) => {
    expect(parseAlgorithm(name)).toBe(want);
  });
});
