import { Worker } from 'node:worker_threads';

/**
 * A worker thread running the TypeScript module at `moduleUrl`: tsx's loader is registered in the
 * thread first (the main thread's does not carry over), then the module is imported.
 */
export function tsWorker(moduleUrl: string) {
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(
    `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(moduleUrl)}); })`,
    { eval: true },
  );
}

/** One job at a time: post it, resolve with the thread's answer. */
export function ask<Job, Answer>(worker: Worker, job: Job) {
  return new Promise<Answer>((resolve, reject) => {
    const fail = (err: Error) => reject(err);
    worker.once('error', fail);
    worker.once('message', (answer: Answer) => {
      worker.off('error', fail);
      resolve(answer);
    });
    worker.postMessage(job);
  });
}
