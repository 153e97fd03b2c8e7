// Who is calling, and the access rules every route applies: a customer places orders as
// themselves and reads only their own things; an operator reads everything.
import type { Context } from 'koa';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors';

/** The scope that lets a caller read every customer's orders, payments, shipments and notifications. */
export const OPERATOR_SCOPE = 'orderflow:operator';

/** `off`: AUTH_MODE=off, every caller may do everything (demos only; the service warns at startup). */
export type Principal = { mode: 'off' } | { mode: 'jwt'; subject: string; operator: boolean };

/** Set by authenticate(); a route reached without one (a public route) is treated as anonymous. */
export function principalOf(ctx: Context): Principal {
  const principal = ctx.state.principal as Principal | undefined;
  if (!principal) throw new UnauthorizedError('a bearer token is required', 'Bearer realm="orderflow"');
  return principal;
}

/** The customer an order is placed for: the token's subject; a body naming someone else is refused. */
export function customerFor(ctx: Context, requested: string): string {
  const principal = principalOf(ctx);
  if (principal.mode === 'off') return requested;
  if (requested !== principal.subject)
    throw new ForbiddenError(`customerId must be the token's subject; orders are placed as yourself`);
  return principal.subject;
}

/**
 * The customer whose things a caller may read, or null for all of them (an operator, or auth
 * off). Queries filter by it, so a list never shows another customer's rows.
 */
export function readableCustomer(ctx: Context): string | null {
  const principal = principalOf(ctx);
  return principal.mode === 'off' || principal.operator ? null : principal.subject;
}

/**
 * The row when the caller may read it. Another customer's row is answered exactly as a missing
 * one (404), so ids cannot be probed.
 */
export function visible<T>(
  ctx: Context,
  row: T | undefined,
  ownerOf: (row: T) => string | null,
  what: string,
): T {
  const reader = readableCustomer(ctx);
  if (row === undefined || (reader !== null && ownerOf(row) !== reader))
    throw new NotFoundError(`no ${what}`);
  return row;
}
