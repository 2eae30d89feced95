// The value KES writes to a key store for a key, in all three eras (kes-api.md §7.8):
// base64 of the protobuf KeyVersion (HEAD), and the two legacy JSON forms (read only).
// Pure: no I/O. Must never throw anything but InvalidKeyEncodingError while decoding, and must
// never put key bytes into an error message.

import { KEY_BYTES } from "../limits.js";
import { type Algorithm, parseAlgorithm } from "./algorithm.js";
import { bytesField, parseJsonText, readStructFields, stringField } from "./go-json.js";
import { keyMaterialFrom } from "./key-material.js";
import type { KeyVersion } from "./key-version.js";
import { ProtoReader, ProtoWriter, type Tag, WIRE_BYTES, WIRE_VARINT } from "./protobuf-wire.js";
import { decodeStdBase64 } from "./std-base64.js";
import { parseTimestamp, type Timestamp, ZERO_TIMESTAMP } from "./timestamp.js";

/**
 * Creator identities repeat across keys (an operator's identity makes most of them): one string
 * per identity, for the first 256 seen, instead of a 64-character copy per cached key.
 */
const creators = new Map<string, string>();
function creator(identity: string): string {
  const known = creators.get(identity);
  if (known !== undefined) return known;
  if (creators.size < 256) creators.set(identity, identity);
  return identity;
}

/** A stored key value cannot be decoded. The message says what is wrong, never the bytes. */
export class InvalidKeyEncodingError extends Error {
  constructor(reason: string) {
    super(`invalid key encoding: ${reason}`);
    this.name = "InvalidKeyEncodingError";
  }
}

// Protobuf numbers of miniohq.kms.KeyVersion and its parts (kes-api.md §7.8).
const KV_KEY = 1;
const KV_HMAC_KEY = 2;
const KV_CREATED_AT = 3;
const KV_CREATED_BY = 4;
const SK_KEY = 1;
const SK_TYPE = 2;
const HK_KEY = 1;
const HK_HASH = 2;
const TS_SECONDS = 1;
const TS_NANOS = 2;
const TYPE_AES256 = 1;
const TYPE_CHACHA20 = 2;
const HASH_SHA256 = 1;
const U32 = 32;
const I32 = 32;
const I64 = 64;

const TYPE_OF: Readonly<Record<Algorithm, number>> = {
  AES256: TYPE_AES256,
  ChaCha20: TYPE_CHACHA20,
};

/** Standard padded base64 of the protobuf KeyVersion. Requires an HMAC key (HEAD form). */
export function encodeKeyVersion(kv: KeyVersion): string {
  if (kv.key.length !== KEY_BYTES) throw new InvalidKeyEncodingError("secret key is not 32 bytes");
  if (kv.hmacKey?.length !== KEY_BYTES) {
    throw new InvalidKeyEncodingError("the protobuf form requires a 32-byte HMAC key");
  }
  const secret = new ProtoWriter()
    .optionalBytes(SK_KEY, kv.key)
    .varint(SK_TYPE, BigInt(TYPE_OF[kv.algorithm]))
    .finish();
  const hmac = new ProtoWriter()
    .optionalBytes(HK_KEY, kv.hmacKey)
    .varint(HK_HASH, BigInt(HASH_SHA256))
    .finish();
  const created = new ProtoWriter()
    .varint(TS_SECONDS, kv.createdAt.seconds)
    .varint(TS_NANOS, BigInt(kv.createdAt.nanos))
    .finish();
  const out = new ProtoWriter()
    .bytes(KV_KEY, secret)
    .bytes(KV_HMAC_KEY, hmac)
    .bytes(KV_CREATED_AT, created)
    .optionalBytes(KV_CREATED_BY, Buffer.from(kv.createdBy, "utf8"))
    .finish();
  const text = out.toString("base64");
  secret.fill(0);
  hmac.fill(0);
  out.fill(0);
  return text;
}

/** Reads a stored key value of any era. Throws InvalidKeyEncodingError on any problem. */
export function decodeKeyVersion(value: string): KeyVersion {
  try {
    // KES compat, kes-api.md §7.8: valid JSON means one of the legacy JSON forms.
    const json = parseJsonText(value);
    if (json !== undefined) return decodeLegacyJson(json.value);
    const bytes = decodeStdBase64(value);
    if (bytes === undefined) throw new InvalidKeyEncodingError("neither JSON nor base64");
    try {
      return decodeProtobuf(bytes);
    } finally {
      bytes.fill(0);
    }
  } catch (err) {
    if (err instanceof InvalidKeyEncodingError) throw err;
    throw new InvalidKeyEncodingError(err instanceof Error ? err.message : "malformed value");
  }
}

const LEGACY_FIELDS = ["bytes", "algorithm", "created_at", "created_by"] as const;

