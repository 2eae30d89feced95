// PEM (RFC 7468, plus RFC 1421 headers for legacy encrypted keys): split text into typed blocks,
// and write blocks back. Pure. It must never put key bytes into an error message.

export interface PemBlock {
  /** The label between BEGIN and END, e.g. `CERTIFICATE`, `PRIVATE KEY`. */
  readonly type: string;
  /** RFC 1421 headers such as Proc-Type and DEK-Info, in order; empty for plain blocks. */
  readonly headers: ReadonlyMap<string, string>;
  readonly der: Buffer;
}

const BEGIN = /^-----BEGIN ([\x21-\x2c\x2e-\x7e](?:[- ]?[\x21-\x2c\x2e-\x7e])*)?-----$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const LINE_WIDTH = 64;

/** Parses the body lines of one block: optional headers, a blank line, then base64. */
function parseBody(type: string, lines: string[]): PemBlock {
  const headers = new Map<string, string>();
  let i = 0;
  if (lines[0]?.includes(":")) {
    for (; i < lines.length && lines[i] !== ""; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(":");
      if (colon <= 0) throw new Error(`invalid PEM header in ${type} block`);
      headers.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
  }
  const b64 = lines.slice(i).join("");
  if (!BASE64.test(b64) || b64.length % 4 !== 0) {
    throw new Error(`invalid base64 in PEM ${type} block`);
  }
  return { type, headers, der: Buffer.from(b64, "base64") };
}

/** All PEM blocks in `text`, in order. Text outside blocks is ignored (as Go's pem.Decode does). */
export function parsePemBlocks(text: string): PemBlock[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const blocks: PemBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = BEGIN.exec(lines[i] as string);
    if (m === null) continue;
    const type = m[1] ?? "";
    const end = lines.indexOf(`-----END ${type}-----`, i + 1);
    if (end < 0) throw new Error(`PEM ${type} block has no END line`);
    blocks.push(parseBody(type, lines.slice(i + 1, end)));
    i = end;
  }
  return blocks;
}

/** Writes one PEM block with 64-character lines; headers (if any) first, then a blank line. */
export function formatPemBlock(
  type: string,
  der: Uint8Array,
  headers?: [string, string][],
): string {
  const b64 = Buffer.from(der).toString("base64");
  const out = [`-----BEGIN ${type}-----`];
  if (headers !== undefined && headers.length > 0) {
    for (const [k, v] of headers) out.push(`${k}: ${v}`);
    out.push("");
  }
  for (let i = 0; i < b64.length; i += LINE_WIDTH) out.push(b64.slice(i, i + LINE_WIDTH));
  out.push(`-----END ${type}-----`, "");
  return out.join("\n");
}

/**
 * The DER certificates of a PEM file in which only `CERTIFICATE` blocks are allowed
 * (kes-api.md §1.1, `tls.cert`). Throws if there is none or another block type appears.
 */
export function certificatePemBlocks(text: string): Buffer[] {
  const blocks = parsePemBlocks(text);
  for (const b of blocks) {
    if (b.type !== "CERTIFICATE") {
      throw new Error(`invalid PEM block type '${b.type}': only CERTIFICATE blocks are allowed`);
    }
  }
  if (blocks.length === 0) throw new Error("no PEM CERTIFICATE block found");
  return blocks.map((b) => b.der);
}
