import { channels } from '../domain/channels.ts';

/**
 * What a client may do. A billing system gets `touchpoints:write:invoice_query`, a website
 * `touchpoints:write:web_visit`, the call centre `customers:read` and `touchpoints:write:call`.
 */
export const scopes = [
  'touchpoints:write:*',
  ...channels.map((channel) => `touchpoints:write:${channel}` as const),
  'customers:read',
  'customers:write',
  'identity:merge',
  'privacy:export',
  'privacy:erase',
  'keys:admin',
  // An integration hub that relays touchpoints for the systems behind it may name each one as the
  // touchpoint's `source`; every other client's touchpoints carry its own name.
  'touchpoints:relay',
] as const;

export type Scope = (typeof scopes)[number];

/**
 * What a route requires: a scope; `touchpoints:write` (any channel's write scope: the handler
 * checks the channel of each touchpoint, which the authorizer cannot see); `authenticated` (any
 * valid credential); `public`; `public-key` (the web route: a public key in the URL, checked
 * by the route itself against the request's Origin, since a preflight carries no credential); or
 * `connector`: a vendor's webhook, which sends no API key but signs (or keys) its requests with
 * that connector's own secret, checked by the handler before anything else (shared/connectors).
 * No API key opens a connector route, whatever its scopes.
 */
export type RouteAccess = Scope | 'touchpoints:write' | 'authenticated' | 'public' | 'public-key' | 'connector';
