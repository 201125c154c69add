/**
 * The console's security headers, one definition for the local server (console/dev) and the
 * CloudFront response headers policy (infra/constructs/console-site.ts). Scripts and styles come
 * from the site itself only; the OIDC issuer, when there is one, is reachable for the token exchange.
 */
export function contentSecurityPolicy(issuer?: string): string {
  const issuerOrigin = issuer ? ` ${new URL(issuer).origin}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${issuerOrigin}`,
    "frame-ancestors 'none'",
    "base-uri 'self'",
    `form-action 'self'${issuerOrigin}`,
  ].join('; ');
}
