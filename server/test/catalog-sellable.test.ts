import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bundleSellable } from '../src/modules/catalog/service.ts';

const components = fc.uniqueArray(
  fc.record({ sku: fc.stringMatching(/^[A-Z0-9-]{1,8}$/), quantity: fc.integer({ min: 1, max: 100 }) }),
  { minLength: 1, maxLength: 50, selector: (c) => c.sku },
);

/** Components with a sellable quantity for each, sometimes far below what one bundle needs. */
const stocked = components.chain((cs) =>
  fc
    .array(fc.integer({ min: 0, max: 100_000 }), { minLength: cs.length, maxLength: cs.length })
    .map((qtys) => ({ cs, sellable: new Map(cs.map((c, i) => [c.sku, qtys[i]!])) })),
);

describe('bundleSellable', () => {
  it('is the largest whole number of bundles every component can cover', () => {
    fc.assert(
      fc.property(stocked, ({ cs, sellable }) => {
        const n = bundleSellable(cs, sellable);
        expect(Number.isInteger(n)).toBe(true);
        expect(n).toBeGreaterThanOrEqual(0);
        // n bundles fit in every component's stock …
        for (const c of cs) expect(n * c.quantity).toBeLessThanOrEqual(sellable.get(c.sku)!);
        // … and one more would run some component out.
        expect(cs.some((c) => (n + 1) * c.quantity > sellable.get(c.sku)!)).toBe(true);
      }),
    );
  });

  it('is 0 when any component has no sellable quantity at all', () => {
    fc.assert(
      fc.property(stocked, fc.nat(), ({ cs, sellable }, pick) => {
        const missing = cs[pick % cs.length]!;
        const without = new Map(sellable);
        without.delete(missing.sku);
        expect(bundleSellable(cs, without)).toBe(0);
      }),
    );
  });

  it('ignores sellable quantities of SKUs that are not components', () => {
    fc.assert(
      fc.property(stocked, fc.integer({ min: 0, max: 1_000 }), ({ cs, sellable }, extra) => {
        const more = new Map(sellable).set('not-a-component', extra);
        expect(bundleSellable(cs, more)).toBe(bundleSellable(cs, sellable));
      }),
    );
  });

  it('works through an example by hand', () => {
    const tea = [
      { sku: 'CUP', quantity: 4 },
      { sku: 'SAUCER', quantity: 4 },
      { sku: 'TRAY', quantity: 1 },
    ];
    const stock = new Map([
      ['CUP', 10],
      ['SAUCER', 13],
      ['TRAY', 7],
    ]);
    expect(bundleSellable(tea, stock)).toBe(2);
    expect(bundleSellable(tea, new Map(stock).set('CUP', 3))).toBe(0);
    expect(bundleSellable([], stock)).toBe(0);
  });
});
