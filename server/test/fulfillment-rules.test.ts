import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lateness, pickingMethod, priority, trackingRisk } from '../src/modules/fulfillment/picking.ts';

/** The pure rules of a fulfillment order: picking method, priority, late and at risk. */

const CHICAGO = {
  time_zone: 'America/Chicago',
  cutoffs: { mon: '15:00', tue: '15:00', wed: '15:00', thu: '15:00', fri: '15:00' },
};

describe('picking method', () => {
  it('picks by zone where the location works by zones, one unit singly, many lines in a batch', () => {
    const lines = (n: number, q = 1) => Array.from({ length: n }, () => ({ quantity: q }));
    expect(pickingMethod({ picking_method: 'zone' }, lines(1))).toBe('zone');
    expect(pickingMethod({ picking_method: 'single' }, lines(1))).toBe('single');
    expect(pickingMethod({ picking_method: 'single' }, lines(2))).toBe('single');
    expect(pickingMethod({ picking_method: 'single' }, lines(3))).toBe('batch');
    expect(pickingMethod({ picking_method: 'wave' }, lines(1, 2))).toBe('wave');
    expect(pickingMethod({ picking_method: 'batch' }, lines(1))).toBe('single');
  });
});

describe('priority and lateness, at the location’s clock', () => {
  it('is urgent on the ship-by day in the location’s time zone, not in UTC', () => {
    // 03:00 UTC on Tuesday is still Monday evening in Chicago.
    expect(priority(CHICAGO, '2026-11-24', new Date('2026-11-24T03:00:00Z'))).toBe('normal');
    expect(priority(CHICAGO, '2026-11-24', new Date('2026-11-24T07:00:00Z'))).toBe('urgent');
    expect(priority(CHICAGO, '2026-11-23', new Date('2026-11-24T07:00:00Z'))).toBe('urgent');
  });

  it('is late once the ship-by day’s cut-off passed there', () => {
    // Monday 23 November: cut-off 15:00 Chicago = 21:00 UTC.
    expect(lateness(CHICAGO, '2026-11-23', new Date('2026-11-23T20:59:00Z'))).toBeNull();
    expect(lateness(CHICAGO, '2026-11-23', new Date('2026-11-23T21:00:00Z'))).toMatch(/15:00 on 2026-11-23/);
    expect(lateness(CHICAGO, '2026-11-23', new Date('2026-11-22T12:00:00Z'))).toBeNull();
    // Saturday has no cut-off: late only when the day is over.
    expect(lateness(CHICAGO, '2026-11-28', new Date('2026-11-28T23:00:00Z'))).toBeNull();
    expect(lateness(CHICAGO, '2026-11-28', new Date('2026-11-29T06:00:00Z'))).not.toBeNull();
  });

  it('once late, stays late as time goes on', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2026-01-01'), max: new Date('2027-12-31'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 10 * 86_400_000 }),
        (at, later) => {
          const shipBy = at.toISOString().slice(0, 10);
          if (lateness(CHICAGO, shipBy, at) === null) return;
          expect(lateness(CHICAGO, shipBy, new Date(at.getTime() + later))).not.toBeNull();
        },
      ),
    );
  });
});

describe('tracking risk', () => {
  const shipment = (estimate: string | null, status = 'in_transit') => ({
    estimated_delivery_date: estimate,
    status,
    tracking_numbers: ['1Z1'],
  });
  it('is at risk only when an undelivered shipment’s estimate is after the promise', () => {
    expect(trackingRisk('2026-11-27', [shipment('2026-11-27')])).toBeNull();
    expect(trackingRisk('2026-11-27', [shipment(null)])).toBeNull();
    expect(trackingRisk('2026-11-27', [shipment('2026-11-30', 'delivered')])).toBeNull();
    expect(trackingRisk('2026-11-27', [shipment('2026-11-27'), shipment('2026-11-28', 'exception')])).toMatch(
      /2026-11-28, after the promised 2026-11-27/,
    );
  });
});
