// Argument helpers of the `keyfront key …` commands: parsing with the client options and a count
// of positionals, and strict base64 decoding. A secret (`echo` false) is never quoted in an error.

import { CLIENT_OPTIONS, parseCommand } from "./client-env.js";
import { UsageError } from "./output.js";

export const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes base64; a secret (`echo` false) is never quoted in the error, not even in part. */
export function decodeBase64(text: string, what: string, echo = true): Buffer {
  const compact = text.replace(/[\r\n]/g, "");
  if (!BASE64.test(compact)) {
    const shown = echo ? `: '${text.slice(0, 16)}…'` : "";
    throw new UsageError(`the ${what} is not valid base64${shown}`);
  }
  return Buffer.from(compact, "base64");
}

/** Parses args with the client options; checks the positional count. */
export function parseKeyArgs(args: string[], usage: string, min: number, max: number, extra = {}) {
  const parsed = parseCommand(args, { ...CLIENT_OPTIONS, ...extra }, usage);
  const n = parsed.positionals.length;
  if (n < min) throw new UsageError(`missing argument\nusage: ${usage}`);
  if (n > max) throw new UsageError(`too many arguments\nusage: ${usage}`);
  return parsed;
}
