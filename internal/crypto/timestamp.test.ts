import { describe, expect, it } from "vitest";
import {
  equalTimestamps,
  formatTimestamp,
  nowTimestamp,
  parseTimestamp,
  type Timestamp,
  ZERO_TIMESTAMP,
} from "./timestamp.js";

const ts = (seconds: bigint, nanos = 0): Timestamp => ({ seconds, nanos });

describe("formatTimestamp", () => {
  it.each<[Timestamp, string]>([
    [ZERO_TIMESTAMP, "0001-01-01T00:00:00Z"],
    [ts(0n), "1970-01-01T00:00:00Z"],
    [ts(1_704_164_645n, 123_456_789), "2024-01-02T03:04:05.123456789Z"],
    [ts(1_704_164_645n, 120_000_000), "2024-01-02T03:04:05.12Z"],
    [ts(1_704_164_645n, 1), "2024-01-02T03:04:05.000000001Z"],
    [ts(951_782_400n), "2000-02-29T00:00:00Z"],
    [ts(-1n, 500_000_000), "1969-12-31T23:59:59.5Z"],
    [ts(253_402_300_799n), "9999-12-31T23:59:59Z"],
    [ts(1_709_164_800n - 1n), "2024-02-28T23:59:59Z"],
    // nanos outside [0, 1e9) carry into seconds, as Go's time.Unix does
    [ts(0n, 1_500_000_000), "1970-01-01T00:00:01.5Z"],
    [ts(0n, -1), "1969-12-31T23:59:59.999999999Z"],
  ])("%o → %s", (t, want) => {
    expect(formatTimestamp(t)).toBe(want);
  });
});

describe("parseTimestamp", () => {
  it.each<[string, Timestamp | undefined]>([
    ["0001-01-01T00:00:00Z", ZERO_TIMESTAMP],
    ["1970-01-01T00:00:00Z", ts(0n)],
    ["2024-01-02T03:04:05.123456789Z", ts(1_704_164_645n, 123_456_789)],
    ["2024-01-02T03:04:05.1Z", ts(1_704_164_645n, 100_000_000)],
    ["2024-01-02T04:04:05+01:00", ts(1_704_164_645n)],
    ["2024-01-01T21:34:05-05:30", ts(1_704_164_645n)],
    ["2024-01-02T03:04:05.1234567891234Z", ts(1_704_164_645n, 123_456_789)],
    ["2024-02-29T00:00:00Z", ts(1_709_164_800n)],
    ["2023-02-29T00:00:00Z", undefined],
    ["1900-02-29T00:00:00Z", undefined],
    ["2024-04-31T00:00:00Z", undefined],
    ["2024-13-01T00:00:00Z", undefined],
    ["2024-00-01T00:00:00Z", undefined],
    ["2024-01-00T00:00:00Z", undefined],
    ["2024-01-02T24:00:00Z", undefined],
    ["2024-01-02T03:60:00Z", undefined],
    ["2024-01-02T03:04:60Z", undefined],
    ["2024-01-02T03:04:05+24:00", undefined],
    ["2024-01-02t03:04:05Z", undefined],
    ["2024-01-02T03:04:05z", undefined],
    ["2024-01-02T03:04:05", undefined],
    ["2024-01-02T03:04:05.Z", undefined],
    ["2024-01-02 03:04:05Z", undefined],
    ["24-01-02T03:04:05Z", undefined],
    ["", undefined],
  ])("%j", (text, want) => {
    expect(parseTimestamp(text)).toEqual(want);
  });

  it("round-trips formatTimestamp over a wide range", () => {
    for (let i = 0; i < 2000; i++) {
      const seconds = BigInt(Math.floor((Math.random() - 0.5) * 2 * 62_000_000_000));
      const nanos = i % 3 === 0 ? 0 : Math.floor(Math.random() * 1e9);
      const t = ts(seconds, nanos);
      const back = parseTimestamp(formatTimestamp(t));
      expect(back && equalTimestamps(back, t), formatTimestamp(t)).toBe(true);
    }
  });
});

describe("nowTimestamp", () => {
  it("is close to Date.now and normalised", () => {
    const before = Date.now();
    const t = nowTimestamp();
    const ms = Number(t.seconds) * 1000 + t.nanos / 1e6;
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now());
    expect(t.nanos).toBeGreaterThanOrEqual(0);
    expect(t.nanos).toBeLessThan(1e9);
  });
});
