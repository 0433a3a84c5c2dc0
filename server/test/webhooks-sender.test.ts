import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook, sendWebhook } from '../src/modules/webhooks/sender.ts';

/** A local endpoint whose answer each test chooses by path. */
let server: http.Server;
let port: number;
const hits: string[] = [];
beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    req.resume();
    req.on('end', () => {
      if (req.url === '/ok') return res.end('fine');
      if (req.url === '/redirect') {
        res.writeHead(302, { location: '/elsewhere' });
        return res.end();
      }
      if (req.url === '/big') {
        res.writeHead(200);
        return res.end(Buffer.alloc(1024 * 1024, 'x'));
      }
      if (req.url === '/fail') {
        res.writeHead(503);
        return res.end('down');
      }
      // '/slow': never answers
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const open = { allow_private: true, self_port: 1, self_host: 'orderly.invalid' };
const request = { headers: { 'content-type': 'application/json', 'webhook-id': 'evt_1' }, body: '{"a":1}' };
const at = (path: string, host = '127.0.0.1') => new URL(`http://${host}:${port}${path}`);

describe('webhook sender', () => {
  it('posts the signed request and reports the status and latency', async () => {
    const r = await postWebhook(at('/ok'), request, open, 5000);
    expect(r).toMatchObject({ ok: true, response_status: 200, error: null });
    expect(r.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('does not follow a redirect: a 3xx is a failure, the target never hit', async () => {
    const r = await postWebhook(at('/redirect'), request, open, 5000);
    expect(r).toMatchObject({
      ok: false,
      response_status: 302,
      error: 'answered 302: redirects are not followed',
    });
    expect(hits).not.toContain('/elsewhere');
  });

  it('reports a server error with its status', async () => {
    const r = await postWebhook(at('/fail'), request, open, 5000);
    expect(r).toMatchObject({ ok: false, response_status: 503, error: 'answered 503' });
  });

  it('bounds the exchange by the timeout', async () => {
    const r = await postWebhook(at('/slow'), request, open, 200);
    expect(r).toMatchObject({ ok: false, response_status: null, error: 'no answer within 200 ms' });
  });

  it('reads at most a bounded part of a large answer and still reports it', async () => {
    const r = await postWebhook(at('/big'), request, open, 5000);
    expect(r).toMatchObject({ ok: true, response_status: 200 });
  });

  it("refuses at connection time a name that resolves where the tenant's rule forbids", async () => {
    // checkTarget would refuse first; the connection's own lookup must refuse too (DNS rebinding).
    const strict = { ...open, allow_private: false };
    const r = await postWebhook(at('/ok', 'localhost'), request, strict, 5000);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/refused by the webhook URL rule/);
    // …and this server's own port even when private addresses are allowed.
    const self = await postWebhook(at('/ok', 'localhost'), request, { ...open, self_port: port }, 5000);
    expect(self.error).toMatch(/refused by the webhook URL rule/);
  });

  it('checks the URL rule before sending', async () => {
    const strict = { ...open, allow_private: false };
    const r = await sendWebhook(`http://127.0.0.1:${port}/ok`, request, strict, 5000);
    expect(r).toMatchObject({ ok: false, response_status: null });
    expect(r.error).toMatch(/^url /);
  });
});
