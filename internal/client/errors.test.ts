import { describe, expect, it } from "vitest";
import {
  ErrDecrypt,
  ErrKeyExists,
  ErrKeyNotFound,
  ErrNotAllowed,
  errorOfResponse,
  isError,
  KeyfrontError,
} from "./errors.js";

const json = "application/json";

describe("errorOfResponse (kes-api.md §2.2)", () => {
  it.each([
    ["message field", 404, json, '{"message":"key does not exist"\n}', 404, "key does not exist"],
    ["error wins over message", 400, json, '{"message":"a","error":"b"}', 400, "b"],
    ["charset suffix", 403, "application/json; charset=utf-8", '{"message":"x"}', 403, "x"],
    [
      "plain text body",
      404,
      "text/plain; charset=utf-8",
      "404 page not found\n",
      404,
      "404 page not found",
    ],
    ["invalid JSON keeps raw text", 500, json, "oops", 500, "oops"],
    ["empty body", 502, "", "", 502, "HTTP 502"],
    ["legacy exists", 400, json, '{"message":"key does already exist"}', 400, "key already exists"],
    ["legacy policy", 403, json, '{"message":"prohibited by policy"}', 403, ErrNotAllowed.message],
  ])("%s", (_name, status, type, body, wantStatus, wantMessage) => {
    const err = errorOfResponse(status, type, Buffer.from(body));
    expect(err).toBeInstanceOf(KeyfrontError);
    expect([err.status, err.message]).toEqual([wantStatus, wantMessage]);
  });

  it("maps legacy texts to values equal to today's", () => {
    const legacy = errorOfResponse(400, json, Buffer.from('{"message":"key does already exist"}'));
    expect(isError(legacy, ErrKeyExists)).toBe(true);
  });
});

describe("isError compares status and message", () => {
  it.each([
    [new KeyfrontError(404, "key does not exist"), ErrKeyNotFound, true],
    [new KeyfrontError(400, "key does not exist"), ErrKeyNotFound, false],
    [new KeyfrontError(404, "key does not exist."), ErrKeyNotFound, false],
    [new KeyfrontError(400, "decryption failed: ciphertext is not authentic"), ErrDecrypt, true],
    [new Error("key does not exist"), ErrKeyNotFound, false],
    [undefined, ErrKeyNotFound, false],
  ])("%#", (err, target, want) => {
    expect(isError(err, target)).toBe(want);
  });
});
