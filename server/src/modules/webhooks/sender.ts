import http from 'node:http';
import https from 'node:https';
import type { SignedRequest } from './signing.ts';
import { checkWebhookUrl, defaultPort, guardedLookup, type Refused, type UrlPolicy } from './url-rules.ts';

/**
 * One HTTP POST to an endpoint. Redirects are not followed (a 3xx is a failure: following one
 * would bypass the URL rule), the whole exchange is bounded by `timeout_ms`, and at most
 * RESPONSE_BYTES_MAX of the answer is read. Connections are kept alive in two pools, one per
 * URL policy, so a socket opened for a tenant allowed to reach private addresses is never lent
 * to one that is not.
 */

export type SendResult = {
  ok: boolean;
  response_status: number | null;
  latency_ms: number;
  error: string | null;
};

const RESPONSE_BYTES_MAX = 64 * 1024;
const ERROR_LENGTH_MAX = 500;
const SOCKETS_PER_HOST_MAX = 16;

const agent = (Kind: typeof http.Agent | typeof https.Agent) =>
  new Kind({ keepAlive: true, maxSockets: SOCKETS_PER_HOST_MAX, timeout: 30_000 });
const AGENTS = {
  strict: { 'http:': agent(http.Agent), 'https:': agent(https.Agent) },
  open: { 'http:': agent(http.Agent), 'https:': agent(https.Agent) },
};

const clip = (s: string) => (s.length > ERROR_LENGTH_MAX ? `${s.slice(0, ERROR_LENGTH_MAX - 1)}…` : s);

export async function sendWebhook(
  rawUrl: string,
  request: SignedRequest,
  policy: UrlPolicy,
  timeout_ms: number,
): Promise<SendResult> {
  const target = await checkTarget(rawUrl, policy, timeout_ms);
  return target.ok ? postWebhook(target.url, request, policy, timeout_ms) : target.refused;
}

/**
 * The URL rule, with the name resolved: before every attempt, or once before a batch of attempts
 * to one endpoint (each connection's own lookup checks again). getaddrinfo has no time limit of
 * its own, so the attempt's bounds the lookup too.
 */
export async function checkTarget(
  rawUrl: string,
  policy: UrlPolicy,
  timeout_ms: number,
): Promise<{ ok: true; url: URL } | { ok: false; refused: SendResult }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const verdict = await Promise.race([
    checkWebhookUrl(rawUrl, policy),
    new Promise<Refused>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            ok: false,
            code: 'unresolved',
            message: `could not be resolved within ${timeout_ms} ms`,
          }),
        timeout_ms,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  if (verdict.ok) return { ok: true, url: verdict.url };
  return {
    ok: false,
    refused: {
      ok: false,
      response_status: null,
      latency_ms: Math.round(performance.now() - started),
      error: clip(`url ${verdict.message}`),
    },
  };
}

/** The POST itself, to a URL `checkTarget` accepted. */
export function postWebhook(
  url: URL,
  request: SignedRequest,
  policy: UrlPolicy,
  timeout_ms: number,
): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const protocol = url.protocol as 'http:' | 'https:';
  const lib = protocol === 'https:' ? https : http;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    // One timer, cleared with the answer (AbortSignal.timeout's would outlive it by timeout_ms).
    const timer = setTimeout(() => {
      const err = new Error(`no answer within ${timeout_ms} ms`);
      err.name = 'TimeoutError';
      req.destroy(err);
    }, timeout_ms);
    const finish = (r: Omit<SendResult, 'latency_ms'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, latency_ms: elapsed() });
    };
    const req = lib.request(
      url,
      {
        method: 'POST',
        headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
        agent: AGENTS[policy.allow_private ? 'open' : 'strict'][protocol],
        lookup: guardedLookup(policy, defaultPort(url)) as never,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > RESPONSE_BYTES_MAX) res.destroy();
        });
        const done = () => {
          const ok = status >= 200 && status < 300;
          finish({
            ok,
            response_status: status,
            error: ok
              ? null
              : status >= 300 && status < 400
                ? `answered ${status}: redirects are not followed`
                : `answered ${status}`,
          });
        };
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      const timedOut = err.name === 'AbortError' || err.name === 'TimeoutError';
      finish({
        ok: false,
        response_status: null,
        error: clip(
          timedOut ? `no answer within ${timeout_ms} ms` : `${err.code ?? 'error'}: ${err.message}`,
        ),
      });
    });
    req.end(request.body);
  });
}
