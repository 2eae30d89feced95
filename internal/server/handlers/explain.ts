// Handler of PUT|POST /v1/policy/explain (keyfront extension; KES has no such route): decode
// `{identity, method, path}`, explain the request with the server's own routing and policy code
// (../explain.ts), and answer with no more than the caller could read otherwise. Explaining
// another identity needs what `identity info <identity>` needs (/v1/identity/describe/<id>), and
// its deciding pattern is shown only to a caller that may read the policy (/v1/policy/read/<name>),
// as `policy show` would; the admin and an identity explaining itself see everything (its own
// patterns are in `identity info` already).

import { ApiError, errExplainBody, errExplainField, errNotAllowed } from "../../errors.js";
import { BodyDecodeError, decodeJsonBody } from "../body.js";
import { type Explanation, explainRequest } from "../explain.js";
import { jsonReply, type Reply, type RequestContext } from "../route.js";

const SCHEMA = { identity: "string", method: "string", path: "string" } as const;
const IDENTITY = /^[0-9a-f]{64}$/;
/** An HTTP method token as Node's parser takes it (upper case letters only, e.g. GET, PUT). */
const METHOD = /^[A-Z]{1,20}$/;
/** A request target as it is sent: printable ASCII without spaces (percent-encode the rest). */
const TARGET = /^\/[\x21-\x7e]*$/;

interface ExplainBody {
  identity: string;
  method: string;
  path: string;
}

function decodeBody(body: Buffer): ExplainBody {
  let doc: { [K in keyof ExplainBody]: string | undefined };
  try {
    doc = decodeJsonBody(body, SCHEMA);
  } catch (err) {
    if (err instanceof BodyDecodeError) throw errExplainBody(err.message);
    throw err;
  }
  const { identity, method, path } = doc;
  if (identity === undefined) throw errExplainField("field 'identity' is missing");
  if (!IDENTITY.test(identity)) {
    throw errExplainField("field 'identity' must be 64 lowercase hex digits");
  }
  if (method === undefined) throw errExplainField("field 'method' is missing");
  if (!METHOD.test(method)) {
    throw errExplainField("field 'method' must be an HTTP method in upper case, e.g. GET");
  }
  if (path === undefined) throw errExplainField("field 'path' is missing");
  if (!TARGET.test(path)) {
    throw errExplainField(
      "field 'path' must be a request target as sent: '/' then printable ASCII without spaces (percent-encode other characters)",
    );
  }
  return { identity, method, path };
}

/** The explanation with the deciding pattern withheld (the verdict and reason stay). */
function withheld(e: Explanation, policy: string): Explanation {
  if (e.rule === undefined) return e;
  const { rule, ...rest } = e;
  const effect = rule.effect === "deny" ? "a deny rule" : "an allow rule";
  const verdict = e.allowed ? "allowed" : `denied: the server answers ${e.status}`;
  return {
    ...rest,
    decided_by: "rule_withheld",
    reason: `${effect} of policy '${policy}' decided (${verdict}); reading the rule needs /v1/policy/read/${policy}`,
  };
}

export function explainPolicy(ctx: RequestContext): Reply {
  const req = decodeBody(ctx.body);
  const { policies, router } = ctx.state;
  const caller = ctx.identity;
  const privileged = caller !== "" && (caller === req.identity || policies.isAdmin(caller));
  if (!privileged && !policies.allows(caller, `/v1/identity/describe/${req.identity}`)) {
    const e = errNotAllowed();
    throw new ApiError(e.status, e.message, {
      "X-Keyfront-Detail": "explaining another identity needs /v1/identity/describe/<identity>",
    });
  }
  const explanation = explainRequest(router, policies, req.identity, req.method, req.path);
  const policy = explanation.policy;
  if (privileged || policy === undefined || policies.allows(caller, `/v1/policy/read/${policy}`)) {
    return jsonReply(explanation);
  }
  return jsonReply(withheld(explanation, policy));
}
