import { describe, expect, test } from "vitest";
import { VaultTransportError } from "../keystore/vault/http.js";
import { reachHint } from "./vault-reach.js";

const wrapped = (code: string, message = "x") =>
  new VaultTransportError("vault: request failed", {
    cause: Object.assign(new Error(message), { code }),
  });

describe("reachHint", () => {
  test.each([
    ["ERR_TLS_CERT_ALTNAME_INVALID", "", /does not name the host of https:\/\/v:8200/],
    ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "", /set keystore\.vault\.tls\.ca/],
    ["SELF_SIGNED_CERT_IN_CHAIN", "", /set keystore\.vault\.tls\.ca/],
    ["ECONNREFUSED", "", /is Vault running and listening at https:\/\/v:8200\?/],
    ["ENOTFOUND", "", /does not resolve/],
    ["ERR_SSL_WRONG_VERSION_NUMBER", "wrong version number", /does not speak TLS/],
    ["", "request timed out after 5000 ms", /nothing answered within 5000 ms/],
  ])("%s %s", (code, message, want) => {
    expect(reachHint(wrapped(code, message), "https://v:8200")).toMatch(want);
  });
});
