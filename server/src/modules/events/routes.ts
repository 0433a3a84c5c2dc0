import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import type { AppEnv, Deps } from '../../http/context.ts';
import { ProblemSchema } from '../../http/problem.ts';
import { defineRoute, json } from '../../http/route.ts';
import { EventListQuery, EventPage, EventStreamHeaders, EventStreamQuery } from './schema.ts';
import { parseTypes, readEvents } from './service.ts';
import { latestSeq, listEvents } from './store.ts';
import { streamHub } from './stream.ts';

export function eventRoutes(app: OpenAPIHono<AppEnv>, deps: Deps) {
  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/events',
      tags: ['Events'],
      summary: 'Read the event log in order, after a sequence number',
      description:
        'Sequence numbers are global and strictly increasing, and a number is only handed out once every ' +
        'event before it has committed: a reader that remembers `next_after` never misses an event.',
      request: { query: EventListQuery },
      responses: { 200: json(EventPage, 'Events in sequence order') },
    }),
    async (c) => {
      const { after, types, limit } = c.req.valid('query');
      return c.json(await readEvents(deps.pool, c.var.principal!.tenant_id, after, types, limit), 200);
    },
  );

  const hub = streamHub(deps.pool, deps.log);
  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/stream',
      tags: ['Events'],
      summary: 'Live events as Server-Sent Events',
      description:
        'Each message is `id: <seq>`, `event: <type>`, `data: <the event as /v1/events returns it>`. ' +
        'Reconnect with `Last-Event-ID` (EventSource does) or `?after=` to get every event after it, in ' +
        'order, then live ones: no gap, no duplicate. Without either, the stream starts at your latest ' +
        'event. A `: heartbeat` comment comes every 15 s. Your tenant only.',
      request: { query: EventStreamQuery, headers: EventStreamHeaders },
      responses: {
        200: {
          description: 'An endless text/event-stream',
          content: { 'text/event-stream': { schema: z.string() } },
        },
        503: {
          description: 'This server holds as many streams as it may; retry later',
          content: { 'application/problem+json': { schema: ProblemSchema } },
        },
      },
    }),
    async (c) => {
      const tenantId = c.var.principal!.tenant_id;
      const query = c.req.valid('query');
      const header = c.req.valid('header')['last-event-id'];
      const types = parseTypes(query.types);
      const start =
        header !== undefined ? Number(header) : (query.after ?? (await latestSeq(deps.pool, tenantId)));
      const { batchSize, heartbeatMs } = hub.options;
      // Without a socket (in-process app.request) there is nothing to hold open: send one batch, end.
      const live = Boolean((c.env as { incoming?: unknown } | undefined)?.incoming);
      if (!live) {
        return streamSSE(c, async (stream) => {
          for (const e of await listEvents(deps.pool, tenantId, start, types, batchSize))
            await stream.writeSSE({ id: String(e.seq), event: e.type, data: JSON.stringify(e) });
        });
      }
      const sub = hub.subscribe();
      return streamSSE(c, async (stream) => {
        stream.onAbort(() => sub.close());
        try {
          await stream.write('retry: 2000\n\n');
          await hub.ensureListening();
          let scanned = start;
          let epoch = -1;
          let full = false;
          while (!sub.closed) {
            if (full || epoch !== hub.epoch || hub.behind(scanned)) {
              epoch = hub.epoch;
              const page = await hub.read(tenantId, scanned, types);
              for (const e of page.events) {
                if (sub.closed) return;
                await stream.writeSSE({ id: String(e.seq), event: e.type, data: JSON.stringify(e) });
              }
              scanned = page.scanned;
              full = page.events.length === batchSize;
              continue;
            }
            if (!(await sub.wait(heartbeatMs)) && !sub.closed) {
              await stream.write(': heartbeat\n\n');
              epoch = -1; // and look once more, in case a notification was lost
            }
          }
        } catch (err) {
          c.var.log.warn({ err: (err as Error).message }, 'event stream failed');
        } finally {
          sub.close();
        }
      });
    },
  );
}
