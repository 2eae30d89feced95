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
});
