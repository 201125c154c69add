import type { Api } from './api.ts';

/** What every screen needs: the API with the agent's credential, and what that credential may do. */
export interface Session {
  api: Api;
  /** The credential holds `identity:merge`: merges, undo, moves and the review queue are shown. */
  canMerge: boolean;
  /** The agent's name for the audit trail, or empty. */
  agent: string;
}
