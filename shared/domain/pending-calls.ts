/**
 * A call as a CTI system reports it, one event at a time (newCall, answer, hangup), in any order
 * and possibly more than once. The call touchpoint is written at hangup from the events seen by
 * then; the events before it are kept meanwhile, and what the hangup settled is kept too, so a
 * redelivered hangup records exactly what the first did even if a late answer arrived in between.
 * No phone number is kept here: every event carries the call's numbers itself.
 */
export const callEventKinds = ['newCall', 'answer', 'hangup'] as const;
export type CallEventKind = (typeof callEventKinds)[number];

export interface CallEventFacts {
  at: string;
  user?: string;
  queue?: string;
  /** The hangup's reason, as the CTI system names it. */
  cause?: string;
}

export type CallOutcome = 'answered' | 'missed' | 'abandoned' | 'transferred';

/** What the call touchpoint says, fixed once at the first hangup. */
export interface SettledCall {
  occurredAt: string;
  outcome: CallOutcome;
  durationSeconds: number;
  ringSeconds: number;
  agentId?: string;
  queue?: string;
}

export type CallSeen = Partial<Record<CallEventKind, CallEventFacts>> & { settled?: SettledCall };

export interface CallRef {
  system: string;
  callId: string;
}

export interface PendingCallStore {
  /** Keeps the first event of each kind and answers everything seen of the call so far. */
  note(call: CallRef, kind: CallEventKind, facts: CallEventFacts, now: Date): Promise<CallSeen>;
  /** Fixes the call's settlement; a settlement already fixed wins and is answered instead. */
  settle(call: CallRef, settled: SettledCall): Promise<SettledCall>;
}
