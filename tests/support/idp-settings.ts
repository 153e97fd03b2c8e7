// The identity provider has no default: a service config must name whom to trust (or say
// AUTH_MODE=off). Unit tests that read a service's config with nothing else set use this one.
export const IDP_SETTINGS = {
  AUTH_JWKS_URL: 'https://idp.example/.well-known/jwks.json',
  AUTH_ISSUER: 'https://idp.example/',
  AUTH_AUDIENCE: 'orderflow',
} as const;
