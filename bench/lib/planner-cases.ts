import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort } from 'node:worker_threads';
import { plan } from '../../server/src/modules/sourcing/planner.ts';
import { presetPolicy } from '../../server/src/modules/sourcing/policy.ts';
import { rng, syntheticLocations, syntheticOrders, syntheticServices, usPlaces } from './sourcing-network.ts';
import { ask, tsWorker } from './ts-worker.ts';

/**
 * The sourcing benchmark's planner cases: plan() per order for 5, 50 and 200 locations × 1, 5 and
 * 20 lines, on the synthetic networks of sourcing-network.ts. Run in a thread of their own, so
 * that their networks, orders and garbage are gone before the HTTP part starts.
 */
export type PlannerJob = {
  orders: number;
  warmup: number;
  /** A case's warm-up stops after this long. */
  warmupSeconds: number;
  /** A case stops early after this long, and says how many orders it planned. */
  caseSeconds: number;
};

function run(job: PlannerJob) {
  usPlaces(); // the ZIP list and ZIP3 centroids, built once, outside any timing
  const policy = presetPolicy('balanced');
  const services = syntheticServices();
  const BASE_NOW = Date.parse('2026-11-17T15:00:00Z'); // a Tuesday; orders move on 7 min each
  const plannerRows: Record<string, string | number>[] = [];
  for (const count of [5, 50, 200]) {
    const locations = syntheticLocations(count, rng(count));
    const network = { locations, services };
    for (const lines of [1, 5, 20]) {
      const r = rng(count * 1000 + lines);
      const warm = syntheticOrders(locations, lines, job.warmup, r);
      const orders = syntheticOrders(locations, lines, job.orders, r);
      const warmUntil = performance.now() + job.warmupSeconds * 1000;
      for (const [i, { order, stock }] of warm.entries()) {
        if (performance.now() > warmUntil) break;
        plan(order, network, stock, policy, new Date(BASE_NOW + i * 420_000));
      }
      const times: number[] = [];
      let exhausted = 0;
      let shipments = 0;
      let backordered = 0;
      const deadline = performance.now() + job.caseSeconds * 1000;
      for (const [i, { order, stock }] of orders.entries()) {
        if (performance.now() > deadline) break;
        const now = new Date(BASE_NOW + i * 420_000);
        const t0 = performance.now();
        const p = plan(order, network, stock, policy, now);
        times.push(performance.now() - t0);
        if (p.explanation.budget_exhausted) exhausted++;
        shipments += p.shipments.length;
        if (p.backorders.length > 0) backordered++;
      }
      const sorted = [...times].sort((a, b) => a - b);
      const pct = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor((q / 100) * sorted.length))]!;
      const p99 = pct(99);
      plannerRows.push({
        locations: count,
        lines,
        orders: `${times.length}/${orders.length}`,
        'p50 ms': pct(50).toFixed(3),
        'p99 ms': p99.toFixed(3),
        'mean ms': (times.reduce((s, t) => s + t, 0) / times.length).toFixed(3),
        'max ms': sorted[sorted.length - 1]!.toFixed(3),
        'avg shipments': (shipments / times.length).toFixed(2),
        'budget hit': exhausted,
        'with backorder': backordered,
        target: count === 50 && lines === 5 ? `p99 ≤ 2 ms: ${p99 <= 2 ? 'met' : 'NOT MET'}` : '',
      });
    }
  }
  return plannerRows;
}

if (!isMainThread) parentPort!.once('message', (job: PlannerJob) => parentPort!.postMessage(run(job)));

export async function plannerCasesInThread(job: PlannerJob) {
  const worker = tsWorker(import.meta.url);
  try {
    return await ask<PlannerJob, Record<string, string | number>[]>(worker, job);
  } finally {
    await worker.terminate();
  }
}
