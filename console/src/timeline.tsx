import { useEffect, useRef, useState } from 'preact/hooks';
import { type Channel, channels, type Problem, type Touchpoint } from './api.ts';
import { ConfirmDialog } from './dialog.tsx';
import { channelName, plain, when } from './format.ts';
import { ProblemAlert } from './problem.tsx';
import type { Session } from './session.ts';

export const timelinePageSize = 25;
/** A filter matching little in a long history would otherwise read it all for one click. */
const maxRoundsPerPage = 8;

interface Filters {
  channels: Channel[];
  from: string;
  to: string;
}

/** The day's bounds in UTC: a date input gives a day, the API takes instants. */
function dayStart(date: string): string | undefined {
  return date ? `${date}T00:00:00.000Z` : undefined;
}
function dayEnd(date: string): string | undefined {
  return date ? `${date}T23:59:59.999Z` : undefined;
}

/** The timeline newest first, filtered by channel and dates, a page at a time ("Show more"). */
export function Timeline(props: { session: Session; customerId: string; moveTargets: string[]; onChanged: () => void }) {
  const { session, customerId } = props;
  const [filters, setFilters] = useState<Filters>({ channels: [], from: '', to: '' });
  const [items, setItems] = useState<Touchpoint[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [moving, setMoving] = useState<Touchpoint | undefined>();
  // Filters changed while a page was on its way: that page belongs to the old filters and is dropped.
  const generation = useRef(0);

  /**
   * A page of the filtered timeline. The API filters within each page it reads, so a filtered page
   * may come back short with more to come: pages are followed until one screenful is in hand.
   */
  async function load(after: string | undefined) {
    const asked = after ? generation.current : ++generation.current;
    setLoading(true);
    setProblem(undefined);
    const collected: Touchpoint[] = [];
    let next: string | null | undefined = after;
    for (let round = 0; round < maxRoundsPerPage && collected.length < timelinePageSize; round += 1) {
      const answer = await session.api.timeline(customerId, {
        channels: filters.channels,
        from: dayStart(filters.from),
        to: dayEnd(filters.to),
        cursor: next ?? undefined,
        limit: timelinePageSize - collected.length,
      });
      if (asked !== generation.current) return;
      if (!answer.ok) {
        setProblem(answer.problem);
        break;
      }
      collected.push(...answer.value.items);
      next = answer.value.nextCursor;
      if (!next) break;
    }
    setLoading(false);
    setItems((shown) => (after ? [...shown, ...collected] : collected));
    setCursor(next ?? null);
  }

  useEffect(() => {
    void load(undefined);
  }, [customerId, filters]);

  // Cleared in the same render as the new filters: "Show more" must never offer the old filters' cursor.
  function changeFilters(next: Filters) {
    setFilters(next);
    setItems([]);
    setCursor(null);
    setLoading(true);
  }

  function toggleChannel(channel: Channel, on: boolean) {
    changeFilters({
      ...filters,
      channels: on ? [...filters.channels, channel] : filters.channels.filter((chosen) => chosen !== channel),
    });
  }

  return (
    <section aria-labelledby="timeline-heading" class="timeline">
      <h2 id="timeline-heading">Timeline</h2>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <fieldset>
          <legend>Channels (none ticked: all)</legend>
          {channels.map((channel) => (
            <label key={channel} class="inline">
              <input
                type="checkbox"
                name="channel"
                value={channel}
                checked={filters.channels.includes(channel)}
                onChange={(event) => toggleChannel(channel, event.currentTarget.checked)}
              />
              {channelName(channel)}
            </label>
          ))}
        </fieldset>
        <label class="inline">
          From
          <input type="date" name="from" value={filters.from} onChange={(event) => changeFilters({ ...filters, from: event.currentTarget.value })} />
        </label>
        <label class="inline">
          To
          <input type="date" name="to" value={filters.to} onChange={(event) => changeFilters({ ...filters, to: event.currentTarget.value })} />
        </label>
      </form>
      {problem && <ProblemAlert problem={problem} />}
      <p class="muted" role="status" data-testid="timeline-status">
        {loading ? 'Loading…' : `Showing ${items.length} touchpoint${items.length === 1 ? '' : 's'}${cursor ? ', more available' : ''}.`}
      </p>
      <ol class="touchpoints">
        {items.map((touchpoint) => (
          <li key={touchpoint.touchpointId} data-touchpoint-id={touchpoint.touchpointId} data-channel={touchpoint.channel}>
            <details>
              <summary>
                <span class={`channel channel-${touchpoint.channel}`}>{channelName(touchpoint.channel)}</span>{' '}
                <time dateTime={touchpoint.occurredAt}>{when(touchpoint.occurredAt)}</time> {touchpoint.summary ?? ''}
              </summary>
              <dl class="details">
                {Object.entries(touchpoint.details).map(([name, value]) => (
                  <div key={name}>
                    <dt>{name}</dt>
                    <dd>{plain(value)}</dd>
                  </div>
                ))}
                <div>
                  <dt>identifiers</dt>
                  <dd>{plain(touchpoint.identifiers)}</dd>
                </div>
                <div>
                  <dt>source</dt>
                  <dd>{touchpoint.source}</dd>
                </div>
                <div>
                  <dt>id</dt>
                  <dd>{touchpoint.touchpointId}</dd>
                </div>
              </dl>
              {session.canMerge && (
                <button type="button" class="secondary" onClick={() => setMoving(touchpoint)}>
                  Move to another customer…
                </button>
              )}
            </details>
          </li>
        ))}
      </ol>
      {cursor && (
        <button type="button" disabled={loading} onClick={() => void load(cursor)}>
          Show more
        </button>
      )}
      {moving && (
        <MoveDialog
          session={session}
          touchpoint={moving}
          targets={props.moveTargets.filter((id) => id !== customerId)}
          onDone={(moved) => {
            setMoving(undefined);
            if (moved) props.onChanged();
          }}
        />
      )}
    </section>
  );
}

function MoveDialog(props: { session: Session; touchpoint: Touchpoint; targets: string[]; onDone: (moved: boolean) => void }) {
  const [target, setTarget] = useState(props.targets[0] ?? '');
  return (
    <ConfirmDialog
      title="Move this touchpoint"
      confirmLabel="Move"
      reason="required"
      ready={target.trim().length > 0}
      onConfirm={(reason) => props.session.api.moveTouchpoint(props.touchpoint.touchpointId, target.trim(), reason, props.session.agent)}
      onDone={props.onDone}
    >
      <p>
        {channelName(props.touchpoint.channel)} of {when(props.touchpoint.occurredAt)}
        {props.touchpoint.summary ? `: ${props.touchpoint.summary}` : ''}. The move is audited and can be undone.
      </p>
      <label>
        To customer (id)
        <input name="target" list="move-targets" required value={target} onInput={(event) => setTarget(event.currentTarget.value)} />
      </label>
      <datalist id="move-targets">
        {props.targets.map((id) => (
          <option key={id} value={id} />
        ))}
      </datalist>
    </ConfirmDialog>
  );
}
