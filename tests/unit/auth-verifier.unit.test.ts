// Bearer tokens verified against a JWKS served over real HTTP (a server of the test's own): key
// rotation, clock skew, asymmetric algorithms only, scopes, and an unreachable identity provider.
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { createTokenVerifier, OPERATOR_SCOPE, UnauthorizedError, UnavailableError } from '@orderflow/shared';
import { generateIssuerKey, publicJwk, TokenIssuer, type IssuerKey } from '../../scripts/auth/issuer';

let server: Server;
let base: string;
let served: IssuerKey[] = [];
let fetches = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: served.map(publicJwk) }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

function verifierFor(options: { clockSkewSeconds?: number; jwksUrl?: string } = {}) {
  return createTokenVerifier({
    jwksUrl: options.jwksUrl ?? `${base}/jwks.json`,
    issuer: base,
    audience: 'orderflow',
    clockSkewSeconds: options.clockSkewSeconds ?? 30,
    refetchCooldownMs: 0,
  });
}

async function refusal(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: Error) => e,
  );
}

test('a token signed with a key the cache does not know makes the verifier fetch the key set again (rotation)', async () => {
  const first = await generateIssuerKey();
  const second = await generateIssuerKey();
  served = [first];
  fetches = 0;
  const verify = verifierFor();
  const tokenOf = (key: IssuerKey) => new TokenIssuer(key, base).mint({ subject: 'ada' });
  expect(await verify(`Bearer ${await tokenOf(first)}`)).toEqual({
    mode: 'jwt',
    subject: 'ada',
    operator: false,
  });
  expect(fetches).toBe(1);
  await verify(`Bearer ${await tokenOf(first)}`);
  expect(fetches).toBe(1); // cached
  served = [first, second];
  expect((await verify(`Bearer ${await tokenOf(second)}`)).subject).toBe('ada');
  expect(fetches).toBe(2);
  const stranger = await generateIssuerKey();
  const refused = await refusal(verify(`Bearer ${await tokenOf(stranger)}`));
  expect(refused).toBeInstanceOf(UnauthorizedError);
  expect(refused.message).toBe('the token is not signed by a known key');
});

test('clock skew is bounded: a token expired within the allowed skew passes, one expired beyond it does not', async () => {
  const key = await generateIssuerKey();
  served = [key];
  const issuer = new TokenIssuer(key, base);
  const verify = verifierFor({ clockSkewSeconds: 30 });
  expect(
    (await verify(`Bearer ${await issuer.mint({ subject: 'ada', expiresInSeconds: -10 })}`)).subject,
  ).toBe('ada');
  const late = await refusal(
    verify(`Bearer ${await issuer.mint({ subject: 'ada', expiresInSeconds: -60 })}`),
  );
  expect([late.constructor.name, late.message]).toEqual(['UnauthorizedError', 'the token has expired']);
});

test('only asymmetric algorithms are accepted: an HS256 token is refused even with a matching kid', async () => {
  const key = await generateIssuerKey();
  served = [key];
  const hs256 = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', kid: key.kid })
    .setSubject('mallory')
    .setIssuer(base)
    .setAudience('orderflow')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode('a-shared-secret-anyone-could-know'));
  const refused = await refusal(verifierFor()(`Bearer ${hs256}`));
  expect(refused).toBeInstanceOf(UnauthorizedError);
  expect(refused.message).toMatch(/algorithm/);
});

test('the operator scope comes from "scope" (space separated) or "scp" (an array)', async () => {
  const key = await generateIssuerKey();
  served = [key];
  const verify = verifierFor();
  const withClaims = (claims: Record<string, unknown>) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .setSubject('ops')
      .setIssuer(base)
      .setAudience('orderflow')
      .setExpirationTime('1h')
      .sign(
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require('node:crypto').createPrivateKey({ key, format: 'jwk' }),
      );
  const operator = async (claims: Record<string, unknown>) =>
    (await verify(`Bearer ${await withClaims(claims)}`)).operator;
  expect(await operator({ scope: `openid ${OPERATOR_SCOPE}` })).toBe(true);
  expect(await operator({ scp: [OPERATOR_SCOPE] })).toBe(true);
  expect(await operator({ scope: 'orderflow:operator-ish' })).toBe(false);
});

test('an identity provider that cannot be reached is a 503, not a 401 or a 500', async () => {
  const key = await generateIssuerKey();
  const token = await new TokenIssuer(key, base).mint({ subject: 'ada' });
  const closed = createServer();
  closed.listen(0, '127.0.0.1');
  await once(closed, 'listening');
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const refused = await refusal(
    verifierFor({ jwksUrl: `http://127.0.0.1:${port}/jwks.json` })(`Bearer ${token}`),
  );
  expect(refused).toBeInstanceOf(UnavailableError);
});

test('a missing or malformed Authorization header is a 401 with the Bearer challenge', async () => {
  const verify = verifierFor();
  const missing = (await refusal(verify(undefined))) as UnauthorizedError;
  expect([missing.status, missing.challenge]).toEqual([401, 'Bearer realm="orderflow"']);
  const basic = (await refusal(verify('Basic YWRhOnB3'))) as UnauthorizedError;
  expect([basic.status, basic.challenge]).toEqual([401, 'Bearer realm="orderflow", error="invalid_request"']);
  const junk = (await refusal(verify('Bearer not.a.jwt'))) as UnauthorizedError;
  expect([junk.status, junk.challenge]).toEqual([401, 'Bearer realm="orderflow", error="invalid_token"']);
});

describe('verified tokens are remembered', () => {
  /** A verifier on a clock the test moves, starting at the real time. */
  async function onClock() {
    const key = await generateIssuerKey();
    served = [key];
    let clock = Date.now();
    const verify = createTokenVerifier({
      jwksUrl: `${base}/jwks.json`,
      issuer: base,
      audience: 'orderflow',
      clockSkewSeconds: 30,
      refetchCooldownMs: 0,
      now: () => clock,
    });
    return { verify, issuer: new TokenIssuer(key, base), advance: (ms: number) => (clock += ms) };
  }

  test('given a token that verified, when its expiry and the allowed skew have passed, then it is refused all the same', async () => {
    const { verify, issuer, advance } = await onClock();
    const token = await issuer.mint({ subject: 'ada', expiresInSeconds: 20 });
    expect((await verify(`Bearer ${token}`)).subject).toBe('ada');

    advance(49_000); // expiry + skew is 50 s away: still good
    expect((await verify(`Bearer ${token}`)).subject).toBe('ada');
    advance(2_000);

    const refused = await refusal(verify(`Bearer ${token}`));
    expect(refused).toBeInstanceOf(UnauthorizedError);
    expect(refused.message).toBe('the token has expired');
  });

  test('given a token that verified, when one byte of its signature changes, then the copy is verified on its own and refused', async () => {
    const { verify, issuer } = await onClock();
    const token = await issuer.mint({ subject: 'ada' });
    await verify(`Bearer ${token}`);
    const last = token.at(-2) === 'A' ? 'B' : 'A';
    const tampered = `${token.slice(0, -2)}${last}${token.at(-1)}`;

    const refused = await refusal(verify(`Bearer ${tampered}`));

    expect(refused).toBeInstanceOf(UnauthorizedError);
    expect(refused.message).toBe('the token signature does not verify');
  });
});
