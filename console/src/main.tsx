import { render } from 'preact';
import type { Problem } from './api.ts';
import { App } from './app.tsx';
import { loadConfig } from './config.ts';
import { finishSignIn, storedCredential } from './credential.ts';

const root = document.getElementById('app') as HTMLElement;

async function start() {
  const config = await loadConfig();
  let signInProblem: Problem | undefined;
  if (config.oidc) {
    const outcome = await finishSignIn(config.oidc);
    // The code and state leave the address bar (a reload must not replay them); the search the agent had comes back.
    if (outcome) {
      history.replaceState(null, '', `${location.pathname}${outcome.returnTo}`);
      signInProblem = outcome.problem;
    }
  }
  // The "Loading" line goes: Preact renders beside what it did not render itself.
  root.replaceChildren();
  render(<App config={config} credential={storedCredential()} signInProblem={signInProblem} />, root);
}

start().catch((error: unknown) => {
  root.textContent = `The console could not start: ${error instanceof Error ? error.message : String(error)}`;
  root.setAttribute('role', 'alert');
});
