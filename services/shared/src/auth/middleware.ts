// The HTTP edge's authentication: every route needs a verified bearer token except health,
// metrics and the routes a service declares public. The principal lands in ctx.state for the
// access rules (principal.ts).
import type Koa from 'koa';
import { UnauthorizedError } from '../errors';
import type { Principal } from './principal';
import { createTokenVerifier, type JwtSettings, type TokenVerifier } from './verifier';

export type AuthSettings = { mode: 'off' } | ({ mode: 'jwt' } & JwtSettings);

/** Always open: probes and scrapers carry no tokens (ADMIN_PORT moves them off the public port). */
export function isOperationsPath(path: string): boolean {
  return path === '/health' || path.startsWith('/health/') || path === '/metrics';
}

/**
 * `publicRoutes` are "METHOD /path" (HEAD counts as GET). A failure answers 401 with a
 * WWW-Authenticate challenge; the token itself is never logged.
 */
export function authenticate(
  settings: AuthSettings,
  publicRoutes: readonly string[] = [],
  verifier: TokenVerifier | undefined = settings.mode === 'jwt' ? createTokenVerifier(settings) : undefined,
): Koa.Middleware {
  const open = new Set(publicRoutes);
  return async (ctx, next) => {
    const method = ctx.method === 'HEAD' ? 'GET' : ctx.method;
    if (!verifier) {
      ctx.state.principal = { mode: 'off' } satisfies Principal;
    } else if (!isOperationsPath(ctx.path) && !open.has(`${method} ${ctx.path}`)) {
      try {
        ctx.state.principal = await verifier(ctx.get('authorization') || undefined);
      } catch (err) {
        if (err instanceof UnauthorizedError) ctx.set('WWW-Authenticate', err.challenge);
        throw err;
      }
    }
    await next();
  };
}
