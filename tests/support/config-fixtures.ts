import { ConfigError } from '@orderflow/shared';

// The identity provider has no default: a service config must name whom to trust (or say
// AUTH_MODE=off). Unit tests that read a service's config with nothing else set use this one.
export const IDP_SETTINGS = {
  AUTH_JWKS_URL: 'https://idp.example/.well-known/jwks.json',
  AUTH_ISSUER: 'https://idp.example/',
  AUTH_AUDIENCE: 'orderflow',
} as const;

/** The problems a config reader names, from the one ConfigError it throws. */
export function problemsOf(read: () => unknown): string[] {
  try {
    read();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}
