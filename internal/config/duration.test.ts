import { describe, expect, test } from "vitest";
import { formatLifecycleDuration, parseDuration, parseLifecycleDuration } from "./duration.js";

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

describe("lifecycle durations", () => {
  test.each([
    ["7d", 7 * 86_400_000, "7d"],
    ["90d", 90 * 86_400_000, "90d"],
    ["36h", 36 * 3_600_000, "36h"],
    ["1d12h", 36 * 3_600_000, "36h"],
    ["90s", 90_000, "90s"],
    ["0", 0, "0"],
    ["1500ms", 1_500, "1500ms"],
  ])("%s → %d ms → %s", (text, ms, formatted) => {
    expect(parseLifecycleDuration(text)).toBe(ms);
    expect(formatLifecycleDuration(ms)).toBe(formatted);
  });

  test("days are refused outside lifecycle fields (Go syntax)", () => {
    expect(() => parseDuration("7d")).toThrow('unknown unit "d" in duration "7d"');
    expect(() => parseLifecycleDuration("7 days")).toThrow('unknown unit " days"');
  });
});
