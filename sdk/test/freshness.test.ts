import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORDERLY_BIN, REPO_ROOT } from '../../server/test/support.ts';

/**
 * The committed document and types must be what the server's routes produce now; otherwise the
 * SDK has drifted from the API. This regenerates both the way `npm run sdk:generate` does (same CLI
 * command, the same openapi-typescript defaults as its CLI), into a temp dir.
 */
const SDK = path.join(REPO_ROOT, 'sdk');
const STALE = 'is out of date with the server: run `npm run sdk:generate` and commit the result';

let dir: string;
let freshDocument: string;
let freshTypes: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'orderly-sdk-'));
  const { stdout } = await promisify(execFile)(process.execPath, [ORDERLY_BIN, 'openapi'], {
    cwd: SDK,
    maxBuffer: 64 * 1024 * 1024,
  });
  freshDocument = stdout;
  const documentFile = path.join(dir, 'openapi.json');
  await writeFile(documentFile, freshDocument);
  freshTypes = COMMENT_HEADER + astToString(await openapiTS(pathToFileURL(documentFile), { silent: true }));
  await writeFile(path.join(dir, 'schema.d.ts'), freshTypes);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the generated SDK is up to date', () => {
  it('sdk/openapi.json is what the server publishes', async () => {
    const committed = await readFile(path.join(SDK, 'openapi.json'), 'utf8');
    expect(committed, `sdk/openapi.json ${STALE}`).toBe(freshDocument);
  });

  it('sdk/src/schema.d.ts is what openapi-typescript makes of it', async () => {
    const committed = await readFile(path.join(SDK, 'src/schema.d.ts'), 'utf8');
    expect(committed, `sdk/src/schema.d.ts ${STALE}`).toBe(freshTypes);
  });
});
