// The Vault cold path of the benchmark: filled in once the Vault keystore and its test server
// exist. Until then it says so loudly and measures nothing.

import type { BenchPki } from "./targets.js";

export async function coldPath(_pki: BenchPki, _seconds: number): Promise<Record<string, unknown>> {
  console.warn("cold path: NOT MEASURED (the Vault keystore and the Vault test server are not in this build yet)");
  return { measured: false };
}
