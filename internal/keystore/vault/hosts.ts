// An /etc/hosts-style name lookup for the Vault HTTP client, for tests and operations only
// (KEYFRONT_VAULT_HOSTS_FILE, README "HA Vault behind a DNS name"): it lets a test move a Vault
// name from one loopback address to another without root and without a DNS server. The file is
// read again on every lookup — as getaddrinfo reads /etc/hosts on every call — so a changed file
// takes effect on the next new connection; a name the file does not list goes to the system
// resolver (dns.lookup), so production behaviour is unchanged. It must never cache an answer,
// and never read more than VAULT_HOSTS_FILE_BYTES of the file.

import { lookup as systemLookup } from "node:dns";
import { open } from "node:fs/promises";
import { isIP, type LookupFunction } from "node:net";
import { VAULT_HOSTS_FILE_BYTES } from "../../limits.js";

export interface HostAddress {
  address: string;
  family: 4 | 6;
}

/** The addresses `text` (hosts(5) format: `address name [alias…]`, `#` comments) lists for `host`. */
export function addressesOf(text: string, host: string): HostAddress[] {
  const wanted = host.toLowerCase();
  const found: HostAddress[] = [];
  for (const line of text.split("\n")) {
    const [address, ...names] = (line.split("#")[0] ?? "").trim().split(/\s+/);
    const family = isIP(address ?? "");
    if (address === undefined || (family !== 4 && family !== 6)) continue;
    if (names.some((n) => n.toLowerCase() === wanted)) found.push({ address, family });
  }
  return found;
}

async function readHosts(file: string): Promise<string> {
  const handle = await open(file, "r");
  try {
    const buf = Buffer.alloc(VAULT_HOSTS_FILE_BYTES);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString("utf8");
  } finally {
    await handle.close();
  }
}

/** A net/tls `lookup` that answers from `file` first and from the system resolver otherwise. */
export function hostsFileLookup(file: string): LookupFunction {
  return (hostname, options, callback) => {
    readHosts(file).then(
      (text) => {
        const family = options.family === 4 || options.family === 6 ? options.family : 0;
        const found = addressesOf(text, hostname).filter(
          (a) => family === 0 || a.family === family,
        );
        if (found.length === 0) {
          systemLookup(hostname, options, callback);
        } else if (options.all) {
          callback(null, found);
        } else {
          const first = found[0] as HostAddress;
          callback(null, first.address, first.family);
        }
      },
      (err: NodeJS.ErrnoException) => callback(err, "", 0),
    );
  };
}
