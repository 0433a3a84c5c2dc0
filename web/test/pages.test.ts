import { describe, expect, it } from 'vitest';
import type { InventoryMovement, SkuLocationBalance } from '../src/api.ts';
import { todaysCutoff } from '../src/cutoff.ts';
import { availableAfter, describeCause, describeChange } from '../src/movements.ts';

const movement = (over: Partial<InventoryMovement>): InventoryMovement => ({
  seq: 1,
  sku: 'TEE',
  location_id: 'loc_a',
  quantity: 1,
  from_bucket: 'available',
  to_bucket: 'reserved',
  cause: 'reservation',
  reason: null,
  reference: 'res_1',
  actor: { type: 'api_key', id: 'key_1' },
  created_at: '2026-01-05T12:00:00.000Z',
  ...over,
});

const balance = (location_id: string, available: number) =>
  ({ location_id, available }) as SkuLocationBalance;

describe('movement lines', () => {
  it('says what went in, out, and between buckets', () => {
    const found = movement({ from_bucket: 'outside:adjustment', to_bucket: 'available', quantity: 10 });
    expect(describeChange(found)).toEqual({ text: '+10 available', direction: 'in' });
    const shipped = movement({ from_bucket: 'reserved', to_bucket: 'outside:customer', quantity: 2 });
    expect(describeChange(shipped)).toEqual({ text: '−2 reserved', direction: 'out' });
    expect(describeChange(movement({}))).toEqual({ text: '−1 available → reserved', direction: 'within' });
    expect(describeCause(movement({ cause: 'transfer', reason: 'lost_in_transit' }))).toBe(
      'transfer (lost in transit)',
    );
  });

  it('works back from the current balance to what was available after each movement', () => {
    // Newest first, at two locations: found 10 at a, found 4 at b, reserved 3 at a, damaged 1 at a.
    const movements = [
      movement({ seq: 4, from_bucket: 'available', to_bucket: 'damaged' }),
      movement({ seq: 3, quantity: 3 }),
      movement({
        seq: 2,
        location_id: 'loc_b',
        from_bucket: 'outside:adjustment',
        to_bucket: 'available',
        quantity: 4,
      }),
      movement({ seq: 1, from_bucket: 'outside:adjustment', to_bucket: 'available', quantity: 10 }),
    ];
    expect(availableAfter(movements, [balance('loc_a', 6), balance('loc_b', 4)])).toEqual([6, 7, 4, 10]);
  });
});

describe("today's cut-off", () => {
  const cutoffs = { mon: '14:00', tue: '14:00' };

  it("uses the location's own day and time", () => {
    // Monday 20:30 UTC is Monday 12:30 in Los Angeles, but already Tuesday 05:30 in Tokyo.
    const now = new Date('2026-01-05T20:30:00Z');
    expect(todaysCutoff({ time_zone: 'America/Los_Angeles', cutoffs }, now)).toEqual({
      time: '14:00',
      passed: false,
      localNow: 'Mon 12:30',
    });
    expect(todaysCutoff({ time_zone: 'America/New_York', cutoffs }, now)?.passed).toBe(true);
    expect(todaysCutoff({ time_zone: 'Asia/Tokyo', cutoffs }, now)?.localNow).toBe('Tue 05:30');
  });

  it('has none on a day without one, and gives up on an unknown time zone', () => {
    const sunday = new Date('2026-01-04T15:00:00Z');
    expect(todaysCutoff({ time_zone: 'America/Chicago', cutoffs }, sunday)?.time).toBeNull();
    expect(todaysCutoff({ time_zone: 'Mars/Olympus_Mons', cutoffs }, sunday)).toBeNull();
  });
});
