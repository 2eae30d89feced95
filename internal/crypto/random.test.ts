// The pool of public random bytes (IV ‖ nonce): each byte handed out once and zeroed as it
// leaves, nothing repeated across refills, large requests bypassed, and a fresh pool per process.

import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { fillPublicRandom, PUBLIC_POOL_BYTES, publicPoolForTests } from "./random.js";

const draw = (size: number) => {
  const b = Buffer.alloc(size);
  fillPublicRandom(b, 0, size);
  return b;
};

describe("the public random pool", () => {
  it("never hands out the same bytes twice, across many refills", () => {
    const seen = new Set<string>();
    const n = Math.ceil((PUBLIC_POOL_BYTES / 28) * 40); // about 40 refills
    for (let i = 0; i < n; i++) seen.add(draw(28).toString("hex"));
    expect(seen.size).toBe(n);
  });

  it("zeroes every byte it has handed out", () => {
    draw(28);
    const { unused, pool } = publicPoolForTests();
    const used = pool.subarray(0, PUBLIC_POOL_BYTES - unused);
    expect(used.length).toBeGreaterThan(0);
    expect(used.every((b) => b === 0)).toBe(true);
    // The bytes still to be handed out are random, not zero (a 0 byte is 1 in 256 each).
    const rest = pool.subarray(PUBLIC_POOL_BYTES - unused);
    expect(rest.filter((b) => b === 0).length).toBeLessThan(rest.length / 8 + 8);
  });

  it("writes exactly the requested range and nothing around it", () => {
    const b = Buffer.alloc(40, 0xaa);
    fillPublicRandom(b, 6, 28);
    expect(b.subarray(0, 6).every((x) => x === 0xaa)).toBe(true);
    expect(b.subarray(34).every((x) => x === 0xaa)).toBe(true);
    expect(b.subarray(6, 34).equals(Buffer.alloc(28, 0xaa))).toBe(false);
  });

  it("serves a large request straight from the CSPRNG, leaving the pool alone", () => {
    draw(28);
    const before = publicPoolForTests().unused;
    const big = draw(1024);
    expect(publicPoolForTests().unused).toBe(before);
    expect(big.equals(Buffer.alloc(1024))).toBe(false);
  });

  it("gives every process its own pool (workers never share bytes)", () => {
    const mod = resolve(import.meta.dirname, "../../dist/internal/crypto/random.js");
    const script = `import(${JSON.stringify(mod)}).then((m) => { const b = Buffer.alloc(28); m.fillPublicRandom(b, 0, 28); process.stdout.write(b.toString("hex")); })`;
    const run = () => execFileSync(process.execPath, ["-e", script], { encoding: "utf8" });
    const a = run();
    const b = run();
    expect(a).toMatch(/^[0-9a-f]{56}$/);
    expect(a).not.toBe(b);
  });
});
