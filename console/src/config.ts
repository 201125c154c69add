/**
 * The deployment's settings, read from config.json beside index.html: written by the CDK app at
 * deploy time (BucketDeployment's Source.jsonData), by the build for `npm start`.
 */
/** What the console asks for unless the deployment says otherwise: an agent's reading and identity work. */
export const defaultSignInScope = 'openid customers:read identity:merge';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  /** Scopes to ask for, space-separated, e.g. "openid customers:read identity:merge". */
  scope: string;
  /** Sent as `audience` to issuers that need it to mint an access token for the API (Auth0). */
  audience?: string;
}

export interface ConsoleConfig {
  /** The API's origin; empty for the origin the console is served from. */
  apiBaseUrl: string;
  oidc?: OidcSettings;
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new Error(`config.json: ${name} must be a string`);
  return value;
}

export function parseConfig(raw: unknown): ConsoleConfig {
  if (!raw || typeof raw !== 'object') throw new Error('config.json must hold an object');
  const given = raw as Record<string, unknown>;
  const config: ConsoleConfig = { apiBaseUrl: text(given.apiBaseUrl ?? '', 'apiBaseUrl').replace(/\/$/, '') };
  if (given.oidc) {
    const oidc = given.oidc as Record<string, unknown>;
    config.oidc = {
      issuer: text(oidc.issuer, 'oidc.issuer'),
      clientId: text(oidc.clientId, 'oidc.clientId'),
      scope: text(oidc.scope ?? 'openid', 'oidc.scope'),
      ...(oidc.audience ? { audience: text(oidc.audience, 'oidc.audience') } : {}),
    };
  }
  return config;
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch(new URL('config.json', document.baseURI), { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json answered ${response.status}`);
  return parseConfig(await response.json());
}
