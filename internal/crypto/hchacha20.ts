// HChaCha20 (draft-irtf-cfrg-xchacha-03 §2.2): 20 ChaCha rounds over constants ‖ key ‖ input,
// output words 0–3 and 12–15 without the final addition. KES uses it to derive a ChaCha20
// subkey from the 16-byte IV (kes-api.md §7.2). Pure JS: node:crypto does not expose it.
// Must never leave key-derived state behind: the working state is zeroed before returning.

const KEY_BYTES = 32;
const INPUT_BYTES = 16;
const OUTPUT_BYTES = 32;
const DOUBLE_ROUNDS = 10;
// "expand 32-byte k" as four little-endian words.
const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574] as const;

function readU32LE(b: Uint8Array, i: number): number {
  return (
    ((b[i] as number) |
      ((b[i + 1] as number) << 8) |
      ((b[i + 2] as number) << 16) |
      ((b[i + 3] as number) << 24)) >>>
    0
  );
}

function quarterRound(x: Uint32Array, a: number, b: number, c: number, d: number): void {
  let va = x[a] as number;
  let vb = x[b] as number;
  let vc = x[c] as number;
  let vd = x[d] as number;
  va = (va + vb) | 0;
  vd ^= va;
  vd = (vd << 16) | (vd >>> 16);
  vc = (vc + vd) | 0;
  vb ^= vc;
  vb = (vb << 12) | (vb >>> 20);
  va = (va + vb) | 0;
  vd ^= va;
  vd = (vd << 8) | (vd >>> 24);
  vc = (vc + vd) | 0;
  vb ^= vc;
  vb = (vb << 7) | (vb >>> 25);
  x[a] = va;
  x[b] = vb;
  x[c] = vc;
  x[d] = vd;
}

/** HChaCha20(key, input): a 32-byte subkey. `key` must be 32 bytes and `input` 16 bytes. */
export function hchacha20(key: Uint8Array, input: Uint8Array): Buffer {
  if (key.length !== KEY_BYTES) throw new RangeError("hchacha20: key must be 32 bytes");
  if (input.length !== INPUT_BYTES) throw new RangeError("hchacha20: input must be 16 bytes");
  const x = new Uint32Array(16);
  x.set(SIGMA, 0);
  for (let i = 0; i < 8; i++) x[4 + i] = readU32LE(key, 4 * i);
  for (let i = 0; i < 4; i++) x[12 + i] = readU32LE(input, 4 * i);
  for (let i = 0; i < DOUBLE_ROUNDS; i++) {
    quarterRound(x, 0, 4, 8, 12);
    quarterRound(x, 1, 5, 9, 13);
    quarterRound(x, 2, 6, 10, 14);
    quarterRound(x, 3, 7, 11, 15);
    quarterRound(x, 0, 5, 10, 15);
    quarterRound(x, 1, 6, 11, 12);
    quarterRound(x, 2, 7, 8, 13);
    quarterRound(x, 3, 4, 9, 14);
  }
  const out = Buffer.allocUnsafeSlow(OUTPUT_BYTES);
  for (let i = 0; i < 4; i++) {
    out.writeUInt32LE(x[i] as number, 4 * i);
    out.writeUInt32LE(x[12 + i] as number, 16 + 4 * i);
  }
  x.fill(0);
  return out;
}
