/**
 * The Orderly SDK: a typed client generated from the server's OpenAPI document (see README.md).
 *
 *   const orderly = createOrderlyClient({ baseUrl: 'http://localhost:4000', apiKey });
 *   const me = await orderly.auth.me();
 */
export {
  type CallOptions,
  createOrderlyClient,
  type OrderlyClient,
  type OrderlyClientOptions,
  type WriteOptions,
} from './client.ts';
export { OrderlyError } from './errors.ts';
export { DEFAULT_RETRY, type Fetch, type RetryOptions } from './retry.ts';
export type * from './types.ts';
