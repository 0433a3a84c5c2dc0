import { randomBytes } from 'node:crypto';
import { monotonicFactory } from 'ulid';

// ulid asks its random source once per character; drawing those bytes from a pool refilled 4 KB at
// a time keeps a crypto call off every id (capture makes several).
let pool = Buffer.alloc(0);
let next = 0;
const random = () => {
  if (next >= pool.length) {
    pool = randomBytes(4096);
    next = 0;
  }
  return pool[next++]! / 0x100;
};

const ulid = monotonicFactory(random);

/** Prefixed, time-sortable ids: `usr_01J…`, `evt_01J…`. */
export const newId = (prefix: string): string => `${prefix}_${ulid().toLowerCase()}`;
