// The few MessagePack forms of the v0.19.2 … 2024-01 KES ciphertext (kes-api.md §7.5.2):
// reading and writing str (fixstr, str8/16/32) and bin (bin8/16/32).
// Pure: no I/O. Must never read past its buffer: malformed input reads as undefined, never throws.

const FIXSTR = 0xa0;
const FIXSTR_MASK = 0xe0;
const FIXSTR_MAX = 31;
const STR8 = 0xd9;
const STR16 = 0xda;
const STR32 = 0xdb;
const BIN8 = 0xc4;
const BIN16 = 0xc5;
const BIN32 = 0xc6;
const U8_MAX = 0xff;
const U16_MAX = 0xffff;

/** A cursor over a MessagePack byte string. */
export class MsgpackReader {
  constructor(
    private readonly buf: Buffer,
    public pos = 0,
  ) {}

  done(): boolean {
    return this.pos === this.buf.length;
  }

  // Reads a 1/2/4-byte big-endian length; undefined if truncated.
  private readLength(size: 1 | 2 | 4): number | undefined {
    if (this.buf.length - this.pos < size) return undefined;
    const len = this.buf.readUIntBE(this.pos, size);
    this.pos += size;
    return len;
  }

  private take(len: number | undefined): Buffer | undefined {
    if (len === undefined || len > this.buf.length - this.pos) return undefined;
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  /** A str object's bytes (view, no copy). */
  readStr(): Buffer | undefined {
    const lead = this.buf[this.pos++];
    if (lead === undefined) return undefined;
    if ((lead & FIXSTR_MASK) === FIXSTR) return this.take(lead & FIXSTR_MAX);
    if (lead === STR8) return this.take(this.readLength(1));
    if (lead === STR16) return this.take(this.readLength(2));
    if (lead === STR32) return this.take(this.readLength(4));
    return undefined;
  }

  /** A bin object's bytes (view, no copy). */
  readBin(): Buffer | undefined {
    const lead = this.buf[this.pos++];
    if (lead === BIN8) return this.take(this.readLength(1));
    if (lead === BIN16) return this.take(this.readLength(2));
    if (lead === BIN32) return this.take(this.readLength(4));
    return undefined;
  }
}

function header(len: number, small: number, medium: number, large: number): Buffer {
  if (len <= U8_MAX) return Buffer.from([small, len]);
  const out = Buffer.alloc(len <= U16_MAX ? 3 : 5);
  if (len <= U16_MAX) {
    out[0] = medium;
    out.writeUInt16BE(len, 1);
  } else {
    out[0] = large;
    out.writeUInt32BE(len, 1);
  }
  return out;
}

/** The smallest str header for `len` bytes (fixstr up to 31). */
export function strHeader(len: number): Buffer {
  if (len <= FIXSTR_MAX) return Buffer.from([FIXSTR | len]);
  return header(len, STR8, STR16, STR32);
}

/** The smallest bin header for `len` bytes. */
export function binHeader(len: number): Buffer {
  return header(len, BIN8, BIN16, BIN32);
}
