import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv, Deps } from '../http/context.ts';
import { decodeCursor, encodeCursor, PageQuery } from '../http/pagination.ts';
import { AppError } from '../http/problem.ts';
import { defineRoute, existsFirst, json, jsonBody } from '../http/route.ts';
import { cancelWorkflow, getWorkflow, listWorkflows, retryWorkflow, STATUS_FILTERS } from './admin.ts';

const tags = ['Workflows'];
const WorkflowId = z.object({
  workflow_id: z.string().max(300).openapi({ example: 'return:ten_demo:ret_01jd…' }),
});

const WorkflowSchema = z
  .object({
    workflow_id: z.string(),
    name: z.string().openapi({ example: 'orderly.return' }),
    status: z.string().openapi({
      description: 'PENDING, ENQUEUED, SUCCESS, ERROR, CANCELLED, MAX_RECOVERY_ATTEMPTS_EXCEEDED',
    }),
    error: z.string().nullable(),
    queue: z.string().nullable(),
    executor_id: z.string().nullable(),
    recovery_attempts: z.number().int(),
    created_at: z.string(),
    updated_at: z.string().nullable(),
  })
  .openapi('Workflow');
const WorkflowDetailSchema = WorkflowSchema.extend({
  steps: z.array(
    z.object({
      step: z.number().int(),
      name: z.string(),
      error: z.string().nullable(),
      child_workflow_id: z.string().nullable(),
      started_at: z.string().nullable(),
      completed_at: z.string().nullable(),
    }),
  ),
}).openapi('WorkflowDetail');

const ListQuery = PageQuery.extend({
  status: z
    .enum(Object.keys(STATUS_FILTERS) as [keyof typeof STATUS_FILTERS])
    .optional()
    .openapi({ description: '`failed` lists those that ended in an error or ran out of recovery attempts' }),
  name: z.string().max(100).optional().openapi({ example: 'orderly.return' }),
});

const tenant = (c: Context<AppEnv>) => c.var.principal!.tenant_id;
const workflowId = (c: Context<AppEnv>) => c.req.param('workflow_id')!;

function offsetOf(cursor: string | undefined) {
  const key = decodeCursor(cursor);
  if (key === undefined) return 0;
  if (!/^\d{1,9}$/.test(key))
    throw new AppError('validation-error', 'query.cursor is not a cursor this API issued.');
  return Number(key);
}

/** The tenant's durable workflows: find the failed or stuck ones, retry or cancel them (admin). */
export function workflowRoutes(app: OpenAPIHono<AppEnv>, deps: Deps) {
  const exists = existsFirst(app, (c, t) => getWorkflow(deps.pool, t, workflowId(c)));
  app.openapi(
    defineRoute('admin', {
      method: 'get',
      path: '/v1/workflows',
      tags,
      summary: 'The tenant’s durable workflows, newest first: e.g. `?status=failed`',
      request: { query: ListQuery },
      responses: {
        200: json(
          z
            .object({ data: z.array(WorkflowSchema), next_cursor: z.string().nullable() })
            .openapi('WorkflowPage'),
          'A page',
        ),
      },
    }),
    async (c) => {
      const { limit, cursor, status, name } = c.req.valid('query');
      const page = await listWorkflows(deps.pool, tenant(c), {
        status,
        name,
        limit,
        offset: offsetOf(cursor),
      });
      return c.json(
        {
          data: page.data,
          next_cursor: page.next_offset === null ? null : encodeCursor(String(page.next_offset)),
        },
        200,
      );
    },
  );

  app.openapi(
    defineRoute('admin', {
      method: 'get',
      path: '/v1/workflows/{workflow_id}',
      tags,
      summary: 'A workflow with its recorded steps and errors',
      request: { params: WorkflowId },
      responses: { 200: json(WorkflowDetailSchema, 'The workflow') },
    }),
    async (c) => c.json(await getWorkflow(deps.pool, tenant(c), workflowId(c)), 200),
  );

  const action = (path: 'retry' | 'cancel', summary: string, run: typeof retryWorkflow) =>
    app.openapi(
      defineRoute('admin', {
        method: 'post',
        path: `/v1/workflows/{workflow_id}/${path}`,
        tags,
        summary,
        request: { params: WorkflowId, body: jsonBody(z.strictObject({}).openapi('WorkflowAction')) },
        responses: { 200: json(WorkflowDetailSchema, 'The workflow after the change') },
      }),
      async (c) => c.json(await run(deps.pool, tenant(c), workflowId(c)), 200),
      exists,
    );
  action('retry', 'Run a failed or cancelled workflow again from its last completed step', retryWorkflow);
  action('cancel', 'Stop a pending or queued workflow (retry resumes it)', cancelWorkflow);
}
