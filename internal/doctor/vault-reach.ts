// `keyfront doctor`: whether one Vault endpoint answers (sys/health, unauthenticated, over the
// configured TLS) and in which state, and what a transport failure means for the operator (an
// untrusted certificate, a wrong host name, nothing listening, plain HTTP). Each call is bounded
// by DOCTOR_CHECK_TIMEOUT_MS. It sends no token.

import { HEALTH_QUERY, stateOfHealth } from "../keystore/vault/health.js";
import { describeError, type VaultHttpClient } from "../keystore/vault/http.js";
import { DOCTOR_CHECK_TIMEOUT_MS } from "../limits.js";
import { type CheckResult, fail, ok, warn } from "./report.js";

/** vault.reach and vault.state for one endpoint; true when it can serve keys (active/standby). */
export async function checkEndpoint(
  client: VaultHttpClient,
  endpoint: string,
  out: CheckResult[],
): Promise<boolean> {
  let body: unknown;
  try {
    const res = await client.request({
      method: "GET",
      path: "sys/health",
      query: HEALTH_QUERY,
      retries: 0,
      signal: AbortSignal.timeout(DOCTOR_CHECK_TIMEOUT_MS),
    });
    body = res.body;
  } catch (err) {
    out.push(
      fail(
        "vault.reach",
        `cannot reach Vault at ${endpoint}: ${causeText(err)}`,
        reachHint(err, endpoint),
      ),
    );
    return false;
  }
  out.push(
    endpoint.startsWith("http:")
      ? warn(
          "vault.reach",
          `Vault at ${endpoint} answers over plain HTTP: the token and keys cross the network unencrypted`,
          "use https:// with keystore.vault.tls.ca",
        )
      : ok("vault.reach", `Vault at ${endpoint} answers over verified TLS`),
  );
  const state = stateOfHealth(body);
  switch (state) {
    case "ok":
      out.push(ok("vault.state", `Vault at ${endpoint} is active and unsealed`));
      return true;
    case "standby":
      out.push(
        warn(
          "vault.state",
          `Vault at ${endpoint} is a standby node: it forwards or redirects to the active node`,
          "list the active node or the cluster's load-balanced address in keystore.vault.endpoint(s)",
        ),
      );
      return true;
    case "sealed":
      out.push(
        fail(
          "vault.state",
          `Vault at ${endpoint} is sealed: every key operation fails`,
          "unseal it (vault operator unseal)",
        ),
      );
      return false;
    case "uninitialized":
      out.push(
        fail(
          "vault.state",
          `Vault at ${endpoint} is not initialized`,
          "initialize and unseal it (vault operator init)",
        ),
      );
      return false;
    default:
      out.push(
        fail(
          "vault.state",
          `Vault at ${endpoint} gave an unexpected sys/health answer`,
          "is keystore.vault.endpoint a Vault server?",
        ),
      );
      return false;
  }
}

/** The innermost error: Node's TLS and socket errors carry a code (CERT_…, ECONNREFUSED). */
function rootOf(err: unknown): Error & { code?: string } {
  let e = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e : new Error(String(e));
}

export function causeText(err: unknown): string {
  const root = rootOf(err);
  return root === err ? describeError(err) : `${describeError(err)} (${describeError(root)})`;
}

export function reachHint(err: unknown, endpoint: string): string {
  const root = rootOf(err);
  const code = root.code ?? "";
  const text = `${code} ${root.message}`;
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return `Vault's certificate does not name the host of ${endpoint}: connect with a name in its SANs, or reissue it`;
  }
  if (/CERT|SELF_SIGNED|ISSUER|UNABLE_TO_VERIFY/.test(code)) {
    return "set keystore.vault.tls.ca to the CA that issued Vault's certificate";
  }
  if (code === "ECONNREFUSED") return `is Vault running and listening at ${endpoint}?`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN")
    return "the host name does not resolve: check keystore.vault.endpoint";
  if (/wrong version number|EPROTO|packet length/i.test(text)) {
    return "the endpoint does not speak TLS: check http:// versus https://";
  }
  if (/timed out|TimeoutError|aborted/i.test(text)) {
    return `nothing answered within ${DOCTOR_CHECK_TIMEOUT_MS} ms: check the address and any firewall`;
  }
  return "check keystore.vault.endpoint and the network path to Vault";
}
