import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import { catalogRoutes } from '../modules/catalog/routes.ts';
import { registerEventCatalogue } from '../modules/events/catalogue.ts';
import { eventRoutes } from '../modules/events/routes.ts';
import { fulfillmentRoutes } from '../modules/fulfillment/routes.ts';
import { inventoryGroupCommitted, inventoryRoutes } from '../modules/inventory/routes.ts';
import { coverageRoutes } from '../modules/network/coverage-routes.ts';
import { networkRoutes } from '../modules/network/routes.ts';
import { orderListRoutes } from '../modules/orders/list-routes.ts';
import { orderRoutes } from '../modules/orders/routes.ts';
import { subscriptionRoutes } from '../modules/orders/subscription-routes.ts';
import { returnRoutes } from '../modules/returns/routes.ts';
import { rebalanceRoutes } from '../modules/sourcing/rebalance-routes.ts';
import { sourcingRoutes } from '../modules/sourcing/routes.ts';
import { simulateRoutes } from '../modules/sourcing/simulate-routes.ts';
import { tenancyRoutes } from '../modules/tenancy/routes.ts';
import { webhookRoutes } from '../modules/webhooks/routes.ts';
import { checkHealth, type WorkerState } from '../system/health.ts';
import { workflowRoutes } from '../workflows/routes.ts';
import type { AppEnv, Deps } from './context.ts';
import { authenticate, emptyBodyIsNoBody, limitBody, observe, rateLimit, transaction } from './middleware.ts';
import { AppError, fieldErrors, problemBody } from './problem.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const WEB_DIST = path.resolve(here, '../../../web/dist');
const SWAGGER_DIST = path.dirname(fileURLToPath(import.meta.resolve('swagger-ui-dist/package.json')));

export const API_INFO = {
  title: 'Orderly API',
  version: '1.0.0',
  description:
    'Orders, inventory and fulfillment in one place. Authenticate with `Authorization: Bearer <api key>`. ' +
    'Errors are RFC 9457 problem+json. Every POST accepts an `Idempotency-Key` header.',
};

/**
 * POSTs that only read and compute (their input is a body, too large for a query string): no
 * transaction is opened for them and no answer is stored for an Idempotency-Key; there is
 * nothing to undo or to do twice.
 */
const READ_ONLY_POSTS = new Set(['/v1/promise', '/v1/sourcing/plan', '/v1/inventory/rebalance-plan']);

export function createApp(deps: Deps, workers: WorkerState) {
  const app = new OpenAPIHono<AppEnv>({
    // Invalid input is answered as one problem naming every offending field.
    defaultHook: (result) => {
      if (!result.success) {
        const errors = fieldErrors(result.target === 'json' ? 'body' : result.target, result.error.issues);
        const first = errors[0];
        throw new AppError('validation-error', first ? `${first.path}: ${first.message}` : 'Invalid input.', {
          errors,
        });
      }
    },
  });

  app.use('*', observe(deps));
  app.onError((err, c) => {
    let problem: AppError;
    if (err instanceof AppError) problem = err;
    else if (err instanceof HTTPException && err.status === 400) {
      problem = new AppError(
        'malformed-request',
        err.message.includes('JSON') ? 'The body is not valid JSON.' : err.message,
      );
    } else if (err instanceof HTTPException && err.status === 415) {
      problem = new AppError(
        'unsupported-media-type',
        'Send the body as JSON with Content-Type: application/json.',
      );
    } else {
      c.var.log.error({ err }, 'unhandled error');
      problem = new AppError(
        'internal',
        `Something went wrong on our side; quote request id ${c.var.requestId}.`,
      );
    }
    for (const [k, v] of Object.entries(problem.extra.headers ?? {})) c.header(k, v);
    return c.json(problemBody(problem, c.req.path, c.var.requestId), problem.status as 400, {
      'content-type': 'application/problem+json',
    });
  });
  app.notFound((c) =>
    c.json(
      problemBody(
        new AppError('not-found', `No route for ${c.req.method} ${c.req.path}.`),
        c.req.path,
        c.var.requestId,
      ),
      404,
      { 'content-type': 'application/problem+json' },
    ),
  );

  app.use('/v1/*', limitBody(deps.config.bodyLimitBytes));
  app.use('/v1/*', emptyBodyIsNoBody);
  app.use('/v1/*', authenticate(deps.pool));
  app.use('/v1/*', rateLimit(deps.config.rateLimitPerSecond));
  app.use('/v1/*', transaction(deps.pool, inventoryGroupCommitted, READ_ONLY_POSTS));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key created in the dashboard or with `orderly keys create`',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'sessionCookie', {
    type: 'apiKey',
    in: 'cookie',
    name: 'orderly_session',
  });

  tenancyRoutes(app, deps);
  eventRoutes(app, deps);
  networkRoutes(app, deps);
  coverageRoutes(app, deps);
  catalogRoutes(app, deps);
  inventoryRoutes(app, deps);
  sourcingRoutes(app, deps);
  rebalanceRoutes(app, deps);
  simulateRoutes(app, deps);
  orderRoutes(app, deps);
  orderListRoutes(app, deps);
  fulfillmentRoutes(app, deps);
  returnRoutes(app, deps);
  workflowRoutes(app, deps);
  subscriptionRoutes(app, deps);
  webhookRoutes(app, deps);
  registerEventCatalogue(app.openAPIRegistry);

  const HealthSchema = z
    .object({
      status: z.enum(['ok', 'unavailable']),
      checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string() })),
    })
    .openapi('Health');
  app.openapi(
    {
      method: 'get',
      path: '/health',
      tags: ['System'],
      summary: 'Database, schema and workers; 503 when any is not ready',
      responses: {
        200: { description: 'Ready', content: { 'application/json': { schema: HealthSchema } } },
        503: { description: 'Not ready', content: { 'application/json': { schema: HealthSchema } } },
      },
    },
    async (c) => {
      const health = await checkHealth(deps.pool, workers);
      return health.status === 'ok' ? c.json(health, 200) : c.json(health, 503);
    },
  );

  app.get('/metrics', async (c) =>
    c.text(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType }),
  );
  app.get('/openapi.json', (c) => c.json(openApiDocument(app)));
  app.get('/docs', (c) => c.html(DOCS_HTML));
  app.use(
    '/docs/*',
    serveStatic({ root: SWAGGER_DIST, rewriteRequestPath: (p) => p.replace(/^\/docs/, '') }),
  );

  if (existsSync(WEB_DIST)) {
    const index = serveStatic({ root: WEB_DIST, path: 'index.html' });
    app.use('/*', serveStatic({ root: WEB_DIST }));
    // The dashboard routes in the browser: unknown page paths get its index page, API paths a 404.
    app.get('/*', (c, next) => (c.req.path.startsWith('/v1/') ? next() : index(c, next)));
  }
  return app;
}

export function openApiDocument(app: OpenAPIHono<AppEnv>) {
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: API_INFO,
    servers: [{ url: '/' }],
  });
}

const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Orderly API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="docs"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({ url: '/openapi.json', dom_id: '#docs', deepLinking: true, persistAuthorization: true });</script>
</body></html>`;
