import { performance } from 'node:perf_hooks';

export const BENCH_SECONDS = Number(process.env.BENCH_SECONDS ?? 8);

/**
 * Runs `op` from `clients` concurrent loops for `seconds` and returns completed operations per
 * second and latency percentiles. An op that returns false counted as refused, not completed.
 */
export async function throughput(clients: number, seconds: number, op: (client: number) => Promise<boolean>) {
  const latencies: number[] = [];
  let refused = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        if (await op(client)) latencies.push(performance.now() - t0);
        else refused++;
      }
    }),
  );
  const elapsed_s = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return {
    per_second: latencies.length / elapsed_s,
    completed: latencies.length,
    refused,
    p50_ms: pct(50),
    p99_ms: pct(99),
  };
}

export function table(rows: Record<string, string | number>[]) {
  const keys = Object.keys(rows[0] ?? {});
  const fmt = (v: string | number) =>
    typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : v;
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => fmt(r[k]!).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(keys));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(keys.map((k) => fmt(r[k]!))));
}
