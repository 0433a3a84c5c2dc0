import { stringify } from 'csv-stringify/sync';
import type { Context } from 'hono';
import { stream } from 'hono/streaming';

const BATCH_ROWS = 1000;

/**
 * Streams a CSV download page by page, so an export of any size holds one batch in memory.
 * `page(after)` returns rows after a cursor and the cursor of its last row.
 */
export function csvDownload<Row>(
  c: Context,
  filename: string,
  columns: string[],
  toRecord: (row: Row) => unknown[],
  page: (after: string | undefined, limit: number) => Promise<{ rows: Row[]; last: string | undefined }>,
) {
  c.header('content-type', 'text/csv; charset=utf-8');
  c.header('content-disposition', `attachment; filename="${filename}"`);
  return stream(c, async (out) => {
    await out.write(stringify([columns]));
    let after: string | undefined;
    for (;;) {
      const { rows, last } = await page(after, BATCH_ROWS);
      if (rows.length > 0) await out.write(stringify(rows.map(toRecord)));
      if (rows.length < BATCH_ROWS || !last) break;
      after = last;
    }
  });
}
