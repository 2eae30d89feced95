// decodeJsonBody: Go encoding/json semantics kept (case-insensitive names, null = empty, CR/LF in
// base64) on top of the flat-object parser, with duplicates detected after case folding.
import { describe, expect, it } from "vitest";
import { BodyDecodeError, decodeJsonBody } from "./body.js";

const SCHEMA = { plaintext: "bytes", context: "bytes", version: "string" } as const;
const decode = (text: string) => decodeJsonBody(Buffer.from(text), SCHEMA);

describe("decodeJsonBody", () => {
  it("keeps Go's case-insensitive names, null as empty and CR/LF inside base64", () => {
    const d = decode('{"PlainText":"aGVs\\r\\nbG8=","CONTEXT":null,"Version":"v1"}');
    expect(d.plaintext?.toString()).toBe("hello");
    expect(d.context).toBeUndefined();
    expect(d.version).toBe("v1");
    expect(decode("null")).toEqual({});
  });

  it.each([
    ['{"context":"YQ==","context":"YQ=="}', "duplicate field 'context'"],
    ['{"context":"YQ==","Context":"YQ=="}', "duplicate field 'context'"],
    ['{"plaintext":null,"PLAINTEXT":"YQ=="}', "duplicate field 'plaintext'"],
    ['{"contxt":"YQ=="}', "unknown field 'contxt'"],
    ['{"plaintext":5}', "field 'plaintext' must be a base64 string"],
    ['{"version":true}', "field 'version' must be a string"],
    ['{"plaintext":"YQ"}', "field 'plaintext' is not valid base64"],
    ['{"context":["YQ=="]}', "field 'context' holds a nested array; only strings are accepted"],
    ["", "request body is empty"],
  ])("%s → %s", (text, detail) => {
    expect(() => decode(text)).toThrow(new BodyDecodeError(detail));
  });

  it("cuts a long unknown name to 64 characters, never inside a surrogate pair", () => {
    const name = "😀".repeat(100);
    expect(() => decode(JSON.stringify({ [name]: 1 }))).toThrow(
      new BodyDecodeError(`unknown field '${"😀".repeat(64)}'`),
    );
  });
});

describe("uint fields (keyfront's key versions)", () => {
  const schema = { min_decryption_version: "uint", rotate: "string" } as const;
  const d = (text: string) => decodeJsonBody(Buffer.from(text), schema);
  it("takes whole numbers from 0 to 2^32-1 and null", () => {
    expect(d('{"min_decryption_version":3}').min_decryption_version).toBe(3);
    expect(d('{"min_decryption_version":4294967295}').min_decryption_version).toBe(4294967295);
    expect(d('{"min_decryption_version":null}').min_decryption_version).toBeUndefined();
  });
  it.each([
    '{"min_decryption_version":"3"}',
    '{"min_decryption_version":-1}',
    '{"min_decryption_version":1.5}',
    '{"min_decryption_version":4294967296}',
    '{"min_decryption_version":true}',
  ])("%s is refused", (text) => {
    expect(() => d(text)).toThrow(
      new BodyDecodeError(
        "field 'min_decryption_version' must be a whole number from 0 to 4294967295",
      ),
    );
  });
});
