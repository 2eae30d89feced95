// The auth part of the differential Vault check: ACL denials under a narrow policy, tokens with
// TTLs and num_uses (lookup, renew, revoke, expiry), AppRole login with plain and wrapped secret
// IDs (wrapping lookup and unwrap).

import type { Step } from "./step.js";

const V1 = "d1-{run}";
const V2 = "d2-{run}";
const AR = "ar-{run}";
const POLICY = `path "${V2}/data/t/*" { capabilities = ["create", "read"] }
path "${V2}/metadata/t/*" { capabilities = ["list"] }`;

export const ACL_STEPS: Step[] = [
  {
    name: "policy-write",
    method: "PUT",
    path: "sys/policies/acl/p-{run}",
    body: { policy: POLICY },
  },
  { name: "policy-read", method: "GET", path: "sys/policies/acl/p-{run}" },
  {
    name: "policy-bad-hcl",
    method: "PUT",
    path: "sys/policies/acl/bad-{run}",
    body: { policy: "path {" },
  },
  {
    name: "token-create-narrow",
    method: "POST",
    path: "auth/token/create",
    body: { policies: ["p-{run}"], ttl: "1h", no_default_policy: true },
    save: { narrow: "auth.client_token", narrowAccessor: "auth.accessor" },
  },
  { name: "acl-read-allowed-missing", method: "GET", path: `${V2}/data/t/x`, token: "narrow" },
  {
    name: "acl-create-allowed",
    method: "POST",
    path: `${V2}/data/t/x`,
    body: { data: { v: "1" } },
    token: "narrow",
  },
  {
    name: "acl-update-denied",
    method: "POST",
    path: `${V2}/data/t/x`,
    body: { data: { v: "2" } },
    token: "narrow",
  },
  { name: "acl-read-allowed", method: "GET", path: `${V2}/data/t/x`, token: "narrow" },
  { name: "acl-read-other-denied", method: "GET", path: `${V1}/dir/b`, token: "narrow" },
  { name: "acl-list-denied", method: "LIST", path: `${V2}/metadata/`, token: "narrow" },
  { name: "acl-delete-denied", method: "DELETE", path: `${V2}/metadata/t/x`, token: "narrow" },
  { name: "acl-sys-denied", method: "GET", path: "sys/mounts", token: "narrow" },
  { name: "acl-lookup-self", method: "GET", path: "auth/token/lookup-self", token: "narrow" },
];

export const TOKEN_STEPS: Step[] = [
  {
    name: "token-create-uses",
    method: "POST",
    path: "auth/token/create",
    body: { ttl: "1h", num_uses: 2 },
    save: { twice: "auth.client_token" },
  },
  { name: "token-uses-1", method: "GET", path: "auth/token/lookup-self", token: "twice" },
  { name: "token-uses-2", method: "GET", path: "auth/token/lookup-self", token: "twice" },
  { name: "token-uses-exhausted", method: "GET", path: "auth/token/lookup-self", token: "twice" },
  {
    name: "token-create-short",
    method: "POST",
    path: "auth/token/create",
    body: { ttl: "2s" },
    save: { short: "auth.client_token" },
  },
  { name: "token-short-live", method: "GET", path: "auth/token/lookup-self", token: "short" },
  {
    name: "token-short-expired",
    method: "GET",
    path: "auth/token/lookup-self",
    token: "short",
    waitMs: 3_500,
  },
  {
    name: "token-create-renewable",
    method: "POST",
    path: "auth/token/create",
    body: { ttl: "1h", explicit_max_ttl: "2h", renewable: true },
    save: { renewable: "auth.client_token", renewableAccessor: "auth.accessor" },
  },
  {
    name: "token-renew-self",
    method: "POST",
    path: "auth/token/renew-self",
    body: { increment: "30m" },
    token: "renewable",
  },
  {
    name: "token-renew-past-max",
    method: "POST",
    path: "auth/token/renew-self",
    body: { increment: "5h" },
    token: "renewable",
  },
  {
    name: "token-lookup-by-root",
    method: "POST",
    path: "auth/token/lookup",
    body: { token: "{renewable}" },
  },
  {
    name: "token-lookup-accessor",
    method: "POST",
    path: "auth/token/lookup-accessor",
    body: { accessor: "{renewableAccessor}" },
  },
  {
    name: "token-lookup-bogus",
    method: "POST",
    path: "auth/token/lookup",
    body: { token: "bogus" },
  },
  { name: "token-lookup-malformed", method: "POST", path: "auth/token/lookup", body: "{" },
  {
    name: "token-create-fixed",
    method: "POST",
    path: "auth/token/create",
    body: { ttl: "1h", renewable: false },
    save: { fixed: "auth.client_token" },
  },
  {
    name: "token-renew-not-renewable",
    method: "POST",
    path: "auth/token/renew-self",
    body: {},
    token: "fixed",
  },
  { name: "token-revoke-self", method: "POST", path: "auth/token/revoke-self", token: "renewable" },
  { name: "token-after-revoke", method: "GET", path: "auth/token/lookup-self", token: "renewable" },
  {
    name: "token-revoke-by-root",
    method: "POST",
    path: "auth/token/revoke",
    body: { token: "{fixed}" },
  },
  {
    name: "token-lookup-self-bogus",
    method: "GET",
    path: "auth/token/lookup-self",
    token: "bogus",
  },
];

