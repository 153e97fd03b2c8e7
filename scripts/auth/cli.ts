// The local token issuer (scripts/auth/issuer.ts) from the command line.
//   tsx scripts/auth/cli.ts serve            serve the JWKS on 127.0.0.1:3009 (npm start / up run it)
//   npm run token -- --customer ada [--operator] [--hours 8]
//                                           print a token signed with the same key
// The key lives in the stack's directory (.stack/auth/issuer-key.json, readable by you only).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_PORTS } from '../../services/shared/src/defaults';
import { TokenIssuer, loadOrCreateIssuerKey, startIssuer } from './issuer';

const ROOT = join(__dirname, '..', '..');

export function issuerKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.ORDERFLOW_ISSUER_KEY_FILE ??
    join(env.ORDERFLOW_STACK_DIR ?? join(ROOT, '.stack'), 'auth', 'issuer-key.json')
  );
}

export function localIssuerUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.ORDERFLOW_ISSUER_URL ?? `http://127.0.0.1:${env.ORDERFLOW_ISSUER_PORT ?? DEFAULT_PORTS.issuer}`;
}

/** A token from the local issuer's key, as `npm run token` prints it. */
export async function localToken(customer: string, operator = false, hours = 8): Promise<string> {
  const key = await loadOrCreateIssuerKey(issuerKeyFile());
  return new TokenIssuer(key, localIssuerUrl()).mint({
    subject: customer,
    operator,
    expiresInSeconds: Math.round(hours * 3600),
  });
}

async function serve(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(3),
    options: { host: { type: 'string', default: '127.0.0.1' }, 'public-url': { type: 'string' } },
  });
  const port = Number(process.env.ORDERFLOW_ISSUER_PORT ?? DEFAULT_PORTS.issuer);
  const issuer = await startIssuer(await loadOrCreateIssuerKey(issuerKeyFile()), {
    host: values.host,
    port,
    publicUrl: values['public-url'] ?? process.env.ORDERFLOW_ISSUER_URL,
  });
  console.log(`token issuer ready: ${issuer.jwksUrl}`);
  const stop = () => void issuer.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function token(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(3),
    options: {
      customer: { type: 'string' },
      operator: { type: 'boolean', default: false },
      hours: { type: 'string', default: '8' },
    },
  });
  const hours = Number(values.hours);
  if (!values.customer || !/^[A-Za-z0-9_.@-]{1,64}$/.test(values.customer) || !(hours > 0 && hours <= 720)) {
    console.error('usage: npm run token -- --customer <id> [--operator] [--hours 1-720]');
    process.exit(2);
  }
  console.log(await localToken(values.customer, values.operator, hours));
}

if (require.main === module) {
  const commands: Record<string, () => Promise<void>> = { serve, token };
  const command = commands[process.argv[2] ?? ''];
  if (!command) {
    console.error('usage: tsx scripts/auth/cli.ts serve|token');
    process.exit(2);
  }
  command().catch((err: unknown) => {
    console.error(`✗ ${(err as Error).message}`);
    process.exit(1);
  });
}
