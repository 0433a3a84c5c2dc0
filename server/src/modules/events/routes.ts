import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv, Deps } from '../../http/context.ts';
import { defineRoute, json } from '../../http/route.ts';
import { EventListQuery, EventPage } from './schema.ts';
import { readEvents } from './service.ts';

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
}
