import { isMainThread, parentPort } from 'node:worker_threads';
import { type Answer, leanClient, postBytes } from './lean-http.ts';
import { openLoop } from './open-loop.ts';
import { ask, tsWorker } from './ts-worker.ts';

/**
 * An open-loop HTTP load generator in a thread of its own: on the same machine and cores as the
 * server, as the issue asks, but not on the server's event loop, where every request's client
 * work would run between the server's own and stall it (a client elsewhere would not). Requests
 * go through the lean client of lean-http.ts, not `fetch`, for the same reason.
 */

export type LoadJob = {
  url: string;
  headers: Record<string, string>;
  /** Request i posts `bodies[i % bodies.length]`. */
  bodies: string[];
  rate: number;
  seconds: number;
  /** A top-level array of the JSON answer: 200 answers where it is not empty are counted. */
  nonEmpty: string;
};

export type LoadResult = Awaited<ReturnType<typeof openLoop>> & {
  /** Non-200 answers by status, with the first body of each. */
  statuses: [number, { count: number; first: string }][];
  /** Requests that got no answer, by error. */
  errors_seen: [string, number][];
  answered: number;
  non_empty: number;
};

async function run(job: LoadJob): Promise<LoadResult> {
  const statuses = new Map<number, { count: number; first: string }>();
  const errors = new Map<string, number>();
  let answered = 0;
  let nonEmpty = 0;
  const url = new URL(job.url);
  const requests = job.bodies.map((body) => postBytes(url, job.headers, body));
  const client = leanClient(url);
  const result = await openLoop(job.rate, job.seconds, async (i) => {
    let answer: Answer;
    try {
      answer = await client.send(requests[i % requests.length]!);
    } catch (err) {
      const e = err as Error & { code?: string };
      const what = e.code ? `${e.message} (${e.code})` : e.message;
      errors.set(what, (errors.get(what) ?? 0) + 1);
      throw err;
    }
    if (answer.status !== 200) {
      const seen = statuses.get(answer.status) ?? { count: 0, first: answer.body.slice(0, 300) };
      seen.count++;
      statuses.set(answer.status, seen);
      return false;
    }
    answered++;
    const list = (JSON.parse(answer.body) as Record<string, unknown>)[job.nonEmpty];
    if (Array.isArray(list) && list.length > 0) nonEmpty++;
    return true;
  });
  client.close();
  return { ...result, statuses: [...statuses], errors_seen: [...errors], answered, non_empty: nonEmpty };
}

if (!isMainThread) parentPort!.on('message', async (job: LoadJob) => parentPort!.postMessage(await run(job)));

/** Starts the thread; `run` sends one job at a time and resolves with its result. */
export function loadThread() {
  const worker = tsWorker(import.meta.url);
  return {
    run: (job: LoadJob) => ask<LoadJob, LoadResult>(worker, job),
    close: () => worker.terminate(),
  };
}
