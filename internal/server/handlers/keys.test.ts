// The hot path's answers (keys.ts dekJson, plaintextJson, sealedJson) are written without JSON.stringify: they
// must be byte for byte what JSON.stringify writes for the same fields, for any bytes and any
// version a key can have, or a client parsing them strictly would see a change.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dekJson, plaintextJson, sealedJson } from "./keys.js";

const bytes = fc.uint8Array({ maxLength: 96 }).map((a) => Buffer.from(a));
const version = fc.integer({ min: 1, max: 0xffff_ffff });

describe("generate and decrypt answers", () => {
  it("are what JSON.stringify writes for {plaintext, ciphertext, version}", () => {
    fc.assert(
      fc.property(bytes, bytes, version, (plaintext, ciphertext, v) => {
        const want = `${JSON.stringify({
          plaintext: plaintext.toString("base64"),
          ciphertext: ciphertext.toString("base64"),
          version: String(v),
        })}\n`;
        expect(dekJson(plaintext, ciphertext, v)).toBe(want);
      }),
      { numRuns: 5_000 },
    );
  });

  it("are what JSON.stringify writes for {plaintext}", () => {
    fc.assert(
      fc.property(bytes, (plaintext) => {
        const want = `${JSON.stringify({ plaintext: plaintext.toString("base64") })}\n`;
        expect(plaintextJson(plaintext)).toBe(want);
      }),
      { numRuns: 5_000 },
    );
  });

  it("are what JSON.stringify writes for encrypt's {ciphertext, version}", () => {
    fc.assert(
      fc.property(bytes, version, (ciphertext, v) => {
        const want = `${JSON.stringify({ ciphertext: ciphertext.toString("base64"), version: String(v) })}\n`;
        expect(sealedJson(ciphertext, v)).toBe(want);
      }),
      { numRuns: 5_000 },
    );
  });

  it("parse back to the bytes and version they were given", () => {
    const p = Buffer.from([0xfb, 0xff, 0x00, 0x3e]); // base64 with '+' and '/'
    const c = Buffer.alloc(0);
    expect(JSON.parse(dekJson(p, c, 4_294_967_295))).toEqual({
      plaintext: "+/8APg==",
      ciphertext: "",
      version: "4294967295",
    });
  });
});
