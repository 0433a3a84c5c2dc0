import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Open-loop load: request i is sent at `start + i / rate` whether or not earlier ones have
 * answered, and its latency counts from that scheduled time (so a stalled server cannot hide
 * its queue, the "coordinated omission" a closed loop suffers). `op` returns false for a failure
 * (a non-200 answer); failures are counted, never dropped, and not in the percentiles.
 */
export async function openLoop(rate: number, seconds: number, op: (i: number) => Promise<boolean>) {
  const total = Math.max(1, Math.round(rate * seconds));
  const latencies: number[] = [];
  let failed = 0;
  let errors = 0;
  let lateSends = 0;
  const inflight: Promise<void>[] = [];
  const start = performance.now() + 5;
  for (let i = 0; i < total; i++) {
    const scheduled = start + (i * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait > 1) await sleep(wait);
    // The generator itself shares the CPU; sends more than 5 ms late are reported. A send up to
    // 1 ms early (not worth a timer) counts from when it left.
    const sent = performance.now();
    if (sent - scheduled > 5) lateSends++;
    const from = Math.min(scheduled, sent);
    inflight.push(
      op(i).then(
        (ok) => {
          if (ok) latencies.push(performance.now() - from);
          else failed++;
        },
        () => {
          errors++;
        },
      ),
    );
  }
  await Promise.all(inflight);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? Number.NaN;
  return {
    sent: total,
    ok: latencies.length,
    failed,
    errors,
    late_sends: lateSends,
    p50_ms: pct(50),
    p99_ms: pct(99),
    max_ms: latencies[latencies.length - 1] ?? Number.NaN,
  };
}
