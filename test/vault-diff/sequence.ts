// The whole committed request sequence of the differential Vault check, in the order it is sent.
// Later steps use what earlier ones saved (tokens, role and secret IDs), and the clean-up steps
// remove everything the sequence made, so it can run again on the same server.

import { ACL_STEPS, APPROLE_STEPS, TOKEN_STEPS } from "./sequence-auth.js";
import { KV1_STEPS, KV2_STEPS, MOUNT_STEPS } from "./sequence-kv.js";
import { CLEANUP_STEPS, HEALTH_STEPS, NAMESPACE_STEPS } from "./sequence-sys.js";
import type { Step } from "./step.js";

export const SEQUENCE: readonly Step[] = [
  ...MOUNT_STEPS,
  ...KV1_STEPS,
  ...KV2_STEPS,
  ...ACL_STEPS,
  ...TOKEN_STEPS,
  ...APPROLE_STEPS,
  ...HEALTH_STEPS,
  ...NAMESPACE_STEPS,
  ...CLEANUP_STEPS,
];
