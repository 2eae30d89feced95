// Parses IPv4 and IPv6 text into the 4 or 16 network-order bytes an X.509 iPAddress SAN holds
// (RFC 5280 §4.2.1.6). Pure. It must never accept zone IDs, prefixes or host names.

import { isIPv4, isIPv6 } from "node:net";

function bytesOfIPv4(text: string): number[] {
  return text.split(".").map((p) => Number.parseInt(p, 10));
}

/** The 4 (IPv4) or 16 (IPv6, including IPv4-embedded forms) bytes of an IP address literal. */
export function bytesOfIpAddress(text: string): Buffer {
  if (isIPv4(text)) return Buffer.from(bytesOfIPv4(text));
  if (!isIPv6(text) || text.includes("%")) throw new Error(`invalid IP address '${text}'`);
  let rest = text;
  const tail: number[] = [];
  const lastColon = rest.lastIndexOf(":");
  const last = rest.slice(lastColon + 1);
  if (isIPv4(last)) {
    tail.push(...bytesOfIPv4(last));
    rest = `${rest.slice(0, lastColon + 1)}0:0`; // placeholder groups, replaced below
  }
  const [head = "", end] = rest.split("::");
  const groupsOf = (s: string) => (s === "" ? [] : s.split(":").map((g) => Number.parseInt(g, 16)));
  const headGroups = groupsOf(head);
  const endGroups = end === undefined ? [] : groupsOf(end);
  const zeros = end === undefined ? 0 : 8 - headGroups.length - endGroups.length;
  const groups = [...headGroups, ...new Array<number>(zeros).fill(0), ...endGroups];
  const out = Buffer.alloc(16);
  for (const [i, g] of groups.entries()) out.writeUInt16BE(g, i * 2);
  if (tail.length === 4) Buffer.from(tail).copy(out, 12);
  return out;
}
