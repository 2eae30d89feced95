// The start banner of `keyfront server` (stderr): version, the address it really binds, an
// endpoint to reach it from this host, the admin, which keystore serves (never a credential), and
// for the embedded default and --dev what to paste next.

import type { Config } from "../../internal/config/config.js";

interface Bound {
  address: string;
  port: number;
  family: string;
}

export interface BannerInput {
  version: string;
  /** What the socket is bound to, e.g. { address: "0.0.0.0", port: 7373, family: "IPv4" }. */
  bound: Bound;
  config: Config;
  /** --dev: the keys live in memory, not in the configured keystore. */
  inMemory: boolean;
  extra: string[];
  /** Lines printed after the banner (what to paste next). */
  next?: string[];
}

function hostText(addr: Bound): string {
  return addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
}

/** The endpoint clients on this host use: a wildcard bind is reached through loopback. */
export function localEndpoint(addr: Bound): string {
  let host = hostText(addr);
  if (addr.address === "0.0.0.0") host = "127.0.0.1";
  else if (addr.address === "::") host = "[::1]";
  return `https://${host}:${addr.port}`;
}

/** The listen address as bound, saying so when it is every interface. */
export function boundText(addr: Bound): string {
  const text = `${hostText(addr)}:${addr.port}`;
  return addr.address === "0.0.0.0" || addr.address === "::" ? `${text} (all interfaces)` : text;
}

/** An endpoint URL without user info, query or fragment: nothing secret reaches the banner. */
function safeUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    return "<invalid endpoint>";
  }
}

/** Which keystore serves: the fs path, in memory, or Vault's endpoints, mount, prefix, namespace. */
export function keystoreText(config: Config, inMemory: boolean): string {
  if (inMemory) return "in memory (ephemeral: keys vanish on exit)";
  const ks = config.keystore;
  if (ks.kind === "fs") return `fs ${ks.fs.path}`;
  const v = ks.vault;
  const parts = [
    `vault ${v.endpoints.map(safeUrl).join(", ")}`,
    `engine ${v.engine} (K/V ${v.version})`,
  ];
  if (v.prefix) parts.push(`prefix ${v.prefix}`);
  if (v.namespace) parts.push(`namespace ${v.namespace}`);
  if (v.transit) parts.push(`transit ${v.transit.engine}/${v.transit.key}`);
  return parts.join(", ");
}

export function bannerText(b: BannerInput): string {
  const admin = /^[0-9a-f]{64}$/.test(b.config.admin.identity)
    ? b.config.admin.identity
    : "<disabled>";
  const lines = [
    `keyfront ${b.version}, a KES-compatible key server`,
    `Listening  ${boundText(b.bound)}`,
    `Endpoint   ${localEndpoint(b.bound)}`,
    `Admin      ${admin}`,
    `Keystore   ${keystoreText(b.config, b.inMemory)}`,
    ...b.extra,
  ];
  if (b.next && b.next.length > 0) lines.push("", ...b.next);
  lines.push("", "=> Server is up and running...");
  return `${lines.join("\n")}\n`;
}
