import { createCipheriv, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hchacha20 } from "./hchacha20.js";

const seq = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => i));

// Independent reference: a ChaCha20 block is rounds(S) + S, and HChaCha20 is rounds(S) words
// 0–3 and 12–15; OpenSSL's 16-byte chacha20 IV fills state words 12–15 exactly like the input.
function referenceHChaCha20(key: Buffer, input: Buffer): Buffer {
  const block = createCipheriv("chacha20", key, input).update(Buffer.alloc(64));
  const state = Buffer.concat([Buffer.from("expand 32-byte k", "latin1"), key, input]);
  const out = Buffer.alloc(32);
  for (let i = 0; i < 4; i++) {
    out.writeUInt32LE((block.readUInt32LE(4 * i) - state.readUInt32LE(4 * i)) >>> 0, 4 * i);
    const j = 48 + 4 * i;
    out.writeUInt32LE((block.readUInt32LE(j) - state.readUInt32LE(j)) >>> 0, 16 + 4 * i);
  }
  return out;
}

describe("hchacha20", () => {
  it("matches the draft-irtf-cfrg-xchacha §2.2.1 vector", () => {
    const input = Buffer.from("000000090000004a0000000031415927", "hex");
    expect(hchacha20(seq(32), input).toString("hex")).toBe(
      "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc",
    );
  });

  it("matches the ChaCha20 block function for random inputs", () => {
    for (let i = 0; i < 200; i++) {
      const key = randomBytes(32);
      const input = randomBytes(16);
      expect(hchacha20(key, input)).toEqual(referenceHChaCha20(key, input));
    }
  });

  it("accepts views into larger buffers", () => {
    const big = Buffer.concat([Buffer.alloc(3), seq(32), Buffer.alloc(5)]);
    const input = Buffer.from("000000090000004a0000000031415927", "hex");
    expect(hchacha20(big.subarray(3, 35), input)).toEqual(hchacha20(seq(32), input));
  });

  it.each([
    [31, 16],
    [33, 16],
    [32, 15],
    [32, 24],
  ])("rejects key %d / input %d bytes", (k, n) => {
    expect(() => hchacha20(Buffer.alloc(k), Buffer.alloc(n))).toThrow(RangeError);
  });
});
