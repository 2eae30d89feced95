// The sys part of the differential Vault check: sys/health with code overrides in the active and
// sealed states, seal-status, seal and unseal (with an unseal key only), namespaces (where the
// server has them), and the clean-up of everything the sequence made.

import type { Step } from "./step.js";

const V1 = "d1-{run}";
const V2 = "d2-{run}";
const AR = "ar-{run}";

export const HEALTH_STEPS: Step[] = [
  { name: "health-active", method: "GET", path: "sys/health", token: "" },
  { name: "health-activecode", method: "GET", path: "sys/health?activecode=299", token: "" },
  { name: "health-bad-code", method: "GET", path: "sys/health?sealedcode=abc", token: "" },
  { name: "seal-status", method: "GET", path: "sys/seal-status", token: "" },
  { name: "seal-denied", method: "PUT", path: "sys/seal", token: "narrow" },
  { name: "unseal-no-key", method: "PUT", path: "sys/unseal", body: {}, token: "" },
  { name: "seal", method: "PUT", path: "sys/seal", needs: "unseal-key" },
  { name: "health-sealed", method: "GET", path: "sys/health", token: "", needs: "unseal-key" },
  {
    name: "health-sealedcode",
    method: "GET",
    path: "sys/health?sealedcode=299",
    token: "",
    needs: "unseal-key",
  },
  {
    name: "seal-status-sealed",
    method: "GET",
    path: "sys/seal-status",
    token: "",
    needs: "unseal-key",
  },
  { name: "kv-read-sealed", method: "GET", path: `${V1}/dir/b`, needs: "unseal-key" },
  {
    name: "login-sealed",
    method: "POST",
    path: `auth/${AR}/login`,
    body: { role_id: "{roleId}" },
    token: "",
    needs: "unseal-key",
  },
  {
    name: "unseal-bad-key",
    method: "PUT",
    path: "sys/unseal",
    body: { key: "zz" },
    token: "",
    needs: "unseal-key",
  },
  {
    name: "unseal",
    method: "PUT",
    path: "sys/unseal",
    body: { key: "{unsealKey}" },
    token: "",
    needs: "unseal-key",
    untilActive: true,
  },
  {
    name: "health-after-unseal",
    method: "GET",
    path: "sys/health",
    token: "",
    needs: "unseal-key",
  },
  { name: "kv-read-after-unseal", method: "GET", path: `${V1}/dir/b`, needs: "unseal-key" },
];

export const NAMESPACE_STEPS: Step[] = [
  {
    name: "ns-create",
    method: "POST",
    path: "sys/namespaces/ns-{run}",
    body: {},
    needs: "namespaces",
  },
  {
    name: "ns-mount",
    method: "POST",
    path: "sys/mounts/kv",
    body: { type: "kv", options: { version: "2" } },
    namespace: "ns-{run}",
    needs: "namespaces",
  },
  {
    name: "ns-write",
    method: "POST",
    path: "kv/data/k",
    body: { data: { v: "ns" }, options: { cas: 0 } },
    namespace: "ns-{run}",
    needs: "namespaces",
    retryUpgrading: true,
  },
  { name: "ns-read", method: "GET", path: "kv/data/k", namespace: "ns-{run}", needs: "namespaces" },
  { name: "ns-read-in-path", method: "GET", path: "ns-{run}/kv/data/k", needs: "namespaces" },
  { name: "ns-read-from-root", method: "GET", path: "kv/data/k", needs: "namespaces" },
  {
    name: "ns-ui-mounts",
    method: "GET",
    path: "sys/internal/ui/mounts/kv/data/k",
    namespace: "ns-{run}",
    needs: "namespaces",
  },
  {
    name: "ns-missing",
    method: "GET",
    path: "kv/data/k",
    namespace: "missing-{run}",
    needs: "namespaces",
  },
  {
    name: "ns-unmount",
    method: "DELETE",
    path: "sys/mounts/kv",
    namespace: "ns-{run}",
    needs: "namespaces",
  },
  { name: "ns-delete", method: "DELETE", path: "sys/namespaces/ns-{run}", needs: "namespaces" },
];

export const CLEANUP_STEPS: Step[] = [
  { name: "cleanup-approle", method: "DELETE", path: `sys/auth/${AR}` },
  { name: "cleanup-policy", method: "DELETE", path: "sys/policies/acl/p-{run}" },
  { name: "cleanup-kv1", method: "DELETE", path: `sys/mounts/${V1}` },
  { name: "cleanup-kv2", method: "DELETE", path: `sys/mounts/${V2}` },
  { name: "cleanup-unmount-missing", method: "DELETE", path: "sys/mounts/missing-{run}" },
];
