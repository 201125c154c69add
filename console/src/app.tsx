import { useEffect, useRef, useState } from 'preact/hooks';
import { type ContactDecision, type CustomerView, contactChannels, createApi, type LookupCandidate, type Problem } from './api.ts';
import { ContactBanner, RecognitionCard } from './card.tsx';
import type { ConsoleConfig } from './config.ts';
import { agentName, type Credential, forgetCredential, keepAgentName, keepApiKey, startSignIn } from './credential.ts';
import { Candidates, Identifiers, MergeAudit, ReviewQueue } from './identity.tsx';
import { ProblemAlert } from './problem.tsx';
import { lookupsFor, type SearchType, searchParameters } from './search.ts';
import type { Session } from './session.ts';
import { Timeline } from './timeline.tsx';

type Screen =
  | { kind: 'idle' }
  | { kind: 'searching' }
  | { kind: 'problem'; problem: Problem }
  | { kind: 'candidates'; detail: string; candidates: LookupCandidate[] }
  | { kind: 'customer'; view: CustomerView }
  | { kind: 'review' };

/** The mark the screen pop is measured from: the lookup's answer in hand, before anything renders. */
export const lookupAnsweredMark = 'touchpoint:lookup-answered';

/** setTimeout's longest delay (about 24.8 days); a longer one would fire at once. */
const longestTimeoutMs = 2 ** 31 - 1;

export function App(props: { config: ConsoleConfig; credential: Credential | undefined; signInProblem?: Problem | undefined }) {
  const [credential, setCredential] = useState(props.credential);
  const [signInProblem, setSignInProblem] = useState(props.signInProblem);
  const [canMerge, setCanMerge] = useState(false);
  const credentialRef = useRef(credential);
  credentialRef.current = credential;
  const [api] = useState(() => createApi({ baseUrl: props.config.apiBaseUrl, credential: () => credentialRef.current?.secret }));

  useEffect(() => {
    setCanMerge(false);
    if (credential) void api.canMerge().then(setCanMerge);
  }, [credential, api]);

  // A token that expires leads back to sign-in, before the API starts refusing it; the address keeps the screen.
  useEffect(() => {
    const expiresAt = credential?.expiresAt;
    if (expiresAt === undefined) return;
    let timer: ReturnType<typeof setTimeout>;
    const check = () => {
      const left = expiresAt - Date.now();
      if (left > 0) {
        timer = setTimeout(check, Math.min(left, longestTimeoutMs));
        return;
      }
      forgetCredential();
      setSignInProblem({ type: 'about:blank', title: 'Your sign-in has expired', status: 0, detail: 'Sign in again to go on where you were.' });
      setCredential(undefined);
    };
    check();
    return () => clearTimeout(timer);
  }, [credential]);

  if (!credential)
    return (
      <SignIn
        config={props.config}
        problem={signInProblem}
        onKey={(key, agent) => {
          keepAgentName(agent);
          setCredential(keepApiKey(key));
        }}
      />
    );
  const session: Session = { api, canMerge, agent: agentName() };
  return (
    <Workspace
      session={session}
      onSignOut={() => {
        forgetCredential();
        setSignInProblem(undefined);
        setCredential(undefined);
      }}
    />
  );
}

function SignIn(props: { config: ConsoleConfig; problem: Problem | undefined; onKey: (key: string, agent: string) => void }) {
  const [key, setKey] = useState('');
  const [agent, setAgent] = useState(agentName());
  const [problem, setProblem] = useState<Problem | undefined>(props.problem);
  const { oidc } = props.config;
  return (
    <main class="sign-in">
      <h1>Touchpoint console</h1>
      {oidc && (
        <p>
          <button
            type="button"
            onClick={() =>
              void startSignIn(oidc).catch((error: unknown) =>
                setProblem({ type: 'about:blank', title: 'Sign-in failed', status: 0, detail: error instanceof Error ? error.message : String(error) }),
              )
            }
          >
            Sign in with {new URL(oidc.issuer).host}
          </button>
        </p>
      )}
      {problem && <ProblemAlert problem={problem} />}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (key.trim()) props.onKey(key, agent);
        }}
      >
        <h2>{oidc ? 'Or use an API key' : 'Use your API key'}</h2>
        <label>
          API key
          <input name="apiKey" type="password" autoComplete="off" required value={key} onInput={(event) => setKey(event.currentTarget.value)} />
        </label>
        <label>
          Your name (optional, for the audit trail)
          <input name="agent" autoComplete="name" value={agent} onInput={(event) => setAgent(event.currentTarget.value)} />
        </label>
        <p class="muted">Kept in this tab only (session storage) until you sign out or close it.</p>
        <button type="submit">Continue</button>
      </form>
    </main>
  );
}

/** The search the URL names: `?phone=…` (or email, accountId, invoiceNumber, customerId), or `?review`. */
function searchFromUrl(): { type: SearchType; value: string } | 'review' | undefined {
  const params = new URLSearchParams(location.search);
  if (params.has('review')) return 'review';
  for (const type of searchParameters) {
    const value = params.get(type);
    if (value) return { type, value };
  }
  const query = params.get('q');
  return query ? { type: 'auto', value: query } : undefined;
}

