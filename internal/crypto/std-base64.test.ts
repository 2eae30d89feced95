// Tests of strict standard base64 (std-base64.ts): its one-class check against RFC 4648's padded
// grammar written out, on strings made to sit near every boundary (length, padding, alphabet),
// and decoding as Go's StdEncoding does (CR/LF skipped, nothing else; non-zero pad bits allowed).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeStdBase64, isStdBase64 } from "./std-base64.js";

// Whole 4-character groups; the last may end in "xx==" or "xxx=".
const GRAMMAR = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

// Mostly alphabet, some '=', and characters Node's decoder would skip or read as URL base64.
const CHAR = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(..."AZaz09+/Qw") },
  { weight: 3, arbitrary: fc.constant("=") },
  {
    weight: 1,
    arbitrary: fc.constantFrom("-", "_", " ", "\n", "\r", ".", "é", "\u0000", "A\u0300"),
  },
);

describe("strict standard base64", () => {
  it("accepts exactly the strings of the padded grammar", () => {
    fc.assert(
      fc.property(fc.array(CHAR, { maxLength: 14 }), (chars) => {
        const s = chars.join("");
        expect(isStdBase64(s)).toBe(GRAMMAR.test(s));
      }),
      { numRuns: 20_000 },
    );
  });

  it("accepts whatever Node's encoder writes, and decodes it back", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), (bytes) => {
        const s = Buffer.from(bytes).toString("base64");
        expect(isStdBase64(s)).toBe(true);
        expect(decodeStdBase64(s)?.equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it("refuses each malformed shape, and skips CR and LF only", () => {
    for (const bad of [
      "A",
      "AB=",
      "A===",
      "====",
      "AB=C",
      "QQ==QQ==",
      "QQ-_",
      "QQ ==",
      "QQ=\u0000",
    ]) {
      expect(isStdBase64(bad), bad).toBe(false);
      expect(decodeStdBase64(bad), bad).toBeUndefined();
    }
    expect(decodeStdBase64("")?.length).toBe(0);
    expect(decodeStdBase64("aGVs\r\nbG8=")?.toString()).toBe("hello");
    expect(decodeStdBase64("aGVs\tbG8=")).toBeUndefined();
    // Non-zero bits in the last group's padding decode, as Go's StdEncoding (not Strict) allows.
    expect(decodeStdBase64("QR==")?.toString("hex")).toBe("41");
  });
});
