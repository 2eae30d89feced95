// Tests of the fs keystore's name checks (fs-io.ts): which file names it may store, held to the
// rule written as one pattern (a valid key name, kes-api.md §13.1, then `.v<N>` or `.s<K>`).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isStorableName } from "./fs-io.js";

// The record names as one pattern: name rule and suffix together.
const RECORD = /^(?!_\.)(?!-)[0-9A-Za-z_-]{1,80}(?<!-)\.(v|s)[1-9][0-9]{0,9}$/;
const PLAIN = (name: string) => name !== "" && !/[/\\.\0]/.test(name);

describe("isStorableName", () => {
  it("accepts exactly a plain name or a record name as one pattern writes it", () => {
    const char = fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(..."k_-vs0129") },
      { weight: 2, arbitrary: fc.constant(".") },
      { weight: 1, arbitrary: fc.constantFrom("/", "\\", "\0", "V", " ") },
    );
    const text = (max: number) => fc.array(char, { maxLength: max }).map((cs) => cs.join(""));
    // Near the record shape: a name (around the 80-character bound), '.', a letter, digits.
    const recordLike = fc
      .tuple(
        fc.oneof(
          text(4),
          fc.integer({ min: 78, max: 82 }).map((n) => "k".repeat(n)),
        ),
        fc.constantFrom(".v", ".s", ".x", "v", "."),
        fc.stringMatching(/^[0-9]{0,12}$/),
        text(2),
      )
      .map((parts) => parts.join(""));
    const name = fc.oneof(text(10), recordLike);
    fc.assert(
      fc.property(name, (s) => {
        expect(isStorableName(s)).toBe(RECORD.test(s) || PLAIN(s));
      }),
      { numRuns: 20_000 },
    );
  });
});
