import { describe, expect, it } from "vitest";
import { decodeKeyVersion, encodeKeyVersion, InvalidKeyEncodingError } from "./key-encoding.js";
import { generateKeyVersion, type KeyVersion } from "./key-version.js";
import { ZERO_TIMESTAMP } from "./timestamp.js";

const seq = (n: number, from = 0) => Buffer.from(Array.from({ length: n }, (_, i) => from + i));
const hex = (...parts: string[]) => parts.join("").replace(/\s+/g, "");
const KEY_HEX = seq(32).toString("hex");
const HMAC_HEX = seq(32, 0x20).toString("hex");

// The protobuf KeyVersion written out field by field (kes-api.md §7.8).
const GOLDEN_CHACHA = hex(
  "0a 24",
  "0a 20",
  KEY_HEX,
  "10 02", // 1 SecretKey { 1 key, 2 type = ChaCha20 }
  "12 24",
  "0a 20",
  HMAC_HEX,
  "10 01", // 2 HMACKey { 1 key, 2 hash = SHA256 }
  "1a 0b",
  "08 a5facdac06",
  "10 959aef3a", // 3 Timestamp { 1 1704164645, 2 123456789 }
  "22 03",
  "616263", // 4 "abc"
);
const GOLDEN_AES_ZERO_TIME = hex(
  "0a 24",
  "0a 20",
  KEY_HEX,
  "10 01", // type = AES256
  "12 24",
  "0a 20",
  HMAC_HEX,
  "10 01",
  "1a 0b",
  "08 8092b8c398feffffff01", // seconds = -62135596800, nanos 0 omitted; no CreatedBy
);
const b64 = (h: string) => Buffer.from(h, "hex").toString("base64");

const CHACHA_KV: KeyVersion = {
  key: seq(32),
  algorithm: "ChaCha20",
  hmacKey: seq(32, 0x20),
  createdAt: { seconds: 1_704_164_645n, nanos: 123_456_789 },
  createdBy: "abc",
};
const AES_KV: KeyVersion = {
  ...CHACHA_KV,
  algorithm: "AES256",
  createdAt: ZERO_TIMESTAMP,
  createdBy: "",
};

function expectInvalid(value: string): InvalidKeyEncodingError {
  let caught: unknown;
  try {
    decodeKeyVersion(value);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InvalidKeyEncodingError);
  const message = (caught as Error).message;
  for (const secret of [KEY_HEX, HMAC_HEX, seq(32).toString("base64")]) {
    expect(message).not.toContain(secret);
  }
  return caught as InvalidKeyEncodingError;
}