export const APPROLE_STEPS: Step[] = [
  { name: "approle-enable", method: "POST", path: `sys/auth/${AR}`, body: { type: "approle" } },
  {
    name: "approle-role",
    method: "POST",
    path: `auth/${AR}/role/r`,
    body: { token_ttl: "1h", token_max_ttl: "2h", token_policies: ["p-{run}"] },
  },
  {
    name: "approle-role-id",
    method: "GET",
    path: `auth/${AR}/role/r/role-id`,
    save: { roleId: "data.role_id" },
  },
  {
    name: "approle-secret-id",
    method: "POST",
    path: `auth/${AR}/role/r/secret-id`,
    body: {},
    save: { secretId: "data.secret_id", secretIdAccessor: "data.secret_id_accessor" },
  },
  {
    name: "approle-login",
    method: "POST",
    path: `auth/${AR}/login`,
    body: { role_id: "{roleId}", secret_id: "{secretId}" },
    token: "",
    save: { login: "auth.client_token", loginAccessor: "auth.accessor" },
  },
  { name: "approle-login-token-works", method: "GET", path: `${V2}/data/t/x`, token: "login" },
  {
    name: "approle-login-bad-secret",
    method: "POST",
    path: `auth/${AR}/login`,
    body: { role_id: "{roleId}", secret_id: "wrong" },
    token: "",
  },
  {
    name: "approle-login-bad-role",
    method: "POST",
    path: `auth/${AR}/login`,
    body: { role_id: "nope", secret_id: "{secretId}" },
    token: "",
  },
  { name: "approle-login-no-role", method: "POST", path: `auth/${AR}/login`, body: {}, token: "" },
  {
    name: "approle-login-malformed",
    method: "POST",
    path: `auth/${AR}/login`,
    body: "role_id=",
    token: "",
  },
  {
    name: "approle-secret-id-wrapped",
    method: "POST",
    path: `auth/${AR}/role/r/secret-id`,
    body: {},
    headers: { "X-Vault-Wrap-TTL": "60s" },
    save: { wrapped: "wrap_info.token", wrappedAccessor: "wrap_info.accessor" },
  },
  {
    name: "wrapping-lookup",
    method: "POST",
    path: "sys/wrapping/lookup",
    body: { token: "{wrapped}" },
    token: "",
  },
  {
    name: "wrapping-lookup-bogus",
    method: "POST",
    path: "sys/wrapping/lookup",
    body: { token: "bogus" },
    token: "",
  },
  {
    name: "wrapping-unwrap",
    method: "POST",
    path: "sys/wrapping/unwrap",
    body: {},
    token: "wrapped",
    save: { unwrappedSecret: "data.secret_id", unwrappedAccessor: "data.secret_id_accessor" },
  },
  {
    name: "wrapping-unwrap-again",
    method: "POST",
    path: "sys/wrapping/unwrap",
    body: {},
    token: "wrapped",
  },
  {
    name: "wrapping-lookup-after-unwrap",
    method: "POST",
    path: "sys/wrapping/lookup",
    body: { token: "{wrapped}" },
    token: "",
  },
  {
    name: "approle-login-unwrapped",
    method: "POST",
    path: `auth/${AR}/login`,
    body: { role_id: "{roleId}", secret_id: "{unwrappedSecret}" },
    token: "",
    save: { login2: "auth.client_token", login2Accessor: "auth.accessor" },
  },
  { name: "approle-token-lookup", method: "GET", path: "auth/token/lookup-self", token: "login2" },
];
