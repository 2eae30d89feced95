// Tests of the pure key-ring helpers: version states, and how two loads of one key merge.

import { describe, expect, it } from "vitest";
import type { KeyVersion } from "../crypto/key-version.js";
import { ZERO_TIMESTAMP } from "../crypto/timestamp.js";
import { newestOf, type Ring, versionInfos } from "./ring.js";
import { DEFAULT_STATE, type KeyState } from "./ring-records.js";

const kv = (i: number): KeyVersion => ({
  key: Buffer.alloc(32, i),
  algorithm: "AES256",
  hmacKey: Buffer.alloc(32, i),
  createdAt: ZERO_TIMESTAMP,
  createdBy: `by-${i}`,
});
function ring(versions: number, stateSeq: number, state: Partial<KeyState> = {}, inc = "a"): Ring {
  return {
    name: "k",
    incarnation: inc.repeat(32),
    versions: Array.from({ length: versions }, (_, i) => kv(i + 1)),
    state: { ...DEFAULT_STATE, ...state },
    stateSeq,
    checkedAt: stateSeq,
    refreshTriedAt: 0,
    missReloadAt: versions,
  };
}

describe("key rings", () => {
  it("names version states: retired below the minimum, current for the newest", () => {
    const r = ring(4, 1, { minDecryptionVersion: 3 });
    expect(versionInfos(r).map((v) => `${v.version}:${v.state}:${v.createdBy}`)).toEqual([
      "1:retired:by-1",
      "2:retired:by-2",
      "3:active:by-3",
      "4:current:by-4",
    ]);
  });

  it("merges two loads of one key: more versions and the newer state win separately", () => {
    const rotated = ring(3, 1, { enabled: true });
    const staleButNewerState = ring(2, 2, { enabled: false });
    const merged = newestOf(rotated, staleButNewerState);
    expect(merged.versions.length).toBe(3);
    expect([merged.stateSeq, merged.state.enabled]).toEqual([2, false]);
    expect([merged.checkedAt, merged.missReloadAt]).toEqual([2, 3]);
    expect(newestOf(staleButNewerState, rotated)).toMatchObject({ stateSeq: 2 });
    expect(newestOf(staleButNewerState, rotated).versions.length).toBe(3);
  });

  it("takes the loaded ring of another incarnation (the key was purged and created again)", () => {
    const old = ring(5, 3);
    const recreated = ring(1, 0, {}, "b");
    expect(newestOf(old, recreated)).toBe(recreated);
  });
});
