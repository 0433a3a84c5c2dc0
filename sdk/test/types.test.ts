import type { ClientPathsWithMethod } from 'openapi-fetch';
import { describe, expectTypeOf, it } from 'vitest';
import type {
  ApiKey,
  CreatedApiKey,
  components,
  Event,
  EventPage,
  Health,
  Me,
  OrderlyClient,
  OrderlyError,
  Problem,
  User,
  UserPage,
} from '../src/index.ts';

/** Compile-time checks (tsc and vitest both run them): the helpers' types come from the document. */
describe('types', () => {
  it('the friendly aliases are the generated schemas', () => {
    expectTypeOf<ApiKey>().toEqualTypeOf<components['schemas']['ApiKey']>();
    expectTypeOf<Event>().toEqualTypeOf<components['schemas']['Event']>();
    expectTypeOf<Problem>().toEqualTypeOf<components['schemas']['Problem']>();
    expectTypeOf<User>().toEqualTypeOf<NonNullable<components['schemas']['User']>>();
    expectTypeOf<User>().not.toBeNullable();
    expectTypeOf<UserPage['data'][number]>().toEqualTypeOf<User>();
  });

  it('the helpers answer with those types', () => {
    type C = OrderlyClient;
    expectTypeOf<ReturnType<C['system']['healthCheck']>>().resolves.toEqualTypeOf<Health>();
    expectTypeOf<ReturnType<C['auth']['me']>>().resolves.toEqualTypeOf<Me>();
    expectTypeOf<ReturnType<C['users']['get']>>().resolves.toEqualTypeOf<User>();
    expectTypeOf<ReturnType<C['apiKeys']['create']>>().resolves.toEqualTypeOf<CreatedApiKey>();
    expectTypeOf<ReturnType<C['events']['list']>>().resolves.toEqualTypeOf<EventPage>();
    expectTypeOf<Parameters<C['users']['create']>[0]>().toEqualTypeOf<components['schemas']['CreateUser']>();
  });

  it('OrderlyError exposes the problem fields', () => {
    expectTypeOf<OrderlyError['status']>().toEqualTypeOf<number>();
    expectTypeOf<OrderlyError['errors']>().toEqualTypeOf<{ path: string; message: string }[] | undefined>();
    expectTypeOf<OrderlyError['problem']>().toEqualTypeOf<Problem>();
  });

  it('the raw client knows the routes of every module', () => {
    expectTypeOf<
      | '/v1/auth/me'
      | '/v1/users/{user_id}'
      | '/v1/products/{sku}'
      | '/v1/locations'
      | '/v1/inventory/{sku}'
      | '/health'
    >().toExtend<ClientPathsWithMethod<OrderlyClient['client'], 'get'>>();
    expectTypeOf<'/v1/inventory/reservations' | '/v1/api-keys'>().toExtend<
      ClientPathsWithMethod<OrderlyClient['client'], 'post'>
    >();
  });
});
