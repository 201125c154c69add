import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Problem, Result } from './api.ts';
import { ProblemAlert } from './problem.tsx';

export interface ConfirmProps {
  title: string;
  confirmLabel: string;
  /** A reason for the audit trail: required where the API requires one. */
  reason?: 'required' | 'optional';
  children?: ComponentChildren;
  /** Extra form fields' validity: the confirm button stays off until they are filled. */
  ready?: boolean;
  onConfirm: (reason: string) => Promise<Result<unknown>>;
  onDone: (confirmed: boolean) => void;
}

/**
 * Every action confirms first, in a modal dialog (focus moves into it, Escape cancels, focus
 * returns to the button that opened it) and shows the API's problem detail when refused.
 */
export function ConfirmDialog(props: ConfirmProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>();

  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    dialog.current?.showModal();
    return () => opener?.focus();
  }, []);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    const answer = await props.onConfirm(reason.trim());
    setBusy(false);
    if (answer.ok) props.onDone(true);
    else setProblem(answer.problem);
  }

  const reasonMissing = props.reason === 'required' && !reason.trim();
  return (
    <dialog ref={dialog} aria-labelledby="dialog-title" onCancel={() => props.onDone(false)}>
      <form onSubmit={submit}>
        <h2 id="dialog-title">{props.title}</h2>
        {props.children}
        {props.reason && (
          <label>
            Reason{props.reason === 'required' ? '' : ' (optional)'}
            <textarea
              name="reason"
              rows={2}
              maxLength={500}
              required={props.reason === 'required'}
              value={reason}
              onInput={(event) => setReason(event.currentTarget.value)}
            />
          </label>
        )}
        {problem && <ProblemAlert problem={problem} />}
        <div class="actions">
          <button type="submit" disabled={busy || reasonMissing || props.ready === false}>
            {busy ? 'Working…' : props.confirmLabel}
          </button>
          <button type="button" class="secondary" onClick={() => props.onDone(false)}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
