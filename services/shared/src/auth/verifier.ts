// Bearer JWTs verified against an identity provider's JWKS with jose (a maintained library:
// JOSE has too many sharp edges to hand-write). Keys are cached; a token signed with a key id
// the cache does not know makes jose fetch the JWKS again (at most once per cooldown).
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { UnauthorizedError, UnavailableError } from '../errors';
import { OPERATOR_SCOPE, type Principal } from './principal';

/** Asymmetric only: an HMAC secret shared with every verifier could mint tokens too. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

export interface JwtSettings {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** How far apart the issuer's clock and ours may be when checking exp and nbf. */
  clockSkewSeconds: number;
  /** After a fetch, how long an unknown key id is refused without fetching again (default 30 s). */
  refetchCooldownMs?: number;
  /** The clock, in ms since the epoch (tests move it). */
  now?: () => number;
}

export const REALM = 'orderflow';
const MAX_TOKEN_LENGTH = 8_192;
// RFC 6750's b64token; a JWT is three base64url parts, so anything else is malformed anyway.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
/**
 * A client sends the same token with every request until it expires, and checking its signature
 * was the largest single cost of intake (ES256: ~10 % of the orders service's CPU under load).
 * A token that verified is remembered, keyed by the whole token (a changed byte is another
 * token), for at most a minute and never past its expiry: a key withdrawn from the JWKS stops
 * working within that minute.
 */
const REMEMBER_MS = 60_000;
const REMEMBERED_TOKENS = 10_000;

export type TokenVerifier = (
  authorization: string | undefined,
) => Promise<Extract<Principal, { mode: 'jwt' }>>;

export function createTokenVerifier(settings: JwtSettings): TokenVerifier {
  const keys = createRemoteJWKSet(new URL(settings.jwksUrl), {
    timeoutDuration: 5_000,
    cooldownDuration: settings.refetchCooldownMs ?? 30_000,
    cacheMaxAge: 10 * 60_000,
  });
  const now = settings.now ?? Date.now;
  const verified = new Map<string, { principal: Extract<Principal, { mode: 'jwt' }>; until: number }>();
  return async (authorization) => {
    if (!authorization) throw new UnauthorizedError('a bearer token is required', `Bearer realm="${REALM}"`);
    const token = BEARER.exec(authorization)?.[1];
    if (!token || token.length > MAX_TOKEN_LENGTH)
      throw invalid('the Authorization header must be "Bearer <token>"', 'invalid_request');
    const known = verified.get(token);
    if (known && now() < known.until) return known.principal;
    verified.delete(token);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms: ASYMMETRIC_ALGORITHMS,
        clockTolerance: settings.clockSkewSeconds,
        requiredClaims: ['sub', 'exp'],
        currentDate: new Date(now()),
      }));
    } catch (err) {
      throw verificationError(err);
    }
    const principal = {
      mode: 'jwt' as const,
      subject: payload.sub!,
      operator: scopesOf(payload).includes(OPERATOR_SCOPE),
    };
    if (verified.size >= REMEMBERED_TOKENS) verified.delete(verified.keys().next().value!); // the oldest
    const expires = (payload.exp! + settings.clockSkewSeconds) * 1000;
    verified.set(token, { principal, until: Math.min(now() + REMEMBER_MS, expires) });
    return principal;
  };
}

/** OAuth's space-separated `scope`, or the `scp` array some providers (Okta, Entra ID) send. */
function scopesOf(payload: JWTPayload): string[] {
  if (typeof payload.scope === 'string') return payload.scope.split(' ');
  if (Array.isArray(payload.scp)) return payload.scp.filter((s): s is string => typeof s === 'string');
  return [];
}

function invalid(message: string, error = 'invalid_token'): UnauthorizedError {
  return new UnauthorizedError(message, `Bearer realm="${REALM}", error="${error}"`);
}

function verificationError(err: unknown): Error {
  if (err instanceof errors.JWTExpired) return invalid('the token has expired');
  if (err instanceof errors.JWTClaimValidationFailed)
    return invalid(`the token's ${err.claim} claim is not accepted`);
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys)
    return invalid('the token is not signed by a known key');
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return invalid('the token signature does not verify');
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported)
    return invalid('the token algorithm is not accepted (asymmetric algorithms only)');
  // The identity provider's key set could not be had: our problem, not the caller's.
  if (
    err instanceof errors.JWKSTimeout ||
    err instanceof errors.JWKSInvalid ||
    !(err instanceof errors.JOSEError)
  )
    return new UnavailableError('the identity provider keys are unavailable; try again', { cause: err });
  if (err.code === 'ERR_JOSE_GENERIC' && /JSON Web Key Set/.test(err.message))
    return new UnavailableError('the identity provider keys are unavailable; try again', { cause: err });
  return invalid('the token is not valid');
}
