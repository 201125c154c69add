/**
 * The Touchpoint website snippet. One tag:
 *   <script async src=".../touchpoint.js" data-api="https://api.example.com" data-key="tpk_..."></script>
 * then `touchpoint.consent(true)` once the visitor agrees. Until then it sets no cookie and sends
 * nothing; with Global Privacy Control on it never does. See docs/web-snippet.md.
 */

interface Visit {
  channel: 'web_visit';
  identifiers: { anonymousId: string; email?: string; customerId?: string };
  occurredAt: string;
  summary?: string;
  details: { url: string; title?: string; referrer?: string };
  idempotencyKey: string;
}

type Identity = { email: string } | { customerId: string };
type Call = [name: 'page' | 'identify' | 'consent', ...args: unknown[]];

const cookieName = 'tp_aid';
const maxBatch = 20;
const flushDelayMs = 1000;
const maxTries = 5;

const script = document.currentScript as HTMLScriptElement | null;
const endpoint = `${script?.dataset.api?.replace(/\/+$/, '') ?? ''}/v1/web/touchpoints?key=${encodeURIComponent(script?.dataset.key ?? '')}`;

let consented = false;
let queue: Visit[] = [];
let timer: ReturnType<typeof setTimeout> | undefined;
let lastUrl: string | undefined;
// One batch at a time, in order: the API records a batch's items side by side, and a sign-in
// racing the visits before it on the same anonymous profile would leave its merge to the repair job.
let sending: Promise<void> = Promise.resolve();

/** GPC is the visitor's standing "do not sell or share": it outranks whatever the site's banner says. */
const gpc = () => (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl === true;

function readCookie(): string | undefined {
  return document.cookie.match(new RegExp(`(?:^|; )${cookieName}=([^;]+)`))?.[1];
}

function writeCookie(value: string, maxAgeSeconds: number): void {
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is missing from Safari and Firefox
  document.cookie = `${cookieName}=${value}; Max-Age=${maxAgeSeconds}; Path=/; SameSite=Lax${secure}`;
}

function anonymousId(): string {
  let id = readCookie();
  if (!id) {
    id = crypto.randomUUID();
    // Browsers cap cookie lifetimes at 400 days; a year is the usual consent horizon.
    writeCookie(id, 365 * 86400);
  }
  return id;
}

const httpUrl = (value: string) => (/^https?:/.test(value) ? value.slice(0, 2048) : undefined);

function visit(extra: Partial<Visit['identifiers']> = {}, summary?: string): void {
  const url = httpUrl(location.href);
  if (!consented || !url) return;
  const title = document.title.trim().slice(0, 500);
  const referrer = httpUrl(document.referrer);
  queue.push({
    channel: 'web_visit',
    identifiers: { anonymousId: anonymousId(), ...extra },
    occurredAt: new Date().toISOString(),
    ...(summary ? { summary } : {}),
    details: { url, ...(title ? { title } : {}), ...(referrer ? { referrer } : {}) },
    // Kept with the visit: a retry sends the same key, and the API stores the visit once.
    idempotencyKey: `web-${crypto.randomUUID()}`,
  });
  if (queue.length >= maxBatch) flush();
  else timer ??= setTimeout(flush, flushDelayMs);
}

function page(): void {
  lastUrl = location.href;
  visit();
}

function identify(identity: Identity): void {
  const known = 'email' in identity ? { email: identity.email } : { customerId: identity.customerId };
  // One visit carrying both ids, in a batch of its own after the visits before it: the API joins
  // the anonymous history to the customer.
  flush();
  visit(known, 'Signed in');
  flush();
}

function consent(granted: boolean): void {
  if (!granted || gpc()) {
    consented = false;
    queue = [];
    clearTimeout(timer);
    timer = undefined;
    if (readCookie()) writeCookie('', 0);
    return;
  }
  if (consented) return;
  consented = true;
  page();
}

function send(batch: Visit[], tries: number): void {
  sending = sending.then(() => post(batch, tries));
}

async function post(batch: Visit[], tries: number): Promise<void> {
  let retry = batch;
  try {
    const response = await fetch(endpoint, {
      method: 'POST',
      body: JSON.stringify({ items: batch }),
      // text/plain and no other header: a simple request, with no preflight before it.
      headers: { 'content-type': 'text/plain' },
      credentials: 'omit',
      keepalive: true,
    });
    if (response.status === 207) {
      const { results } = (await response.json()) as { results: Array<{ status: number }> };
      retry = batch.filter((_, index) => (results[index]?.status ?? 503) >= 500);
    } else if (response.status < 500 && response.status !== 429) {
      retry = [];
    }
  } catch {
    // Offline or blocked: try again below with the same keys.
  }
  if (retry.length > 0 && tries < maxTries && consented) {
    setTimeout(() => send(retry, tries + 1), 1000 * 2 ** tries);
  }
}

function flush(beacon = false): void {
  clearTimeout(timer);
  timer = undefined;
  if (!consented || gpc() || queue.length === 0) return;
  const batch = queue;
  queue = [];
  // On page hide only a beacon is sure to leave; if the browser refuses it, keepalive fetch.
  if (beacon && navigator.sendBeacon(endpoint, new Blob([JSON.stringify({ items: batch })], { type: 'text/plain' }))) return;
  send(batch, 0);
}

function onNavigation(): void {
  if (location.href !== lastUrl) page();
}

for (const method of ['pushState', 'replaceState'] as const) {
  const original = history[method];
  history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
    original.apply(this, args);
    onNavigation();
  };
}
addEventListener('popstate', onNavigation);
addEventListener('pagehide', () => flush(true));
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') flush(true);
});

const api = { page, identify, consent, flush: () => flush() };
// Calls queued before the script loaded: window.touchpoint = [['consent', true], ...].
const early = (window as { touchpoint?: unknown }).touchpoint;
(window as { touchpoint?: unknown }).touchpoint = api;
if (Array.isArray(early)) {
  for (const [name, ...args] of early as Call[]) (api[name] as (...a: unknown[]) => void)?.(...args);
}
