import { useEffect, useState } from 'preact/hooks';
import type { IdentifierList, LookupCandidate, MergeCandidate, MergeRecord, Problem } from './api.ts';
import { ConfirmDialog } from './dialog.tsx';
import { channelName, when } from './format.ts';
import { ProblemAlert } from './problem.tsx';
import type { Session } from './session.ts';

/** A shared identifier (a household landline) names its people: the agent asks the caller and picks. */
export function Candidates(props: { detail: string; candidates: LookupCandidate[]; onPick: (customerId: string) => void }) {
  return (
    <section aria-labelledby="candidates-heading">
      <h2 id="candidates-heading">Who is calling?</h2>
      <p>{props.detail}</p>
      <ul class="candidates">
        {props.candidates.map((candidate) => (
          <li key={candidate.customerId}>
            <button type="button" onClick={() => props.onPick(candidate.customerId)}>
              {candidate.displayName ?? 'Name not known'}
            </button>
            <span class="muted">
              {' '}
              {candidate.customerId} · matched by shared {candidate.matchedBy.type} {candidate.matchedBy.value} · last contact{' '}
              {candidate.lastContact ? `${channelName(candidate.lastContact.channel)}, ${when(candidate.lastContact.occurredAt)}` : 'none'}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

const ruleText: Record<string, string> = {
  'first-contact': 'first contact',
  'seen-with-known-identifier': 'seen with a known identifier',
  'linked-by-staff': 'linked by staff',
  merged: 'brought by a merge',
};

function useLoaded<T>(load: () => Promise<{ ok: true; value: T } | { ok: false; problem: Problem }>, key: unknown[]) {
  const [state, setState] = useState<{ value?: T; problem?: Problem }>({});
  useEffect(() => {
    let current = true;
    setState({});
    void load().then((answer) => {
      if (current) setState(answer.ok ? { value: answer.value } : { problem: answer.problem });
    });
    return () => {
      current = false;
    };
  }, key);
  return state;
}

/** Every identifier with how it came to belong to the customer. */
export function Identifiers(props: { session: Session; customerId: string; version: number }) {
  const { value, problem } = useLoaded<IdentifierList>(() => props.session.api.identifiers(props.customerId), [props.customerId, props.version]);
  return (
    <section aria-labelledby="identifiers-heading">
      <h2 id="identifiers-heading">Identifiers</h2>
      {problem && <ProblemAlert problem={problem} />}
      {value && (
        <table>
          <thead>
            <tr>
              <th scope="col">Type</th>
              <th scope="col">Value</th>
              <th scope="col">How attached</th>
              <th scope="col">By</th>
              <th scope="col">When</th>
            </tr>
          </thead>
          <tbody>
            {value.identifiers.map((identifier) => {
              const provenance = identifier.provenance as { rule?: string; source?: string; attachedAt?: string; touchpointId?: string; mergeId?: string };
              return (
                <tr key={`${identifier.type}:${identifier.value}`}>
                  <td>{identifier.type}</td>
                  <td>
                    {identifier.value}
                    {identifier.shared ? ' (shared)' : ''}
                  </td>
                  <td>
                    {ruleText[provenance.rule ?? ''] ?? provenance.rule ?? '—'}
                    {provenance.touchpointId ? ` (${provenance.touchpointId})` : ''}
                    {provenance.mergeId ? ` (${provenance.mergeId})` : ''}
                  </td>
                  <td>{provenance.source ?? '—'}</td>
                  <td>{provenance.attachedAt ? when(provenance.attachedAt) : '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The merge and move audit trail, each completed entry undoable. */
export function MergeAudit(props: { session: Session; customerId: string; version: number; onChanged: () => void }) {
  const { value, problem } = useLoaded(() => props.session.api.merges(props.customerId), [props.customerId, props.version]);
  const [undoing, setUndoing] = useState<MergeRecord | undefined>();
  return (
    <section aria-labelledby="merges-heading">
      <h2 id="merges-heading">Merges and moves</h2>
      {problem && <ProblemAlert problem={problem} />}
      {value && value.items.length === 0 && <p class="muted">None.</p>}
      {value && value.items.length > 0 && (
        <ul class="audit">
          {value.items.map((record) => (
            <li key={record.mergeId} data-merge-id={record.mergeId}>
              <strong>{record.kind === 'merge' ? 'Merge' : 'Move'}</strong> {record.status} · {when(record.createdAt)} · {record.sourceCustomerId} →{' '}
              {record.targetCustomerId} · by {record.actor}
              {record.reason ? ` · “${record.reason}”` : ''} · {record.movedTouchpointCount} touchpoints, {record.movedIdentifiers.length} identifiers
              {props.session.canMerge && record.status === 'completed' && (
                <>
                  {' '}
                  <button type="button" class="secondary" onClick={() => setUndoing(record)}>
                    Undo…
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      {undoing && (
        <ConfirmDialog
          title={undoing.kind === 'merge' ? 'Undo this merge' : 'Undo this move'}
          confirmLabel="Undo"
          reason="optional"
          onConfirm={(reason) => props.session.api.undoMerge(undoing.mergeId, reason, props.session.agent)}
          onDone={(done) => {
            setUndoing(undefined);
            if (done) props.onChanged();
          }}
        >
          <p>
            {undoing.sourceCustomerId} and {undoing.targetCustomerId} go back as they were before {when(undoing.createdAt)}.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

/** Pairs of customers claiming one identifier: merged (the agent chooses which to keep) or dismissed. */
export function ReviewQueue(props: { session: Session; onOpen: (customerId: string) => void }) {
  const [version, setVersion] = useState(0);
  const { value, problem } = useLoaded(() => props.session.api.mergeCandidates({ limit: 50 }), [version]);
  const [action, setAction] = useState<{ kind: 'merge' | 'dismiss'; candidate: MergeCandidate } | undefined>();
  const [keep, setKeep] = useState(0);
  const [done, setDone] = useState<string | undefined>();
  const open = value?.items.filter((candidate) => candidate.status === 'open') ?? [];
  return (
    <section aria-labelledby="review-heading">
      <h2 id="review-heading">Merge candidates</h2>
      {done && (
        <p role="status" class="banner ok">
          {done}
        </p>
      )}
      {problem && <ProblemAlert problem={problem} />}
      {value && open.length === 0 && <p class="muted">No open candidates.</p>}
      <ul class="candidates">
        {open.map((candidate) => (
          <li key={candidate.candidateId} data-candidate-id={candidate.candidateId}>
            {candidate.customerIds.map((id) => (
              <button key={id} type="button" class="link" onClick={() => props.onOpen(id)}>
                {id}
              </button>
            ))}
            <span class="muted">
              {' '}
              both claim {candidate.identifiers.map((identifier) => `${identifier.type} ${identifier.value}`).join(', ')} · seen {candidate.occurrences}× · last{' '}
              {when(candidate.lastSeenAt)}
            </span>{' '}
            <button
              type="button"
              onClick={() => {
                setKeep(0);
                setAction({ kind: 'merge', candidate });
              }}
            >
              Merge…
            </button>{' '}
            <button type="button" class="secondary" onClick={() => setAction({ kind: 'dismiss', candidate })}>
              Dismiss…
            </button>
          </li>
        ))}
      </ul>
      {action?.kind === 'merge' && (
        <ConfirmDialog
          title="Merge these customers"
          confirmLabel="Merge"
          reason="required"
          onConfirm={(reason) => {
            const [first, second] = action.candidate.customerIds;
            const [target, source] = keep === 0 ? [first, second] : [second, first];
            return props.session.api.merge(target, source, reason, props.session.agent).then((answer) => {
              if (answer.ok) setDone(`Merged ${source} into ${target}. The merge can be undone from ${target}’s merges and moves.`);
              return answer;
            });
          }}
          onDone={(merged) => {
            setAction(undefined);
            if (merged) setVersion(version + 1);
          }}
        >
          <fieldset>
            <legend>Keep (the other is merged into it)</legend>
            {action.candidate.customerIds.map((id, index) => (
              <label key={id} class="inline">
                <input type="radio" name="keep" checked={keep === index} onChange={() => setKeep(index)} />
                {id}
              </label>
            ))}
          </fieldset>
        </ConfirmDialog>
      )}
      {action?.kind === 'dismiss' && (
        <ConfirmDialog
          title="Dismiss this candidate"
          confirmLabel="Dismiss"
          onConfirm={() => {
            return props.session.api.dismissCandidate(action.candidate.candidateId).then((answer) => {
              if (answer.ok) setDone(`Dismissed: ${action.candidate.customerIds.join(' and ')} are different people.`);
              return answer;
            });
          }}
          onDone={(dismissed) => {
            setAction(undefined);
            if (dismissed) setVersion(version + 1);
          }}
        >
          <p>{action.candidate.customerIds.join(' and ')} are different people; they are not proposed again for these identifiers.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
