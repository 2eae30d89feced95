// A minimal, bounds-checked DER reader: just enough of ITU-T X.690 to walk an X.509 certificate
// (RFC 5280 §4.1) to its subjectPublicKeyInfo, subject and extensions. Pure: no I/O.
// It must never read past the buffer it was given, accept indefinite or non-minimal lengths, or
// return a copy where the caller asked for the raw element bytes.

/** One DER element: its tag byte, the raw bytes (header + content) and the content bytes. */
export interface DerElement {
  readonly tag: number;
  readonly raw: Buffer;
  readonly content: Buffer;
}

export const TAG_BOOLEAN = 0x01;
export const TAG_INTEGER = 0x02;
export const TAG_OCTET_STRING = 0x04;
export const TAG_OID = 0x06;
export const TAG_SEQUENCE = 0x30;
/** Context-specific constructed [0] (certificate version). */
export const TAG_CONTEXT_0 = 0xa0;
/** Context-specific constructed [3] (certificate extensions). */
export const TAG_CONTEXT_3 = 0xa3;

/** Lengths beyond 4 length bytes cannot occur in a certificate we accept. */
const MAX_LENGTH_BYTES = 4;

function fail(what: string): never {
  throw new Error(`malformed DER: ${what}`);
}

/** Reads the element starting at `offset`; returns it and the offset just past it. */
export function readDerElement(buf: Buffer, offset: number): { element: DerElement; next: number } {
  if (offset + 2 > buf.length) fail("truncated element header");
  const tag = buf[offset] as number;
  if ((tag & 0x1f) === 0x1f) fail("multi-byte tags are not supported");
  let pos = offset + 1;
  const first = buf[pos++] as number;
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0) fail("indefinite length");
    if (count > MAX_LENGTH_BYTES) fail("length too large");
    if (pos + count > buf.length) fail("truncated length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (buf[pos + i] as number);
    if (buf[pos] === 0 || length < 0x80) fail("non-minimal length");
    pos += count;
  }
  const end = pos + length;
  if (end > buf.length) fail("element exceeds its container");
  return {
    element: { tag, raw: buf.subarray(offset, end), content: buf.subarray(pos, end) },
    next: end,
  };
}

/** Reads exactly one element that must fill `buf` completely. */
export function readSingleDerElement(buf: Buffer): DerElement {
  const { element, next } = readDerElement(buf, 0);
  if (next !== buf.length) fail("trailing data");
  return element;
}

/** The children of a constructed element, in order. */
export function readDerChildren(parent: DerElement): DerElement[] {
  if ((parent.tag & 0x20) === 0) fail("expected a constructed element");
  const out: DerElement[] = [];
  let pos = 0;
  while (pos < parent.content.length) {
    const { element, next } = readDerElement(parent.content, pos);
    out.push(element);
    pos = next;
  }
  return out;
}

function expectTag(el: DerElement | undefined, tag: number, what: string): DerElement {
  if (el === undefined) fail(`missing ${what}`);
  if (el.tag !== tag) fail(`unexpected tag 0x${el.tag.toString(16)} for ${what}`);
  return el;
}

/** The fields of a TBSCertificate that keyfront needs (RFC 5280 §4.1.2). */
export interface TbsFields {
  readonly issuer: DerElement;
  readonly subject: DerElement;
  readonly subjectPublicKeyInfo: DerElement;
  /** The Extensions SEQUENCE inside [3], if present. */
  readonly extensions: DerElement | undefined;
}

/** Walks Certificate → tbsCertificate and returns its fields; throws on malformed input. */
export function readTbsFields(certDer: Uint8Array): TbsFields {
  const buf = Buffer.from(certDer.buffer, certDer.byteOffset, certDer.byteLength);
  const cert = expectTag(readSingleDerElement(buf), TAG_SEQUENCE, "Certificate");
  const top = readDerChildren(cert);
  if (top.length !== 3) fail("Certificate must have 3 elements");
  const tbs = readDerChildren(expectTag(top[0], TAG_SEQUENCE, "tbsCertificate"));
  let i = 0;
  if (tbs[0]?.tag === TAG_CONTEXT_0) i++; // optional [0] version
  expectTag(tbs[i++], TAG_INTEGER, "serialNumber");
  expectTag(tbs[i++], TAG_SEQUENCE, "signature algorithm");
  const issuer = expectTag(tbs[i++], TAG_SEQUENCE, "issuer");
  expectTag(tbs[i++], TAG_SEQUENCE, "validity");
  const subject = expectTag(tbs[i++], TAG_SEQUENCE, "subject");
  const subjectPublicKeyInfo = expectTag(tbs[i++], TAG_SEQUENCE, "subjectPublicKeyInfo");
  let extensions: DerElement | undefined;
  for (; i < tbs.length; i++) {
    const el = tbs[i] as DerElement;
    if (el.tag === TAG_CONTEXT_3) {
      const inner = readDerChildren(el);
      if (inner.length !== 1) fail("[3] must hold one Extensions element");
      extensions = expectTag(inner[0], TAG_SEQUENCE, "extensions");
    }
  }
  return { issuer, subject, subjectPublicKeyInfo, extensions };
}

/** The extnValue content (the bytes inside the OCTET STRING) of the extension with `oidDer`. */
export function findExtensionValue(fields: TbsFields, oidDer: Buffer): Buffer | undefined {
  if (fields.extensions === undefined) return undefined;
  for (const ext of readDerChildren(fields.extensions)) {
    const parts = readDerChildren(expectTag(ext, TAG_SEQUENCE, "extension"));
    const oid = expectTag(parts[0], TAG_OID, "extension id");
    if (!oid.content.equals(oidDer)) continue;
    const value = parts[parts.length - 1];
    return expectTag(value, TAG_OCTET_STRING, "extension value").content;
  }
  return undefined;
}
