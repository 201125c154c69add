import { monotonicFactory } from 'ulid';

// Monotonic: ids made in the same millisecond still sort in the order they were made.
const nextUlid = monotonicFactory();

export const newCustomerId = () => `cus_${nextUlid()}`;
export const newTouchpointId = () => `tp_${nextUlid()}`;
export const newMergeId = () => `mrg_${nextUlid()}`;