function decodeLegacyJson(value: unknown): KeyVersion {
  const fields = readStructFields(value, LEGACY_FIELDS);
  const key = bytesField(fields, "bytes");
  if (key.length !== KEY_BYTES) {
    key.fill(0);
    throw new InvalidKeyEncodingError("secret key is not 32 bytes");
  }
  const name = stringField(fields, "algorithm");
  // KES compat, kes-api.md §7.8: no algorithm (≤ v0.18) is read as AES256.
  const algorithm = name === "" ? "AES256" : parseAlgorithm(name);
  if (algorithm === undefined) throw new InvalidKeyEncodingError("unknown algorithm");
  const createdAtText = fields.has("created_at") ? stringField(fields, "created_at") : undefined;
  const createdAt =
    createdAtText === undefined ? { ...ZERO_TIMESTAMP } : parseTimestamp(createdAtText);
  if (createdAt === undefined) throw new InvalidKeyEncodingError("created_at is not RFC 3339");
  const createdBy = creator(stringField(fields, "created_by"));
  return { key: keyMaterialFrom(key), algorithm, hmacKey: undefined, createdAt, createdBy };
}

interface Fields {
  key: Buffer | undefined;
  type: number;
  hmacKey: Buffer | undefined;
  hash: number;
  seconds: bigint;
  nanos: number;
  createdBy: string;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// Reads the fields of one message; `onField` returns false for a field it does not know (or
// whose wire type does not match), which is then skipped, as protobuf-go does.
function readMessage(bytes: Buffer, onField: (r: ProtoReader, t: Tag) => boolean): void {
  const r = new ProtoReader(bytes);
  while (!r.done()) {
    const tag = r.readTag();
    if (!onField(r, tag)) r.skip(tag);
  }
}

function decodeProtobuf(bytes: Buffer): KeyVersion {
  const f: Fields = {
    key: undefined,
    type: 0,
    hmacKey: undefined,
    hash: 0,
    seconds: 0n,
    nanos: 0,
    createdBy: "",
  };
  readMessage(bytes, (r, t) => {
    if (t.wire !== WIRE_BYTES) return false;
    // Repeated message fields merge, as in protobuf-go.
    if (t.field === KV_KEY) readMessage(r.readBytes(), (s, u) => readSecretKey(f, s, u));
    else if (t.field === KV_HMAC_KEY) readMessage(r.readBytes(), (s, u) => readHmacKey(f, s, u));
    else if (t.field === KV_CREATED_AT)
      readMessage(r.readBytes(), (s, u) => readTimestamp(f, s, u));
    else if (t.field === KV_CREATED_BY) f.createdBy = creator(UTF8.decode(r.readBytes()));
    else return false;
    return true;
  });
  return checkFields(f);
}

function readSecretKey(f: Fields, r: ProtoReader, t: Tag): boolean {
  if (t.field === SK_KEY && t.wire === WIRE_BYTES) f.key = r.readBytes();
  else if (t.field === SK_TYPE && t.wire === WIRE_VARINT) f.type = toU32(r.readVarint());
  else return false;
  return true;
}

function readHmacKey(f: Fields, r: ProtoReader, t: Tag): boolean {
  if (t.field === HK_KEY && t.wire === WIRE_BYTES) f.hmacKey = r.readBytes();
  else if (t.field === HK_HASH && t.wire === WIRE_VARINT) f.hash = toU32(r.readVarint());
  else return false;
  return true;
}

function readTimestamp(f: Fields, r: ProtoReader, t: Tag): boolean {
  if (t.field === TS_SECONDS && t.wire === WIRE_VARINT)
    f.seconds = BigInt.asIntN(I64, r.readVarint());
  else if (t.field === TS_NANOS && t.wire === WIRE_VARINT) {
    f.nanos = Number(BigInt.asIntN(I32, r.readVarint()));
  } else return false;
  return true;
}

function toU32(v: bigint): number {
  return Number(BigInt.asUintN(U32, v));
}

function checkFields(f: Fields): KeyVersion {
  if (f.key?.length !== KEY_BYTES) throw new InvalidKeyEncodingError("secret key is not 32 bytes");
  let algorithm: Algorithm;
  if (f.type === TYPE_AES256) algorithm = "AES256";
  else if (f.type === TYPE_CHACHA20) algorithm = "ChaCha20";
  else throw new InvalidKeyEncodingError(`unknown secret key type ${f.type}`);
  if (f.hmacKey?.length !== KEY_BYTES)
    throw new InvalidKeyEncodingError("HMAC key is not 32 bytes");
  if (f.hash !== HASH_SHA256) throw new InvalidKeyEncodingError(`unknown HMAC hash ${f.hash}`);
  const createdAt: Timestamp = { seconds: f.seconds, nanos: f.nanos };
  // Copies: the decoded buffer is zeroed by the caller.
  return {
    key: keyMaterialFrom(f.key),
    algorithm,
    hmacKey: keyMaterialFrom(f.hmacKey),
    createdAt,
    createdBy: f.createdBy,
  };
}
