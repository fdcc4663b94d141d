/**
 * GitLab: no signature, a shared token: `X-Gitlab-Token` carries the webhook's *Secret token* as is
 * (GitLab docs, "Webhooks": secret token). It is compared in constant time over hashes of both, so
 * neither the token nor its length leaks through timing. The token travels with every delivery, so the
 * application receives it too (and can keep checking it).
 */
import type { Verifier } from '../types.js';
import { safeEqualSecret } from '../util.js';

export const GITLAB_HEADER = 'x-gitlab-token';

export const gitlab: Verifier = (req, spec) => {
  const given = req.headers[GITLAB_HEADER];
  if (given === undefined) return { present: false };
  return safeEqualSecret(given, spec.secret)
    ? { present: true, ok: true }
    : { present: true, ok: false, reason: 'token mismatch' };
};
