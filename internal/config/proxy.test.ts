// `tls.proxy` validation (kes-api.md §5.5, §13): a proxy identity is neither the admin nor in a
// policy, the header name is required once identities are listed and must be an HTTP token, and
// the KES sample's header-without-identities stays a no-op.

import { describe, expect, test } from "vitest";
import { ConfigError, parseConfigText } from "./load.js";

const PROXY = "aa".repeat(32);
const CLIENT = "bb".repeat(32);
const ADMIN = "cc".repeat(32);

function yaml(proxy: string, policyIdentities = `[${CLIENT}]`): string {
  return `admin:
  identity: ${ADMIN}
tls:
  key: k
  cert: c
  proxy:
${proxy}
policy:
  app:
    allow: [/v1/key/*]
    identities: ${policyIdentities}
keystore:
  fs:
    path: p
`;
}

function problemsOf(text: string): readonly string[] {
  try {
    parseConfigText(text, "p.yml", {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe("tls.proxy", () => {
  test("identities and header load into tls.proxy, the header name as written", () => {
    const text = yaml(`    identities: [${PROXY}]\n    header:\n      cert: X-Tls-Client-Cert`);
    const { config, warnings } = parseConfigText(text, "p.yml", {});
    expect(config.tls.proxy).toEqual({ identities: [PROXY], header: "X-Tls-Client-Cert" });
    expect(warnings).toEqual([]);
  });

  test("a header without identities (the KES sample config) configures no proxy", () => {
    const { config } = parseConfigText(
      yaml("    identities: []\n    header:\n      cert: X-Tls-Client-Cert"),
      "p.yml",
      {},
    );
    expect(config.tls.proxy).toBeUndefined();
    expect("proxy" in config.tls).toBe(false);
  });

  test("identities without a header name: error", () => {
    expect(problemsOf(yaml(`    identities: [${PROXY}]`))).toEqual([
      "p.yml:6 tls.proxy.header.cert: required when tls.proxy.identities is set (e.g. X-Tls-Client-Cert)",
    ]);
  });

  test.each(["Host", "content-length", "X-Forwarded-For"])(
    "a standard header (%s) is refused",
    (h) => {
      expect(problemsOf(yaml(`    identities: [${PROXY}]\n    header:\n      cert: ${h}`))).toEqual(
        [
          `p.yml:9 tls.proxy.header.cert: '${h}' is a standard HTTP header (want one such as X-Tls-Client-Cert)`,
        ],
      );
    },
  );

  test("every problem at once: admin, policy member, bad identity, bad header name", () => {
    const text = yaml(
      `    identities: [${ADMIN}, ${CLIENT}, "not/an/id"]\n    header:\n      cert: "X Tls: cert"`,
    );
    expect(problemsOf(text)).toEqual([
      "p.yml:7 tls.proxy.identities[0]: the admin identity cannot be a TLS proxy identity",
      "p.yml:7 tls.proxy.identities[2]: invalid identity 'not/an/id'",
      "p.yml:9 tls.proxy.header.cert: invalid header name 'X Tls: cert' (want a token such as X-Tls-Client-Cert)",
      `p.yml:13 policy.app.identities[0]: identity '${CLIENT}' is a TLS proxy and cannot be assigned to a policy`,
    ]);
  });
});
