import { monotonicFactory } from 'ulid';

const ulid = monotonicFactory();

/** Prefixed, time-sortable ids: `usr_01J…`, `evt_01J…`. */
export const newId = (prefix: string): string => `${prefix}_${ulid().toLowerCase()}`;
