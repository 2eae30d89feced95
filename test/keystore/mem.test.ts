// Runs the keystore conformance suite against the in-memory store.

import { connectMem } from "../../internal/keystore/mem/mem-store.js";
import { describeKeyStoreConformance } from "./conformance.js";

describeKeyStoreConformance("mem", async () => ({
  store: connectMem(),
  cleanup: async () => {},
}));
