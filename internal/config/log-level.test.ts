import { describe, expect, test } from "vitest";
import { parseLogLevel } from "./log-level.js";

describe("parseLogLevel (kes-api.md §10.5)", () => {
  test.each([
    ["", 0],
    ["on", 0],
    ["ON", 0],
    ["off", 9],
    ["Off", 9],
    ["DEBUG", -4],
    ["debug", -4],
    ["INFO", 0],
    ["Warn", 4],
    ["error", 8],
    ["INFO+2", 2],
    ["info-1", -1],
    ["ERROR+1", 9],
    ["DEBUG-4", -8],
    ["0", 0],
    ["12", 12],
    ["-4", -4],
    ["+3", 3],
  ])("%j → %d", (text, level) => {
    expect(parseLogLevel(text)).toBe(level);
  });

  test.each([
    "LOUD",
    "INFO+",
    "INFO+x",
    "+INFO",
    "WARNING",
    "1.5",
    "INFO++1",
    "99999999999999999999",
  ])("%j is rejected", (text) => {
    expect(() => parseLogLevel(text)).toThrow(`invalid log level '${text}'`);
  });
});
