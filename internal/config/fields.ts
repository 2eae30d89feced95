// Small field readers shared by the normalisers: required strings, durations, addresses. Pure.
// They report into Problems and return a usable fallback; they must never throw.

import { parseDuration } from "./duration.js";
import type { Problems, Segment } from "./problems.js";

/** A required, non-empty string; reports and returns "" otherwise. */
export function readRequired(p: Problems, path: Segment[], value: string | undefined): string {
  if (value === undefined) p.error(path, "required field is missing");
  else if (value === "") p.error(path, "must not be empty");
  return value ?? "";
}

/** An optional string where "" means unset (Go's zero value). */
export function readOptional(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** A non-negative duration in ms; undefined when absent or reported as invalid. */
export function readDuration(
  p: Problems,
  path: Segment[],
  text: string | undefined,
  opts: { days?: boolean } = {},
): number | undefined {
  if (text === undefined) return undefined;
  let ms: number;
  try {
    ms = parseDuration(text, opts);
  } catch (err) {
    p.error(path, (err as Error).message);
    return undefined;
  }
  if (ms < 0) {
    p.error(path, `must not be negative, got '${text}'`);
    return undefined;
  }
  return ms;
}

/** `ms` when positive, else the default: 0 means "use the default" throughout KES's config. */
export function positiveOr(ms: number | undefined, fallback: number): number {
  return ms !== undefined && ms > 0 ? ms : fallback;
}

export const DEFAULT_ADDRESS = "0.0.0.0:7373";

const IPV4 =
  /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;
const PORT = /^[0-9]{1,5}$/;

/** Normalises `host:port` (empty host → 0.0.0.0; IPv6 in brackets) or throws a reason. */
export function parseAddress(text: string): string {
  let host: string;
  let port: string;
  const v6 = /^\[([^\]]*)\]:([^:]*)$/.exec(text);
  if (v6 !== null) {
    host = v6[1] ?? "";
    port = v6[2] ?? "";
    if (!isIPv6(host)) throw new Error(`invalid address '${text}': host must be an IP address`);
  } else {
    const colon = text.lastIndexOf(":");
    if (colon < 0) throw new Error(`invalid address '${text}': missing port`);
    host = text.slice(0, colon);
    port = text.slice(colon + 1);
    if (host.includes(":")) throw new Error(`invalid address '${text}': IPv6 host needs brackets`);
    if (host === "") host = "0.0.0.0";
    if (!IPV4.test(host)) throw new Error(`invalid address '${text}': host must be an IP address`);
  }
  if (!PORT.test(port) || Number(port) > 65_535) {
    throw new Error(`invalid address '${text}': invalid port '${port}'`);
  }
  return v6 !== null ? `[${host}]:${Number(port)}` : `${host}:${Number(port)}`;
}

function isIPv6(host: string): boolean {
  if (!host.includes(":") || /[^0-9A-Fa-f:.]/.test(host)) return false;
  try {
    new URL(`http://[${host}]/`);
    return true;
  } catch {
    return false;
  }
}
