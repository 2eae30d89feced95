// A minimal protobuf wire-format reader and writer: varints, length-delimited fields, and
// skipping of unknown fields of every wire type (groups included). Just enough for KeyVersion.
// Pure: no I/O. Must never read past its buffer or loop forever on hostile input: every
// malformed input ends in a ProtobufWireError.

/** The bytes are not well-formed protobuf. Carries no input bytes in its message. */
export class ProtobufWireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtobufWireError";
  }
}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

const MAX_VARINT_BYTES = 10;
const MAX_FIELD_NUMBER = 2 ** 29 - 1;
const FIXED64_BYTES = 8;
const FIXED32_BYTES = 4;
const U64 = 64;

export interface Tag {
  field: number;
  wire: number;
}

export class ProtoReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** An unsigned 64-bit varint (at most 10 bytes, the 10th at most 1, as protobuf-go). */
  readVarint(): bigint {
    let result = 0n;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const b = this.buf[this.pos++];
      if (b === undefined) throw new ProtobufWireError("truncated varint");
      if (i === MAX_VARINT_BYTES - 1 && b > 1)
        throw new ProtobufWireError("varint overflows 64 bits");
      result |= BigInt(b & 0x7f) << BigInt(7 * i);
      if (b < 0x80) return result;
    }
    throw new ProtobufWireError("varint longer than 10 bytes");
  }

  readTag(): Tag {
    const v = this.readVarint();
    const field = v >> 3n;
    if (field < 1n || field > BigInt(MAX_FIELD_NUMBER)) {
      throw new ProtobufWireError("invalid field number");
    }
    return { field: Number(field), wire: Number(v & 7n) };
  }

  /** A length-delimited payload, as a view into the reader's buffer (no copy). */
  readBytes(): Buffer {
    const len = this.readVarint();
    if (len > BigInt(this.buf.length - this.pos)) throw new ProtobufWireError("length past end");
    const start = this.pos;
    this.pos += Number(len);
    return this.buf.subarray(start, this.pos);
  }

  private advance(n: number): void {
    if (n > this.buf.length - this.pos) throw new ProtobufWireError("truncated fixed field");
    this.pos += n;
  }

  /** Skips the value of a field whose tag was just read; groups are skipped to their end. */
  skip(tag: Tag): void {
    const groups: number[] = []; // field numbers of the open groups, innermost last
    let current = tag;
    for (;;) {
      switch (current.wire) {
        case WIRE_VARINT:
          this.readVarint();
          break;
        case WIRE_FIXED64:
          this.advance(FIXED64_BYTES);
          break;
        case WIRE_BYTES:
          this.readBytes();
          break;
        case WIRE_FIXED32:
          this.advance(FIXED32_BYTES);
          break;
        case WIRE_START_GROUP:
          groups.push(current.field);
          break;
        case WIRE_END_GROUP:
          if (groups.pop() !== current.field) throw new ProtobufWireError("mismatched end group");
          break;
        default:
          throw new ProtobufWireError("invalid wire type");
      }
      if (groups.length === 0) return;
      if (this.done()) throw new ProtobufWireError("unterminated group");
      current = this.readTag();
    }
  }
}

export function encodeVarint(value: bigint): Buffer {
  let v = BigInt.asUintN(U64, value);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}

/** Collects encoded fields; `finish` concatenates them once. */
export class ProtoWriter {
  private readonly parts: Buffer[] = [];

  private tag(field: number, wire: number): void {
    this.parts.push(encodeVarint(BigInt(field * 8 + wire)));
  }

  /** A varint field; proto3 omits it when zero. Negative values use 64-bit two's complement. */
  varint(field: number, value: bigint): this {
    if (value === 0n) return this;
    this.tag(field, WIRE_VARINT);
    this.parts.push(encodeVarint(value));
    return this;
  }

  /** A length-delimited field, always written (message presence). */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_BYTES);
    this.parts.push(
      encodeVarint(BigInt(value.length)),
      Buffer.from(value.buffer, value.byteOffset, value.length),
    );
    return this;
  }

  /** A bytes/string field; proto3 omits it when empty. */
  optionalBytes(field: number, value: Uint8Array): this {
    return value.length === 0 ? this : this.bytes(field, value);
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}
