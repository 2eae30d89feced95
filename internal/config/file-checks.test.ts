import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { generateKeyPair } from "../pki/keys.js";
import { selfSignedServer } from "../pki/self-signed.js";
import { ConfigError, loadConfigFile } from "./load.js";

const dir = mkdtempSync(join(tmpdir(), "keyfront-file-checks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const good = selfSignedServer({ ips: ["127.0.0.1"] });
const ID = "a".repeat(64);

function problemsOf(file: string): readonly string[] {
  try {
    loadConfigFile(file, {}, { checkFiles: true });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe("config file checks", () => {
  test("every broken file is listed with the schema errors, each as file:line path: what", () => {
    const notPem = write("not-pem.crt", "hello\n");
    const keyIsCert = write("cert-as-key.key", good.certPem);
    const blocker = write("blocker", "a file where a directory should be\n");
    const config = write(
      "broken.yml",
      [
        "address: 127.0.0.1:7373", //                          1
        "admin: { identity: disabled }", //                   2
        "tls:", //                                             3
        `  key: ${keyIsCert}`, //                              4
        `  cert: ${notPem}`, //                                5
        `  ca: ${join(dir, "missing-ca.pem")}`, //             6
        "  auth: [on]", //                                     7
        "log: { error: LOUD }", //                             8
        "keystore:", //                                        9
        "  fs:", //                                           10
        `    path: ${join(blocker, "keys")}`, //              11
      ].join("\n"),
    );
    expect(problemsOf(config)).toEqual([
      `${config}:4 tls.key: '${keyIsCert}' is not a usable PEM private key: no PEM private key block found`,
      `${config}:5 tls.cert: '${notPem}' is not a PEM certificate file: no PEM CERTIFICATE block found`,
      `${config}:6 tls.ca: cannot read '${join(dir, "missing-ca.pem")}' (ENOENT)`,
      `${config}:7 tls.auth: expected a string`,
      `${config}:8 log.error: invalid log level 'LOUD'`,
      `${config}:11 keystore.fs.path: '${blocker}' (a parent of '${join(blocker, "keys")}') is not a directory`,
    ]);
  });

  test("Vault TLS files, an encrypted key without its password and a CA directory", () => {
    const cert = write("ok.crt", good.certPem);
    const key = write("ok.key", good.keyPem);
    const emptyCa = join(dir, "empty-ca");
    mkdirSync(emptyCa);
    write("empty-ca/readme.txt", "no certificates here\n");
    const encrypted = generateKeyPair("ecdsa-p256")
      .privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pw" })
      .toString();
    const encKey = write("enc.key", encrypted);
    const config = write(
      "vault.yml",
      [
        `admin: { identity: ${ID} }`,
        `tls: { key: ${key}, cert: ${cert} }`,
        "keystore:",
        "  vault:",
        "    endpoint: https://127.0.0.1:8200",
        "    approle: { id: a, secret: b }",
        "    tls:",
        `      key: ${encKey}`,
        `      cert: ${dir}`,
        `      ca: ${emptyCa}`,
      ].join("\n"),
    );
    expect(problemsOf(config)).toEqual([
      `${config}:8 keystore.vault.tls.key: '${encKey}' is not a usable PEM private key: private key is encrypted: a password is required`,
      `${config}:9 keystore.vault.tls.cert: '${dir}' is not a regular file`,
      `${config}:10 keystore.vault.tls.ca: '${emptyCa}' holds no PEM certificate`,
    ]);
  });

  test("a good config loads, and without checkFiles no file is read", () => {
    const cert = write("good.crt", good.certPem);
    const key = write("good.key", good.keyPem);
    const ca = write("ca.crt", good.certPem);
    const text = `admin: { identity: ${ID} }\ntls: { key: ${key}, cert: ${cert}, ca: ${ca} }\nkeystore: { fs: { path: ${join(dir, "new", "keys")} } }\n`;
    expect(problemsOf(write("good.yml", text))).toEqual([]);
    const missing = write(
      "missing.yml",
      `admin: { identity: ${ID} }\ntls: { key: /nope.key, cert: /nope.crt }\nkeystore: { fs: { path: ${join(dir, "k2")} } }\n`,
    );
    expect(loadConfigFile(missing, {}).config.tls.key).toBe("/nope.key");
    expect(problemsOf(missing)).toEqual([
      `${missing}:2 tls.cert: cannot read '/nope.crt' (ENOENT)`,
      `${missing}:2 tls.key: cannot read '/nope.key' (ENOENT)`,
    ]);
  });
});