describe("encodeKeyVersion / decodeKeyVersion (protobuf)", () => {
  it.each([
    ["ChaCha20 with creator", CHACHA_KV, GOLDEN_CHACHA],
    ["AES256 at Go's zero time", AES_KV, GOLDEN_AES_ZERO_TIME],
  ])("%s matches the hand-built bytes", (_, kv, golden) => {
    expect(encodeKeyVersion(kv)).toBe(b64(golden));
    expect(decodeKeyVersion(b64(golden))).toEqual(kv);
  });

  it.each(["AES256", "ChaCha20"] as const)("round-trips a generated %s key", (algorithm) => {
    const kv = generateKeyVersion(
      algorithm,
      "3ecfcdf38fcbe141ae26a1030f81e96b753365a46760ae6b578698a97c59fd22",
    );
    expect(decodeKeyVersion(encodeKeyVersion(kv))).toEqual(kv);
  });

  it("round-trips non-ASCII creators, epoch and negative nanos", () => {
    const kv = { ...CHACHA_KV, createdBy: "üñí", createdAt: { seconds: 0n, nanos: -5 } };
    expect(decodeKeyVersion(encodeKeyVersion(kv))).toEqual(kv);
    const epoch = { ...CHACHA_KV, createdAt: { seconds: 0n, nanos: 0 } };
    expect(decodeKeyVersion(encodeKeyVersion(epoch))).toEqual(epoch);
  });

  it("refuses to encode a key without an HMAC key", () => {
    expect(() => encodeKeyVersion({ ...AES_KV, hmacKey: undefined })).toThrow(
      InvalidKeyEncodingError,
    );
    expect(() => encodeKeyVersion({ ...AES_KV, key: seq(31) })).toThrow(InvalidKeyEncodingError);
  });

  it("decodes without CreatedAt as the Unix epoch", () => {
    const kv = decodeKeyVersion(b64(GOLDEN_CHACHA.slice(0, 76 * 2)));
    expect(kv.createdAt).toEqual({ seconds: 0n, nanos: 0 });
    expect(kv.createdBy).toBe("");
  });

  it("ignores CR/LF in the base64 text, as Go's StdEncoding does", () => {
    const text = b64(GOLDEN_CHACHA);
    expect(decodeKeyVersion(`${text.slice(0, 10)}\r\n${text.slice(10)}\n`)).toEqual(CHACHA_KV);
  });

  it("rejects the URL-safe base64 alphabet", () => {
    const text = encodeKeyVersion({
      ...CHACHA_KV,
      key: Buffer.alloc(32, 0xff),
      hmacKey: Buffer.alloc(32, 0xfb),
    });
    const urlSafe = text.replace(/\+/g, "-").replace(/\//g, "_");
    expect(urlSafe).not.toBe(text);
    expectInvalid(urlSafe);
  });

  it.each<[string, string]>([
    ["unknown varint field", "7801"],
    ["unknown fixed64 field", "79 0102030405060708"],
    ["unknown fixed32 field", "7d 01020304"],
    ["unknown bytes field", "7a 03 010203"],
    ["unknown group", "7b 08 01 12 00 7c"],
    ["nested groups", "7b 7b 7c 7c"],
    ["field 1 with the wrong wire type", "08 05"],
    ["field 4 with the wrong wire type", "20 05"],
    ["a large field number", "f8ffffff0f 00"],
  ])("skips %s", (_, extra) => {
    expect(decodeKeyVersion(b64(GOLDEN_CHACHA + hex(extra)))).toEqual(CHACHA_KV);
    expect(decodeKeyVersion(b64(hex(extra) + GOLDEN_CHACHA))).toEqual(CHACHA_KV);
  });

  it("skips unknown fields inside SecretKey and merges repeated messages", () => {
    const golden = GOLDEN_CHACHA.replace("0a240a20", "0a270a20").replace(
      `${KEY_HEX}1002`,
      `${KEY_HEX}1002 7a 01 ff`,
    );
    expect(decodeKeyVersion(b64(hex(golden)))).toEqual(CHACHA_KV);
    // A second SecretKey carrying only the type changes the type, keeps the key.
    expect(decodeKeyVersion(b64(GOLDEN_CHACHA + hex("0a 02 10 01")))).toEqual({
      ...CHACHA_KV,
      algorithm: "AES256",
    });
  });

  it("rejects every truncation that is not at a message boundary", () => {
    const bytes = Buffer.from(GOLDEN_CHACHA, "hex");
    for (let n = 0; n < bytes.length; n++) {
      const text = bytes.subarray(0, n).toString("base64");
      if (n === 76 || n === 89) expect(decodeKeyVersion(text).key).toEqual(seq(32));
      else expectInvalid(text);
    }
  });

  const swap = (from: string, to: string) => b64(GOLDEN_CHACHA.replace(hex(from), hex(to)));
  it.each<[string, string]>([
    [
      "a 31-byte key",
      b64(GOLDEN_CHACHA.replace(`0a240a20${KEY_HEX}`, `0a230a1f${KEY_HEX.slice(2)}`)),
    ],
    ["a 33-byte key", b64(GOLDEN_CHACHA.replace(`0a240a20${KEY_HEX}`, `0a250a21${KEY_HEX}00`))],
    ["type 3", swap(`${KEY_HEX}1002`, `${KEY_HEX}1003`)],
    ["type 0 (absent)", b64(GOLDEN_CHACHA.replace(`0a240a20${KEY_HEX}1002`, `0a220a20${KEY_HEX}`))],
    ["hash 2", swap(`${HMAC_HEX}1001`, `${HMAC_HEX}1002`)],
    [
      "a 31-byte HMAC key",
      b64(GOLDEN_CHACHA.replace(`12240a20${HMAC_HEX}`, `12230a1f${HMAC_HEX.slice(2)}`)),
    ],
    ["no HMAC key", b64(GOLDEN_CHACHA.replace(`12240a20${HMAC_HEX}1001`, ""))],
    ["no secret key", b64(GOLDEN_CHACHA.replace(`0a240a20${KEY_HEX}1002`, ""))],
    ["invalid UTF-8 creator", b64(GOLDEN_CHACHA.replace("2203616263", "2202c328"))],
    ["an 11-byte varint", b64(GOLDEN_CHACHA + hex("78 8080808080808080808001"))],
    ["a 10th varint byte above 1", b64(GOLDEN_CHACHA + hex("78 80808080808080808002"))],
    ["a truncated varint", b64(GOLDEN_CHACHA + hex("78 80"))],
    ["a length past the end", b64(GOLDEN_CHACHA + hex("7a 05 0102"))],
    ["a huge length", b64(GOLDEN_CHACHA + hex("7a ffffffffffffffff7f"))],
    ["a truncated fixed64", b64(GOLDEN_CHACHA + hex("79 01020304"))],
    ["an unterminated group", b64(GOLDEN_CHACHA + hex("7b 0801"))],
    ["an end group without start", b64(GOLDEN_CHACHA + hex("7c"))],
    ["a mismatched group end", b64(GOLDEN_CHACHA + hex("7b 74"))],
    ["wire type 6", b64(GOLDEN_CHACHA + hex("7e"))],
    ["wire type 7", b64(GOLDEN_CHACHA + hex("7f"))],
    ["field number 0", b64(hex("00 00") + GOLDEN_CHACHA)],
    ["unpadded base64", b64(GOLDEN_CHACHA).replace(/=+$/, "")],
    ["a space inside base64", `${b64(GOLDEN_CHACHA).slice(0, 8)} ${b64(GOLDEN_CHACHA).slice(8)}`],
    ["an empty value", ""],
    ["random text", "not a key at all!"],
  ])("rejects %s", (_, value) => {
    expectInvalid(value);
  });
});

describe("decodeKeyVersion (legacy JSON, kes-api.md §7.8)", () => {
  const bytes = seq(32).toString("base64");
  const legacy = (
    algorithm: KeyVersion["algorithm"],
    extra: Partial<KeyVersion> = {},
  ): KeyVersion => ({
    key: seq(32),
    algorithm,
    hmacKey: undefined,
    createdAt: ZERO_TIMESTAMP,
    createdBy: "",
    ...extra,
  });

  it.each<[string, string, KeyVersion]>([
    ["≤ v0.18", `{"bytes":"${bytes}"}`, legacy("AES256")],
    ["≤ v0.18 with whitespace", ` {\n "bytes" : "${bytes}" }\n`, legacy("AES256")],
    [
      "v1 with every field",
      `{"version":"v1","bytes":"${bytes}","algorithm":"XCHACHA20-POLY1305","created_at":"2024-01-02T03:04:05.123456789Z","created_by":"abc"}`,
      legacy("ChaCha20", {
        createdAt: { seconds: 1_704_164_645n, nanos: 123_456_789 },
        createdBy: "abc",
      }),
    ],
    [
      "v1 AES256-GCM_SHA256",
      `{"version":"v1","bytes":"${bytes}","algorithm":"AES256-GCM_SHA256"}`,
      legacy("AES256"),
    ],
    [
      "v1 AES256 (kes-go v0.2)",
      `{"version":"v1","bytes":"${bytes}","algorithm":"AES256"}`,
      legacy("AES256"),
    ],
    [
      "v1 ChaCha20 (kes-go v0.2)",
      `{"version":"v1","bytes":"${bytes}","algorithm":"ChaCha20"}`,
      legacy("ChaCha20"),
    ],
    ["v1 empty algorithm", `{"version":"v1","bytes":"${bytes}","algorithm":""}`, legacy("AES256")],
    [
      "null fields",
      `{"bytes":"${bytes}","algorithm":null,"created_at":null,"created_by":null}`,
      legacy("AES256"),
    ],
    [
      "case-insensitive keys and an offset",
      `{"Bytes":"${bytes}","ALGORITHM":"ChaCha20","Created_At":"2024-01-02T04:04:05+01:00"}`,
      legacy("ChaCha20", { createdAt: { seconds: 1_704_164_645n, nanos: 0 } }),
    ],
  ])("%s", (_, value, want) => {
    expect(decodeKeyVersion(value)).toEqual(want);
  });

  it.each<[string, string]>([
    ["a 31-byte key", `{"bytes":"${seq(31).toString("base64")}"}`],
    ["a 33-byte key", `{"bytes":"${seq(33).toString("base64")}"}`],
    ["no bytes", `{"version":"v1","algorithm":"AES256"}`],
    ["bytes not base64", `{"bytes":"!!!!"}`],
    ["bytes as a number", `{"bytes":5}`],
    ["an unknown algorithm", `{"bytes":"${bytes}","algorithm":"AES-256-GCM"}`],
    ["a lower-case algorithm", `{"bytes":"${bytes}","algorithm":"chacha20"}`],
    ["an algorithm number", `{"bytes":"${bytes}","algorithm":1}`],
    ["created_at not RFC 3339", `{"bytes":"${bytes}","created_at":"yesterday"}`],
    ["created_at a number", `{"bytes":"${bytes}","created_at":5}`],
    ["created_by a number", `{"bytes":"${bytes}","created_by":5}`],
    ["null", "null"],
    ["an array", "[]"],
    ["a number", "5"],
    ["a string", `"${bytes}"`],
    ["truncated JSON", `{"bytes":"${bytes}"`],
  ])("rejects %s", (_, value) => {
    expectInvalid(value);
  });
});
