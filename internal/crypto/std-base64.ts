// Strict standard base64 (RFC 4648 §4, padded), as Go's base64.StdEncoding decodes it.
// Node's Buffer.from(…, "base64") silently skips invalid characters and accepts the URL
// alphabet; this module must never accept anything Go's StdEncoding rejects.

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const LINE_BREAKS = /[\r\n]/g;

/** Decodes padded standard base64 (CR and LF ignored, as Go does); undefined if invalid. */
export function decodeStdBase64(text: string): Buffer | undefined {
  const clean = text.includes("\n") || text.includes("\r") ? text.replace(LINE_BREAKS, "") : text;
  if (!STD_BASE64.test(clean)) return undefined;
  return Buffer.from(clean, "base64");
}

export function encodeStdBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64");
}
