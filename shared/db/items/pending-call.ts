import * as z from '../../schemas/zod.ts';
import type { Key } from '../keys.ts';
import { defineEntity } from './entity.ts';

/** A call a CTI system is still reporting: `CTICALL#<system>#<callId>`, one item per call. */
export const pendingCallKey = (system: string, callId: string): Key => ({ pk: `CTICALL#${system}#${callId}`, sk: 'CTICALL' });

const facts = z.object({ at: z.string(), user: z.optional(z.string()), queue: z.optional(z.string()), cause: z.optional(z.string()) });

export const pendingCallEntity = defineEntity({
  name: 'pendingCall',
  attributes: z.object({
    newCall: z.optional(facts),
    answer: z.optional(facts),
    hangup: z.optional(facts),
    settled: z.optional(
      z.object({
        occurredAt: z.string(),
        outcome: z.enum(['answered', 'missed', 'abandoned', 'transferred']),
        durationSeconds: z.number(),
        ringSeconds: z.number(),
        agentId: z.optional(z.string()),
        queue: z.optional(z.string()),
      }),
    ),
    expiresAt: z.number(),
  }),
  key: pendingCallKey,
});
