// The keyfront config of the end-to-end tests that run the real server on a Vault (test server or
// real): the fixture's admin and server certificate, debug error log, one K/V engine. `token` is
// written as given (a literal or `${VAULT_TOKEN}`); `vault` is appended inside `keystore.vault`
// (another login method, `tls`), `extra` at the top level.

import type { Fixture } from "../../api/fixture.js";

export interface VaultServerYaml {
  addr: string;
  engine: string;
  version: "v1" | "v2";
  /** Absent: `vault` names the login method. */
  token?: string;
  /** YAML lines (indented four spaces) appended inside keystore.vault. */
  vault?: string;
  /** keystore.vault.status.ping, e.g. "300ms"; Vault's default when absent. */
  ping?: string;
  /** keystore.vault.prefix; none when absent. */
  prefix?: string;
  /** keystore.vault.tls.ca (a path, e.g. `${DIR}/vault-ca.pem`); none when absent. */
  ca?: string;
  audit?: boolean;
}

export function vaultServerYaml(f: Fixture, o: VaultServerYaml, extra = ""): string {
  return `
admin:
  identity: ${f.clients.admin.identity}
tls:
  key: \${DIR}/server.key
  cert: \${DIR}/server.crt
log:
  error: debug
${o.audit ? "  audit: on\n" : ""}keystore:
  vault:
    endpoint: ${o.addr}
    engine: ${o.engine}
    version: ${o.version}
${o.token !== undefined ? `    token: ${o.token}\n` : ""}${o.prefix ? `    prefix: ${o.prefix}\n` : ""}${o.ca ? `    tls:\n      ca: ${o.ca}\n` : ""}${o.ping ? `    status:\n      ping: ${o.ping}\n` : ""}${o.vault ?? ""}${extra}`;
}
