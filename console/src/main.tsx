import { render } from 'preact';
import { App } from './app.tsx';
import { loadConfig } from './config.ts';
import { finishSignIn, storedCredential } from './credential.ts';

const root = document.getElementById('app') as HTMLElement;

async function start() {
  const config = await loadConfig();
  if (config.oidc) {
    const returnTo = await finishSignIn(config.oidc);
    // The code and state leave the address bar; the search the agent had comes back.
    if (returnTo !== undefined) history.replaceState(null, '', `${location.pathname}${returnTo}`);
  }
  // The "Loading" line goes: Preact renders beside what it did not render itself.
  root.replaceChildren();
  render(<App config={config} credential={storedCredential()} />, root);
}

start().catch((error: unknown) => {
  root.textContent = `The console could not start: ${error instanceof Error ? error.message : String(error)}`;
  root.setAttribute('role', 'alert');
});
