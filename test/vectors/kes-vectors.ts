// The KES compatibility vectors of crypto-kes.json (kes-api.md §7), typed and loaded once for
// every test that uses them. Binary fields are hex, except legacy ciphertexts (standard base64)
// and key values (the exact stored text).

import { readFileSync } from "node:fs";

export interface Vectors {
  aead: {
    algorithm: string;
    key: string;
    iv: string;
    nonce: string;
    plaintext: string;
    context: string;
    ciphertext: string;
  }[];
  legacy_ciphertexts: {
    format: string;
    algorithm: string;
    key: string;
    context: string;
    plaintext: string;
    ciphertext: string;
  }[];
  hmac: { hmac_key: string; message: string; mac: string }[];
  hchacha20: { key: string; input: string; output: string }[];
  key_values: {
    era: string;
    value: string;
    want: {
      key: string;
      algorithm: string;
      hmac_key: string | null;
      created_at: string;
      created_by: string;
    };
  }[];
}

export const KES_VECTORS = JSON.parse(
  readFileSync(new URL("./crypto-kes.json", import.meta.url), "utf8"),
) as Vectors;
