import { z } from '@hono/zod-openapi';
import { AppError } from './problem.ts';

export const PAGE_SIZE_MAX = 200;

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(PAGE_SIZE_MAX).default(50).openapi({ example: 50 }),
  cursor: z.string().max(200).optional().openapi({ description: 'next_cursor from the previous page' }),
});

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    data: z.array(item),
    next_cursor: z.string().nullable().openapi({ description: 'null on the last page' }),
  });

/** Cursors are opaque to clients: the sort key of the last row, base64url-encoded. */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!key) throw new AppError('validation-error', 'query.cursor is not a cursor this API issued.');
  return key;
}

/**
 * Stores fetch `limit + 1` rows ordered by a unique key; this trims the extra row and turns
 * its presence into the next cursor.
 */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => string) {
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return { data, next_cursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}
