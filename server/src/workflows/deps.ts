import type { Deps } from '../http/context.ts';

let current: Deps | undefined;

/** Workflow steps reach the database and the logger through this; set before DBOS launches. */
export function workflowDeps(): Deps {
  if (!current) throw new Error('Workflows are not running in this process.');
  return current;
}

export function setWorkflowDeps(deps: Deps | undefined) {
  current = deps;
}
