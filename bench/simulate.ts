/**
 * npm run bench -- simulate
 *
 * The network simulator's throughput, single-threaded, in-process, no database: 100,000 generated
 * orders (`generateOrders`: destinations by population, Zipf SKU popularity over 500 SKUs, 1-3
 * lines, 7 days) replayed through `Simulation.add` (the real `plan()` per order, stock depletion,
 * daily load, weekly refill) on
 *
 * - the 50-location synthetic network of the sourcing benchmark (`syntheticLocations(50)`, three
 *   services), each SKU stocked at about 40 % of the locations, 1.2 × a week's expected demand in
 *   all, refilled weekly;
 * - the 5-location demo network (`sampleNetwork`, what `orderly simulate generate --network-out`
 *   writes).
 *
 * Next to each, the baseline: the same orders iterated with the same stock decrements but no
 * planning (each line taken from the first location holding it). A case stops after
 * SIMULATE_SECONDS (default 60 × BENCH_SECONDS / 8) and reports how many orders it simulated.
 * The target: ≥ 20,000 orders/s.
 */
import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';
import { presetPolicy } from '../server/src/modules/sourcing/policy.ts';
import {
  type SimulatedOrder,
  Simulation,
  type SimulationInput,
} from '../server/src/modules/sourcing/simulate.ts';
import { NetworkFileSchema, networkFromFile } from '../server/src/modules/sourcing/simulate-files.ts';
import {
  generateOrders,
  SAMPLE_REFILL_DAYS,
  sampleNetwork,
  skuName,
  skuWeights,
  zipfProbabilities,
} from '../server/src/modules/sourcing/simulate-generate.ts';
import { BENCH_SECONDS, table } from './lib/measure.ts';
import { rng, syntheticLocations, syntheticServices, usPlaces } from './lib/sourcing-network.ts';

const ORDERS = Number(process.env.SIMULATE_ORDERS ?? 100_000);
const SKUS = 500;
const DAYS = 7;
const CASE_SECONDS = Number(process.env.SIMULATE_SECONDS ?? 60 * (BENCH_SECONDS / 8));
const WARMUP = 300;
const TARGET = 20_000;

console.log(
  `simulator benchmark: ${ORDERS.toLocaleString('en-US')} orders, ${SKUS} SKUs, ${DAYS} days; ` +
    `single-threaded, in-process; each case stops after ${CASE_SECONDS} s\n`,
);
usPlaces();
let t0 = performance.now();
const orders = generateOrders({ orders: ORDERS, skus: SKUS, days: DAYS, seed: 2026 });
console.log(`generated ${orders.length} orders in ${((performance.now() - t0) / 1000).toFixed(2)} s`);

/** 50 synthetic locations; each SKU at ~40 % of them, 1.2 × a week's expected demand spread over them. */
function synthetic50(): Omit<SimulationInput, 'policy'> {
  const r = rng(50);
  const locations = syntheticLocations(50, r);
  const p = zipfProbabilities(SKUS);
  const perDay = ORDERS / DAYS;
  const stock: Record<string, Record<string, number>> = {};
  p.forEach((pr, i) => {
    const at = locations.filter(() => r() < 0.4).map((l) => l.location_id);
    if (at.length === 0) at.push(locations[i % locations.length]!.location_id);
    const units = Math.max(1, Math.ceil((pr * perDay * SAMPLE_REFILL_DAYS * 2.5 * 1.2) / at.length));
    stock[skuName(i)] = Object.fromEntries(at.map((id) => [id, units]));
  });
  return {
    locations,
    services: syntheticServices(),
    skus: skuWeights(SKUS),
    stock,
    replenishment: { every_days: SAMPLE_REFILL_DAYS },
  };
}

function demo5(): Omit<SimulationInput, 'policy'> {
  return networkFromFile(
    NetworkFileSchema.parse(sampleNetwork({ orders: ORDERS, skus: SKUS, days: DAYS, seed: 2026 })),
  );
}

/** The same orders and stock decrements, no planning: the cost of the loop itself. */
function baseline(network: Omit<SimulationInput, 'policy'>, list: readonly SimulatedOrder[]) {
  const stock = Object.fromEntries(Object.entries(network.stock).map(([s, at]) => [s, { ...at }]));
  let shipped = 0;
  const start = performance.now();
  for (const o of list) {
    Date.parse(o.at);
    for (const l of o.lines) {
      const at = stock[l.sku];
      if (!at) continue;
      for (const id in at) {
        if (at[id]! >= l.quantity) {
          at[id]! -= l.quantity;
          shipped += l.quantity;
          break;
        }
      }
    }
  }
  const ms = performance.now() - start;
  return { per_second: (list.length / ms) * 1000, shipped };
}

const policy = presetPolicy('balanced');
const rows: Record<string, string | number>[] = [];
for (const [name, build] of [
  ['50 locations (synthetic)', synthetic50],
  ['5 locations (demo)', demo5],
] as const) {
  t0 = performance.now();
  const network = build();
  const setup = performance.now() - t0;
  const warm = new Simulation({ ...network, policy });
  for (const o of orders.slice(0, WARMUP)) warm.add(o);

  const sim = new Simulation({ ...network, policy });
  const bar = new cliProgress.SingleBar(
    { format: `${name} [{bar}] {value}/{total}`, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  const showBar = process.stderr.isTTY;
  if (showBar) bar.start(orders.length, 0);
  const deadline = performance.now() + CASE_SECONDS * 1000;
  let done = 0;
  for (const o of orders) {
    sim.add(o);
    done++;
    if (done % 100 === 0) {
      if (showBar) bar.update(done);
      if (performance.now() > deadline) break;
    }
  }
  if (showBar) bar.stop();
  const report = sim.report();
  const base = baseline(network, orders.slice(0, done));
  rows.push({
    network: name,
    'setup s': (setup / 1000).toFixed(2),
    simulated: `${done}/${orders.length}`,
    'orders/s': report.orders_per_second.toFixed(0),
    'µs/order': ((report.elapsed_ms * 1000) / done).toFixed(0),
    'baseline orders/s': base.per_second.toFixed(0),
    ratio: (report.orders_per_second / base.per_second).toFixed(5),
    'promised ≤2bd': `${(report.promised_within_2_business_days * 100).toFixed(1)} %`,
    'avg zone': report.average_zone?.toFixed(2) ?? 'n/a',
    split: `${(report.split_rate * 100).toFixed(1)} %`,
    backorder: `${(report.backorder_rate * 100).toFixed(1)} %`,
    target: `≥ ${TARGET.toLocaleString('en-US')}/s: ${report.orders_per_second >= TARGET ? 'met' : 'NOT MET'}`,
  });
}
table(rows);
console.log(
  '\n   orders/s: orders simulated ÷ time inside Simulation.add (planning, stock, counting); the',
  '\n   orders are generated and parsed beforehand. baseline: the same orders with the same stock',
  '\n   decrements and no planning; ratio = simulator ÷ baseline. setup: building the network',
  '\n   (zone tables). Balanced preset, up to 3 shipments, search budget 20,000.',
);
