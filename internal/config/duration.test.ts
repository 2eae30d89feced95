import { describe, expect, test } from "vitest";
import { parseDuration } from "./duration.js";

describe("parseDuration", () => {
  test.each([
    ["0", 0],
    ["-0", 0],
    ["0s", 0],
    ["300ms", 300],
    ["10s", 10_000],
    ["5m", 300_000],
    ["5m0s", 300_000],
    ["1.5h", 5_400_000],
    ["1h30m", 5_400_000],
    ["1h30m10s5ms", 5_410_005],
    [".5s", 500],
    ["5.s", 5_000],
    ["+2s", 2_000],
    ["-2s", -2_000],
    ["1500us", 1.5],
    ["1500µs", 1.5],
    ["1500μs", 1.5],
    ["2000000ns", 2],
  ])("%s → %d ms", (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9);
  });

  test.each([
    ["", 'invalid duration ""'],
    ["-", 'invalid duration "-"'],
    [".", 'invalid duration "."'],
    ["s", 'invalid duration "s"'],
    ["5", 'missing unit in duration "5"'],
    ["-30", 'missing unit in duration "-30"'],
    ["1h30", 'missing unit in duration "1h30"'],
    ["5x", 'unknown unit "x" in duration "5x"'],
    ["5d", 'unknown unit "d" in duration "5d"'],
    ["5 s", 'unknown unit " s" in duration "5 s"'],
    ["1h-5m", 'unknown unit "h-" in duration "1h-5m"'],
    ["soon", 'invalid duration "soon"'],
    ["1..5s", 'missing unit in duration "1..5s"'],
  ])("%j is rejected", (text, message) => {
    expect(() => parseDuration(text)).toThrow(new Error(message));
  });
});
