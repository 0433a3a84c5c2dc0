import type { InventoryBalance } from './api.ts';

/** The physical buckets of a balance, whose sum is on hand; `incoming` is not here yet. */
export const ON_HAND_BUCKETS = ['available', 'reserved', 'safety', 'quarantine', 'damaged'] as const;
export type OnHandBucket = (typeof ON_HAND_BUCKETS)[number];

export const BUCKET_LABELS: Record<OnHandBucket | 'incoming', string> = {
  available: 'Available',
  reserved: 'Reserved',
  safety: 'Safety',
  quarantine: 'Quarantine',
  damaged: 'Damaged',
  incoming: 'Incoming',
};

export type BucketCounts = Pick<InventoryBalance, OnHandBucket>;
