// The flat-object parser against JSON.parse: the same answer for every flat object JSON.parse
// accepts (any spelling: escapes, surrogate pairs, whitespace), an error wherever JSON.parse
// fails, and a named refusal for nesting and duplicates. Property tests (fast-check) plus the
// exact cases of the hardening issue.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FlatJsonError, parseFlatJson } from "./flat-json.js";
import { asciiHeaderValue } from "./header-value.js";

const ws = fc.stringMatching(/^[ \t\r\n]{0,3}$/);
const scalar = fc.oneof(
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.string({ maxLength: 20 }),
  fc.constant(null),
  fc.boolean(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/**
 * Writes a string as JSON in one of several legal spellings: 0 as JSON.stringify does, 1 with
 * every non-ASCII or special code unit as an upper-case \uXXXX (surrogate pairs split), 2 with
 * every code unit escaped, 3 as JSON.stringify with each "/" written as "\/".
 */
const spelled = (s: string, how: number) => {
  if (how === 0) return JSON.stringify(s);
  if (how === 3) return JSON.stringify(s).replaceAll("/", "\\/");
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    const plain = how === 1 && u >= 0x20 && u < 0x7f && u !== 0x22 && u !== 0x5c;
    out += plain ? s[i] : `\\u${u.toString(16).toUpperCase().padStart(4, "0")}`;
  }
  return `"${out}"`;
};

const flatDoc = fc
  .tuple(
    fc.uniqueArray(fc.tuple(fc.string({ unit: "binary", maxLength: 12 }), scalar), {
      selector: ([k]) => k,
      maxLength: 6,
    }),
    fc.array(ws, { minLength: 24, maxLength: 24 }),
    fc.nat(3),
  )
  .map(([entries, space, how]) => {
    const sp = (i: number) => space[i % space.length] ?? "";
    const value = (v: unknown) => (typeof v === "string" ? spelled(v, how) : JSON.stringify(v));
    const members = entries.map(
      ([k, v], i) => `${sp(i)}${spelled(k, how)}${sp(i + 1)}:${sp(i + 2)}${value(v)}${sp(i + 3)}`,
    );
    return {
      entries,
      text: `${sp(20)}{${members.join(",")}${members.length ? "" : sp(21)}}${sp(22)}`,
    };
  });

function viaParser(text: string): unknown {
  const r = parseFlatJson(text);
  return r === null ? null : Object.fromEntries(r);
}

describe("parseFlatJson", () => {
  it("agrees with JSON.parse on every flat object, however it is spelled", () => {
    fc.assert(
      fc.property(flatDoc, ({ text }) => {
        const want = JSON.parse(text) as Record<string, unknown>;
        const got = viaParser(text) as Record<string, unknown>;
        expect(Object.keys(got)).toEqual(Object.keys(want));
        for (const k of Object.keys(want)) expect(Object.is(got[k], want[k])).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("fails exactly where JSON.parse fails on mutated documents, and never throws anything else", () => {
    const mutated = fc
      .tuple(flatDoc, fc.nat(), fc.string({ unit: "binary", maxLength: 3 }), fc.nat(3))
      .map(([{ text }, at, insert, cut]) => {
        const i = text.length === 0 ? 0 : at % text.length;
        return text.slice(0, i) + insert + text.slice(i + cut);
      });
    fc.assert(
      fc.property(mutated, (text) => {
        let want: unknown;
        let jsonOk = true;
        try {
          want = JSON.parse(text);
        } catch {
          jsonOk = false;
        }
        let got: unknown;
        let ours: unknown;
        try {
          got = viaParser(text);
        } catch (err) {
          ours = err;
        }
        if (ours !== undefined) {
          expect(ours).toBeInstanceOf(FlatJsonError);
          // JSON.parse accepted a flat object we refused: only a duplicate name may explain it.
          const flat =
            jsonOk &&
            typeof want === "object" &&
            want !== null &&
            !Array.isArray(want) &&
            Object.values(want).every((v) => v === null || typeof v !== "object");
          if (flat) expect((ours as Error).message).toMatch(/^duplicate field /);
          return;
        }
        // We accepted: JSON.parse must have accepted the same flat object (or null).
        expect(jsonOk).toBe(true);
        expect(got).toEqual(want);
      }),
      { numRuns: 4000 },
    );
  });

  it("refuses arbitrary text with a FlatJsonError only", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), (text) => {
        try {
          viaParser(text);
        } catch (err) {
          expect(err).toBeInstanceOf(FlatJsonError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    ['{"a":[1]}', "field 'a' holds a nested array; only strings are accepted"],
    ['{"context":{"x":"y"}}', "field 'context' holds a nested object; only strings are accepted"],
    ['{"context":"a","context":"b"}', "duplicate field 'context'"],
    ["[]", "request body must be a JSON object"],
    ['"x"', "request body must be a JSON object"],
    ["", "request body is empty"],
    ["  ", "malformed JSON: no value"],
    ['{"a":1} x', "malformed JSON: unexpected data after the object at offset 8"],
    ['{"a":"\u0001"}', "malformed JSON: control character in a string at offset 6"],
    ['{"a":"\\x"}', "malformed JSON: invalid escape at offset 6"],
    ['{"a":"\\u12g4"}', "malformed JSON: invalid \\u escape at offset 6"],
    ['{"a" "b"}', "malformed JSON: expected ':' at offset 5"],
    ['{"a":"b"', "malformed JSON: expected ',' or '}' at the end of the body"],
    ['{"a":01}', "malformed JSON: expected ',' or '}' at offset 6"],
    ["\ufeff{}", "request body must be a JSON object"],
  ])("%j → %s", (text, message) => {
    expect(() => parseFlatJson(text)).toThrow(new FlatJsonError(message));
  });

  it("rejects a megabyte of nested arrays at its first bracket", () => {
    const text = `{"a":${"[".repeat(500_000)}${"]".repeat(500_000)}}`;
    expect(() => parseFlatJson(text)).toThrow("field 'a' holds a nested array");
  });

  it("reads the issue's field names as data, not as a problem", () => {
    expect(parseFlatJson('{"a\\u0001":1}')).toEqual([["a\u0001", 1]]);
    expect(parseFlatJson('{"€":1}')).toEqual([["€", 1]]);
  });
});

describe("asciiHeaderValue", () => {
  it("turns any text into printable ASCII that JSON.parse turns back", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), (text) => {
        const v = asciiHeaderValue(text);
        expect(v).toMatch(/^[\x20-\x7e]*$/);
        expect(JSON.parse(`"${v}"`)).toBe(text);
      }),
      { numRuns: 3000 },
    );
    expect(asciiHeaderValue("unknown field 'a\u0001'")).toBe("unknown field 'a\\u0001'");
    expect(asciiHeaderValue("unknown field '€'")).toBe("unknown field '\\u20ac'");
  });
});
