// `node dist/test/bench/versions-bench.js [--seconds N]`: the key service's warm decrypt (and
// generate) in process, no HTTP, for a version-1 ciphertext of a never-rotated key, a version-1
// and a version-N ciphertext of a key rotated N-1 times, against the pre-rotation decrypt (cache
// lookup + KES decrypt of the one key version) measured in the same run, alternating. Prints
// ops/s and ratios; nothing is asserted (these machines are noisy).

import { parseArgs } from "node:util";
import { decrypt } from "../../internal/crypto/aead.js";
import type { KeyVersion } from "../../internal/crypto/key-version.js";
import { connectMem } from "../../internal/keystore/mem/mem-store.js";
import { serviceOn } from "../helpers/key-service.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "2" },
    versions: { type: "string", default: "4" },
  },
});
const SECONDS = Number(values.seconds);
const N = Number(values.versions);
const ctx = Buffer.from('{"bucket":"photos","object":"2024/01/img-0001.jpg"}');

const s = serviceOn(connectMem());
const keys = s.keys;
await keys.create("plain", "bench");
await keys.create("rotated", "bench");
const v1Plain = (await keys.generate("plain", ctx)).ciphertext;
const v1Rotated = (await keys.generate("rotated", ctx)).ciphertext;
for (let i = 2; i <= N; i++) await keys.rotate("rotated", "bench");
const vN = await keys.generate("rotated", ctx);
if (vN.version !== N) throw new Error(`expected version ${N}, got ${vN.version}`);

// Today's decrypt (before key rings): one cached KeyVersion, KES decrypt.
const oldCache = new Map<string, KeyVersion>([
  ["plain", (await keys.load("plain")).versions[0] as KeyVersion],
]);
const today = () => {
  const kv = oldCache.get("plain");
  if (kv === undefined) throw new Error("not cached");
  return decrypt(kv, v1Plain, ctx);
};

const cases: [string, () => unknown][] = [
  ["today: decrypt (1 version)", today],
  ["decrypt v1, never rotated", () => keys.decrypt("plain", v1Plain, ctx)],
  [`decrypt v1, key at v${N}`, () => keys.decrypt("rotated", v1Rotated, ctx)],
  [`decrypt v${N}, key at v${N}`, () => keys.decrypt("rotated", vN.ciphertext, ctx)],
  [`generate v${N}`, () => keys.generate("rotated", ctx)],
];

function opsPerSecond(f: () => unknown, ms: number): number {
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (let i = 0; i < 256; i++) f();
    n += 256;
  }
  return n / (ms / 1000);
}

const totals = new Map<string, number>(cases.map(([name]) => [name, 0]));
const ROUNDS = 5;
for (const [, f] of cases) opsPerSecond(f, 200); // warm up the JIT
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, f] of cases) {
    totals.set(name, (totals.get(name) ?? 0) + opsPerSecond(f, (SECONDS * 1000) / ROUNDS));
  }
}
const base = (totals.get(cases[0]?.[0] ?? "") ?? 1) / ROUNDS;
for (const [name] of cases) {
  const ops = (totals.get(name) ?? 0) / ROUNDS;
  console.log(
    `${name.padEnd(32)} ${Math.round(ops).toString().padStart(9)} ops/s  ${(ops / base).toFixed(2)}×`,
  );
}
s.close();
