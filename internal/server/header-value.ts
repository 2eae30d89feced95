// Header values built from text a client may influence (X-Keyfront-Detail names fields, paths,
// states). Node's writeHead throws on control characters and on anything above U+00FF, and a
// throw while answering must never be possible, so every such value is reduced to printable
// ASCII: `\` becomes `\\`, and `"` and any character outside U+0020..U+007E a JSON-style `\uXXXX`
// escape (UTF-16 code units). A reader recovers the text with JSON.parse(`"${value}"`). Pure.

const UNSAFE = /[^\x20\x21\x23-\x5b\x5d-\x7e]/g;

export function asciiHeaderValue(text: string): string {
  return text.replace(UNSAFE, (c) =>
    c === "\\" ? "\\\\" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
