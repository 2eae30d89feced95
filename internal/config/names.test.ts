import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { isValidName } from "./names.js";

describe("isValidName (kes-api.md §13.1)", () => {
  test.each(["my-key", "0", "_0", "_-___---_", "0-Z", "a".repeat(80), "disabled", "f".repeat(64)])(
    "%j is valid",
    (name) => {
      expect(isValidName(name)).toBe(true);
    },
  );
  test.each([
    "",
    "_",
    "-a",
    "a-",
    "my.key",
    "key/",
    "hel<lo",
    "schlüssel",
    "a".repeat(81),
    " a",
    "a\n",
  ])("%j is invalid", (name) => {
    expect(isValidName(name)).toBe(false);
  });

  test("accepts exactly what KES's pattern for names accepts", () => {
    // The rule as one pattern with lookarounds (kes-api.md §13.1).
    const PATTERN = /^(?!_$)(?!-)[0-9A-Za-z_-]{1,80}(?<!-)$/;
    const char = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(..."aZ09") },
      { weight: 3, arbitrary: fc.constantFrom("-", "_") },
      { weight: 1, arbitrary: fc.constantFrom(".", "/", " ", "\n", "ü", "\u0000") },
    );
    const name = fc.oneof(
      fc.array(char, { maxLength: 6 }).map((cs) => cs.join("")),
      fc
        .tuple(fc.array(char, { maxLength: 3 }), fc.integer({ min: 76, max: 82 }))
        .map(([cs, n]) => cs.join("").padEnd(n, "k")),
    );
    fc.assert(
      fc.property(name, (s) => {
        expect(isValidName(s)).toBe(PATTERN.test(s));
      }),
      { numRuns: 20_000 },
    );
  });
});
