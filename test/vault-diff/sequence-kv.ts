// The K/V half of the differential Vault check: mounts and their detection, K/V v1 and v2 reads,
// writes with and without cas, deletes, lists of empty and missing paths, malformed bodies, bad
// tokens. Paths carry the run id so that a sequence can run again on the same server.

import type { Step } from "./step.js";

const V1 = "d1-{run}";
const V2 = "d2-{run}";

export const MOUNT_STEPS: Step[] = [
  {
    name: "mount-kv1",
    method: "POST",
    path: `sys/mounts/${V1}`,
    body: { type: "kv", options: { version: "1" } },
  },
  {
    name: "mount-kv2",
    method: "POST",
    path: `sys/mounts/${V2}`,
    body: { type: "kv", options: { version: "2" } },
  },
  { name: "mount-again", method: "POST", path: `sys/mounts/${V1}`, body: { type: "kv" } },
  {
    name: "mount-bad-type",
    method: "POST",
    path: "sys/mounts/bad-{run}",
    body: { type: "no-such-engine" },
  },
  { name: "ui-mounts-kv1", method: "GET", path: `sys/internal/ui/mounts/${V1}` },
  { name: "ui-mounts-kv2-deep", method: "GET", path: `sys/internal/ui/mounts/${V2}/data/a/b` },
  { name: "ui-mounts-missing", method: "GET", path: "sys/internal/ui/mounts/missing-{run}" },
  { name: "ui-mounts-no-token", method: "GET", path: `sys/internal/ui/mounts/${V2}`, token: "" },
];

export const KV1_STEPS: Step[] = [
  { name: "kv1-list-empty-mount", method: "LIST", path: `${V1}/` },
  { name: "kv1-read-missing", method: "GET", path: `${V1}/nothing` },
  { name: "kv1-write", method: "PUT", path: `${V1}/a`, body: { value: "one" } },
  { name: "kv1-write-nested", method: "POST", path: `${V1}/dir/b`, body: { value: "two" } },
  { name: "kv1-read", method: "GET", path: `${V1}/a` },
  { name: "kv1-overwrite", method: "PUT", path: `${V1}/a`, body: { value: "three" } },
  { name: "kv1-read-overwritten", method: "GET", path: `${V1}/a` },
  { name: "kv1-list", method: "LIST", path: `${V1}/` },
  { name: "kv1-list-get-form", method: "GET", path: `${V1}?list=true` },
  { name: "kv1-list-bad-flag", method: "GET", path: `${V1}/?list=yes` },
  { name: "kv1-list-dir", method: "LIST", path: `${V1}/dir` },
  { name: "kv1-list-missing", method: "LIST", path: `${V1}/missing/` },
  { name: "kv1-write-trailing-slash", method: "PUT", path: `${V1}/dir/`, body: { value: "x" } },
  { name: "kv1-write-malformed", method: "PUT", path: `${V1}/m`, body: "{not json" },
  { name: "kv1-write-empty-body", method: "PUT", path: `${V1}/e`, body: "" },
  { name: "kv1-delete", method: "DELETE", path: `${V1}/a` },
  { name: "kv1-delete-again", method: "DELETE", path: `${V1}/a` },
  { name: "kv1-read-deleted", method: "GET", path: `${V1}/a` },
  { name: "kv1-bad-token", method: "GET", path: `${V1}/dir/b`, token: "bogus" },
  { name: "kv1-no-token", method: "GET", path: `${V1}/dir/b`, token: "" },
  { name: "kv1-unknown-mount", method: "GET", path: "nomount-{run}/x" },
];

export const KV2_STEPS: Step[] = [
  { name: "kv2-list-empty-mount", method: "LIST", path: `${V2}/metadata/`, retryUpgrading: true },
  { name: "kv2-read-missing", method: "GET", path: `${V2}/data/k` },
  {
    name: "kv2-create-cas0",
    method: "POST",
    path: `${V2}/data/k`,
    body: { data: { v: "1" }, options: { cas: 0 } },
  },
  {
    name: "kv2-create-cas0-again",
    method: "POST",
    path: `${V2}/data/k`,
    body: { data: { v: "x" }, options: { cas: 0 } },
  },
  { name: "kv2-write-no-cas", method: "POST", path: `${V2}/data/k`, body: { data: { v: "2" } } },
  {
    name: "kv2-write-cas-stale",
    method: "PUT",
    path: `${V2}/data/k`,
    body: { data: { v: "3" }, options: { cas: 1 } },
  },
  {
    name: "kv2-write-cas-current",
    method: "PUT",
    path: `${V2}/data/k`,
    body: { data: { v: "3" }, options: { cas: 2 } },
  },
  { name: "kv2-write-no-data", method: "POST", path: `${V2}/data/n`, body: { value: "x" } },
  { name: "kv2-write-malformed", method: "POST", path: `${V2}/data/n`, body: "[1," },
  { name: "kv2-read", method: "GET", path: `${V2}/data/k` },
  { name: "kv2-read-version", method: "GET", path: `${V2}/data/k?version=1` },
  { name: "kv2-read-version-missing", method: "GET", path: `${V2}/data/k?version=9` },
  {
    name: "kv2-write-nested",
    method: "POST",
    path: `${V2}/data/dir/j`,
    body: { data: { v: "j" } },
  },
  { name: "kv2-list", method: "LIST", path: `${V2}/metadata/` },
  { name: "kv2-list-dir", method: "GET", path: `${V2}/metadata/dir/?list=true` },
  { name: "kv2-list-missing", method: "LIST", path: `${V2}/metadata/missing/` },
  { name: "kv2-list-data-path", method: "LIST", path: `${V2}/data/` },
  { name: "kv2-metadata", method: "GET", path: `${V2}/metadata/k` },
  { name: "kv2-soft-delete", method: "DELETE", path: `${V2}/data/k` },
  { name: "kv2-read-soft-deleted", method: "GET", path: `${V2}/data/k` },
  { name: "kv2-list-after-soft-delete", method: "LIST", path: `${V2}/metadata/` },
  { name: "kv2-delete-metadata", method: "DELETE", path: `${V2}/metadata/k` },
  { name: "kv2-delete-metadata-again", method: "DELETE", path: `${V2}/metadata/k` },
  { name: "kv2-read-destroyed", method: "GET", path: `${V2}/data/k` },
  {
    name: "kv2-recreate-cas0",
    method: "POST",
    path: `${V2}/data/k`,
    body: { data: { v: "new" }, options: { cas: 0 } },
  },
  { name: "kv2-bare-path", method: "GET", path: `${V2}/k` },
  { name: "kv2-bad-token", method: "GET", path: `${V2}/data/k`, token: "bogus" },
];
