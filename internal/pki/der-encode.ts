// A minimal DER encoder (ITU-T X.690) for the handful of ASN.1 types an X.509 certificate needs.
// Pure. It must never produce non-minimal lengths or integers (DER is a canonical encoding).

export function derElement(tag: number, content: Uint8Array): Buffer {
  const len = content.length;
  let header: Buffer;
  if (len < 0x80) {
    header = Buffer.from([tag, len]);
  } else {
    const bytes: number[] = [];
    for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
    header = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([header, content]);
}

export function derSequence(...items: Uint8Array[]): Buffer {
  return derElement(0x30, Buffer.concat(items));
}

export function derSet(...items: Uint8Array[]): Buffer {
  return derElement(0x31, Buffer.concat(items));
}

export function derBoolean(value: boolean): Buffer {
  return derElement(0x01, Buffer.from([value ? 0xff : 0x00]));
}

/** A non-negative INTEGER from big-endian magnitude bytes (minimal, sign byte added if needed). */
export function derUnsignedInteger(magnitude: Uint8Array): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  let body = Buffer.from(magnitude.subarray(start));
  if (body.length === 0) body = Buffer.from([0]);
  if ((body[0] as number) & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  return derElement(0x02, body);
}

export function derSmallInteger(value: number): Buffer {
  const bytes: number[] = [];
  for (let n = value; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return derUnsignedInteger(Buffer.from(bytes));
}

export function derNull(): Buffer {
  return Buffer.from([0x05, 0x00]);
}

export function derOctetString(content: Uint8Array): Buffer {
  return derElement(0x04, content);
}

/** BIT STRING with `unusedBits` trailing bits of the last byte unused. */
export function derBitString(content: Uint8Array, unusedBits = 0): Buffer {
  return derElement(0x03, Buffer.concat([Buffer.from([unusedBits]), content]));
}

/** OBJECT IDENTIFIER from dotted notation. */
export function derOid(dotted: string): Buffer {
  const arcs = dotted.split(".").map((a) => Number.parseInt(a, 10));
  const [a0, a1, ...rest] = arcs;
  if (a0 === undefined || a1 === undefined || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) {
    throw new Error(`invalid OID ${dotted}`);
  }
  const out: number[] = [];
  for (const arc of [a0 * 40 + a1, ...rest]) {
    const chunk: number[] = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128))
      chunk.unshift(0x80 | (n & 0x7f));
    out.push(...chunk);
  }
  return derElement(0x06, Buffer.from(out));
}

export function derUtf8String(text: string): Buffer {
  return derElement(0x0c, Buffer.from(text, "utf8"));
}

/** Time per RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; seconds, Z. */
export function derTime(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return derElement(0x17, Buffer.from(digits.slice(2), "ascii"));
  return derElement(0x18, Buffer.from(digits, "ascii"));
}

/** Context-specific tag number `n`, constructed (explicit tagging) or primitive (implicit). */
export function derContext(n: number, content: Uint8Array, constructed: boolean): Buffer {
  return derElement((constructed ? 0xa0 : 0x80) | n, content);
}
