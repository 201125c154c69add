import * as z from '../../schemas/zod.ts';
import { touchpointVersionKey } from '../keys.ts';
import { defineEntity } from './entity.ts';

/**
 * The newest version of an upstream record its touchpoint shows (`VERSION#<source>#<upstreamId>`):
 * no identifier and no customer, only which touchpoint and which version. It expires with the
 * touchpoint it names.
 */
export const touchpointVersionEntity = defineEntity({
  name: 'touchpointVersion',
  attributes: z.object({
    touchpointId: z.string(),
    version: z.string(),
    updatedAt: z.string(),
    expiresAt: z.number(),
  }),
  key: touchpointVersionKey,
});
