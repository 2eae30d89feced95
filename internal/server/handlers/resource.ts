// Resource-name checks shared by the handlers. They run inside handlers, i.e. after
// authorisation, so an unauthorised caller sees 403 even for a malformed name (kes-api.md §1.3).

import { isValidName } from "../../config/names.js";
import { errIdentityName, errKeyName, errPattern, errPolicyName } from "../../errors.js";
import { isValidPattern, prefixOfPattern } from "../../policy/patterns.js";

export function keyName(resource: string): string {
  if (!isValidName(resource)) throw errKeyName(resource);
  return resource;
}

export function policyName(resource: string): string {
  if (!isValidName(resource)) throw errPolicyName(resource);
  return resource;
}

export function identityName(resource: string): string {
  if (!isValidName(resource)) throw errIdentityName(resource);
  return resource;
}

/** The name prefix selected by a listing pattern (`*` and "" → all). */
export function listingPrefix(resource: string): string {
  if (!isValidPattern(resource)) throw errPattern(resource);
  return prefixOfPattern(resource);
}
