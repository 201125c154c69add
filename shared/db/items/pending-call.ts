import * as z from 'zod';
import type { Key } from '../keys.ts';
import { defineEntity } from './entity.ts';

/** A call a CTI system is still reporting: `CTICALL#<system>#<callId>`, one item per call. */
export const pendingCallKey = (system: string, callId: string): Key => ({ pk: `CTICALL#${system}#${callId}`, sk: 'CTICALL' });

const facts = z.object({ at: z.string(), user: z.string().optional(), queue: z.string().optional(), cause: z.string().optional() });

export const pendingCallEntity = defineEntity({
  name: 'pendingCall',
  attributes: z.object({
    newCall: facts.optional(),
    answer: facts.optional(),
    hangup: facts.optional(),
    settled: z
      .object({
        occurredAt: z.string(),
        outcome: z.enum(['answered', 'missed', 'abandoned', 'transferred']),
        durationSeconds: z.number(),
        ringSeconds: z.number(),
        agentId: z.string().optional(),
        queue: z.string().optional(),
      })
      .optional(),
    expiresAt: z.number(),
  }),
  key: pendingCallKey,
});