function Workspace(props: { session: Session; onSignOut: () => void }) {
  const { session } = props;
  const [screen, setScreen] = useState<Screen>({ kind: 'idle' });
  const [text, setText] = useState('');
  const [type, setType] = useState<SearchType>('auto');
  const [decisions, setDecisions] = useState<ContactDecision[] | undefined>();
  const [candidates, setCandidates] = useState<string[]>([]);
  const [version, setVersion] = useState(0);
  const input = useRef<HTMLInputElement>(null);

  async function search(searchType: SearchType, value: string) {
    const lookups = lookupsFor(value, searchType);
    if (lookups.length === 0) return;
    setScreen({ kind: 'searching' });
    let last: Problem | undefined;
    for (const lookup of lookups) {
      const answer = await session.api.lookup(lookup.type, lookup.value);
      performance.mark(lookupAnsweredMark);
      if (answer.ok) {
        const found = answer.value;
        if (found.kind === 'customer') {
          history.replaceState(null, '', `?customerId=${encodeURIComponent(found.view.customer.customerId)}`);
          return showCustomer(found.view);
        }
        setCandidates(found.candidates.map((candidate) => candidate.customerId));
        history.replaceState(null, '', `?${lookup.type}=${encodeURIComponent(lookup.value)}`);
        return setScreen({ kind: 'candidates', detail: found.detail, candidates: found.candidates });
      }
      last = answer.problem;
      // Another reading of the text may still find someone; any refusal but "unknown" is final.
      if (answer.problem.status !== 404) break;
    }
    if (last) setScreen({ kind: 'problem', problem: last });
  }

  function showCustomer(view: CustomerView) {
    setScreen({ kind: 'customer', view });
    setDecisions(undefined);
    const customerId = view.customer.customerId;
    void Promise.all(contactChannels.map((channel) => session.api.contactCheck(customerId, channel))).then((answers) =>
      setDecisions(answers.flatMap((answer) => (answer.ok ? [answer.value] : []))),
    );
  }

  function reload() {
    setVersion((current) => current + 1);
    if (screen.kind === 'customer') void search('customerId', screen.view.customer.customerId);
  }

  function openReview() {
    history.replaceState(null, '', '?review');
    setScreen({ kind: 'review' });
  }

  useEffect(() => {
    const initial = searchFromUrl();
    if (initial === 'review') openReview();
    else if (initial) {
      setText(initial.value);
      void search(initial.type, initial.value);
    } else input.current?.focus();
    // "/" jumps to the search box from anywhere but a text field: the agent's hands stay on the keyboard.
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement;
      if (event.key === '/' && !['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) {
        event.preventDefault();
        input.current?.focus();
        input.current?.select();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  return (
    <>
      <header class="bar">
        <h1>Touchpoint console</h1>
        <search>
          <form
            onSubmit={(event) => {
              event.preventDefault();
              void search(type, text);
            }}
          >
            <label for="search-text">Find a customer</label>
            <input
              id="search-text"
              ref={input}
              name="q"
              type="search"
              autoComplete="off"
              placeholder="Phone, email, account or invoice number"
              aria-describedby="search-hint"
              value={text}
              onInput={(event) => setText(event.currentTarget.value)}
            />
            <label for="search-type" class="visually-hidden">
              Search by
            </label>
            <select id="search-type" name="type" value={type} onChange={(event) => setType(event.currentTarget.value as SearchType)}>
              <option value="auto">Any</option>
              <option value="phone">Phone</option>
              <option value="email">Email</option>
              <option value="accountId">Account</option>
              <option value="invoiceNumber">Invoice</option>
              <option value="customerId">Customer id</option>
            </select>
            <button type="submit">Find</button>
            <span id="search-hint" class="visually-hidden">
              Press slash to come back here from anywhere.
            </span>
          </form>
        </search>
        <nav aria-label="Console">
          {session.canMerge && (
            <button type="button" class="secondary" onClick={openReview}>
              Merge candidates
            </button>
          )}
          <button type="button" class="secondary" onClick={props.onSignOut}>
            Sign out
          </button>
        </nav>
      </header>
      <main>
        {screen.kind === 'idle' && <p class="muted">Type a phone number in any format, an email, an account or invoice number, then Enter.</p>}
        {screen.kind === 'searching' && <p role="status">Looking up…</p>}
        {screen.kind === 'problem' && <ProblemAlert problem={screen.problem} />}
        {screen.kind === 'candidates' && <Candidates detail={screen.detail} candidates={screen.candidates} onPick={(id) => void search('customerId', id)} />}
        {screen.kind === 'review' && <ReviewQueue session={session} onOpen={(id) => void search('customerId', id)} />}
        {screen.kind === 'customer' && (
          <div class="customer">
            <ScreenPopMeasure customerId={screen.view.customer.customerId} />
            <ContactBanner decisions={decisions} view={screen.view} />
            <RecognitionCard view={screen.view} />
            <Timeline
              session={session}
              customerId={screen.view.customer.customerId}
              moveTargets={candidates}
              onChanged={reload}
              key={`${screen.view.customer.customerId}:${version}`}
            />
            <Identifiers session={session} customerId={screen.view.customer.customerId} version={version} />
            <MergeAudit session={session} customerId={screen.view.customer.customerId} version={version} onChanged={reload} />
          </div>
        )}
      </main>
    </>
  );
}

/** Measures from the lookup's answer to the card on screen (after the next paint), as `touchpoint:screen-pop`. */
function ScreenPopMeasure({ customerId }: { customerId: string }) {
  useEffect(() => {
    requestAnimationFrame(() =>
      setTimeout(() => {
        if (performance.getEntriesByName(lookupAnsweredMark).length > 0) performance.measure('touchpoint:screen-pop', lookupAnsweredMark);
      }),
    );
  }, [customerId]);
  return null;
}
