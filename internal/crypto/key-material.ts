// Where the secret and HMAC keys of key versions live: slabs of their own, 32 bytes per key.
// Node's Buffer.from(bytes) cuts small buffers from a shared 8 KiB pool that also holds whatever
// else was small at that moment (request bodies, decoded fields); one cached key kept its whole
// slab alive, and with 20,000 keys cached the process held 1,009 such slabs (7.6 MB) for 1.3 MB
// of key material (issue 11, heap snapshot). Here each 16 KiB slab holds key material only, and
// key material only of long-lived key versions: never a DEK or anything per request, so a slab
// never keeps a request's secret alive. A slab is freed when none of its keys is referenced any
// more, as the shared pool's were; like them it is not zeroed then (callers zero what they own).

import { randomFillSync } from "node:crypto";
import { KEY_BYTES } from "../limits.js";

/** Bytes per slab: 512 keys. */
export const KEY_SLAB_BYTES = 16 * 1024;

let slab = Buffer.alloc(0);
let used = 0;

function slot(size: number): Buffer {
  if (used + size > slab.length) {
    slab = Buffer.alloc(Math.max(KEY_SLAB_BYTES, size));
    used = 0;
  }
  const out = slab.subarray(used, used + size);
  used += size;
  return out;
}

/** A copy of `bytes` (a key version's key material) in a key slab. */
export function keyMaterialFrom(bytes: Uint8Array): Buffer {
  const out = slot(bytes.length);
  out.set(bytes);
  return out;
}

/** A fresh 32-byte secret or HMAC key of a key version, from the CSPRNG, in a key slab. */
export function freshKeyMaterial(): Buffer {
  const out = slot(KEY_BYTES);
  randomFillSync(out);
  return out;
}
