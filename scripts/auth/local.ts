// What `npm start` / `npm run up` need from the local issuer: its process, the settings that make
// the services trust it, and the ready-to-use tokens they print.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { DEFAULT_PORTS } from '../../services/shared/src/defaults';
import { localIssuerUrl, localToken } from './cli';
import { LOCAL_AUDIENCE } from './issuer';

const ROOT = join(__dirname, '..', '..');

export function spawnIssuer(stdio: 'pipe' | number, detached: boolean): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'scripts/auth/cli.ts', 'serve'], {
    cwd: ROOT,
    env: process.env,
    stdio: ['ignore', stdio, stdio],
    detached,
  });
}

/** The services trust the local issuer unless the environment names another (or AUTH_MODE=off). */
export function localAuthEnv(): Record<string, string> {
  return {
    AUTH_JWKS_URL: `${localIssuerUrl()}/.well-known/jwks.json`,
    AUTH_ISSUER: localIssuerUrl(),
    AUTH_AUDIENCE: LOCAL_AUDIENCE,
  };
}

/** Lines to print once everything is ready: a customer's and an operator's token, and a curl to try. */
export async function tokenHelp(ordersPort: number = DEFAULT_PORTS.orders): Promise<string> {
  if (process.env.AUTH_MODE === 'off') return '  AUTH_MODE=off: no token needed (never in a deployment)';
  const customer = await localToken('ada');
  const operator = await localToken('ops', true);
  const order =
    '{"customerId":"ada","email":"ada@example.com","items":[{"itemId":"ceramic-mug","quantity":2}]}';
  return [
    `  customer token (ada, 8 h): ${customer}`,
    `  operator token (reads every order): ${operator}`,
    '  more: npm run token -- --customer <id> [--operator]',
    '  try:',
    `  curl -s -XPOST localhost:${ordersPort}/orders -H 'authorization: Bearer ${customer}' -H 'content-type: application/json' -d '${order}'`,
  ].join('\n');
}
