// The local stack's own token issuer: an ES256 key made with jose, its public half served as a
// JWKS over real HTTP on 127.0.0.1, and tokens minted for customers and operators. Services
// verify these tokens exactly as they would a real identity provider's (docs/security.md).
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import {
  SignJWT,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type KeyLike,
} from 'jose';
import { OPERATOR_SCOPE } from '../../services/shared/src/auth/principal';

export const LOCAL_AUDIENCE = 'orderflow';
const ALG = 'ES256';
const JWKS_PATH = '/.well-known/jwks.json';

/** A private key in JWK form with its kid: what the issuer keeps in the stack's directory. */
export type IssuerKey = JWK & { kid: string };

export async function generateIssuerKey(): Promise<IssuerKey> {
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg: ALG, use: 'sig', kid: await calculateJwkThumbprint(jwk) };
}

/** The key in `file`, made (readable by this user only) the first time. */
export async function loadOrCreateIssuerKey(file: string): Promise<IssuerKey> {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as IssuerKey;
  const key = await generateIssuerKey();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(key), { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

export function publicJwk({ d: _private, ...rest }: IssuerKey): JWK {
  return rest;
}

export interface MintOptions {
  /** The customer: the token's subject. */
  subject: string;
  operator?: boolean;
  /** Seconds from now; negative mints an already expired token. Default one hour. */
  expiresInSeconds?: number;
  /** Overrides, for tests that need a token this issuer should not have made. */
  issuer?: string;
  audience?: string;
  key?: IssuerKey;
}

export class TokenIssuer {
  private signingKeys = new Map<string, Promise<KeyLike | Uint8Array>>();

  constructor(
    readonly key: IssuerKey,
    /** Its URL: the `iss` claim, and where the JWKS is served. */
    readonly issuer: string,
    readonly audience = LOCAL_AUDIENCE,
  ) {}

  get jwksUrl(): string {
    return `${this.issuer}${JWKS_PATH}`;
  }

  /** The settings a service needs to trust this issuer. */
  serviceEnv(): Record<string, string> {
    return {
      AUTH_MODE: 'jwt',
      AUTH_JWKS_URL: this.jwksUrl,
      AUTH_ISSUER: this.issuer,
      AUTH_AUDIENCE: this.audience,
    };
  }

  async mint(options: MintOptions): Promise<string> {
    const key = options.key ?? this.key;
    // By the private part, not the kid: a test may sign with another key under the same kid.
    let signing = this.signingKeys.get(key.d!);
    if (!signing) this.signingKeys.set(key.d!, (signing = importJWK(key, ALG)));
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(options.operator ? { scope: OPERATOR_SCOPE } : {})
      .setProtectedHeader({ alg: ALG, kid: key.kid, typ: 'JWT' })
      .setSubject(options.subject)
      .setIssuer(options.issuer ?? this.issuer)
      .setAudience(options.audience ?? this.audience)
      .setIssuedAt(now)
      .setExpirationTime(now + (options.expiresInSeconds ?? 3600))
      .sign(await signing);
  }
}

export interface RunningIssuer extends TokenIssuer {
  close(): Promise<void>;
  /** Lets the process exit while the issuer still listens (tests share one per process). */
  unref(): void;
}

/**
 * Serves the key's JWKS (and a minimal OIDC discovery document) at http://host:port, or at
 * `publicUrl` when others reach it by another name (compose: http://issuer:3009).
 */
export async function startIssuer(
  key: IssuerKey,
  {
    host = '127.0.0.1',
    port = 0,
    audience = LOCAL_AUDIENCE,
    publicUrl,
  }: { host?: string; port?: number; audience?: string; publicUrl?: string } = {},
): Promise<RunningIssuer> {
  let issuer = '';
  const server: Server = createServer((req, res) => {
    const body =
      req.url === JWKS_PATH
        ? { keys: [publicJwk(key)] }
        : req.url === '/.well-known/openid-configuration'
          ? { issuer, jwks_uri: `${issuer}${JWKS_PATH}`, id_token_signing_alg_values_supported: [ALG] }
          : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
    res.end(JSON.stringify(body ?? { error: 'not found' }));
  });
  server.listen(port, host);
  await once(server, 'listening');
  issuer = publicUrl ?? `http://${host}:${(server.address() as AddressInfo).port}`;
  const tokens = new TokenIssuer(key, issuer, audience);
  return Object.assign(tokens, {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    unref: () => server.unref(),
  });
}
