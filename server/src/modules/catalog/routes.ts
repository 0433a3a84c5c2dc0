import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv, Deps } from '../../http/context.ts';
import { decodeCursor, toPage } from '../../http/pagination.ts';
import { defineRoute, json, jsonBody } from '../../http/route.ts';
import {
  BundleListQuery,
  BundlePage,
  BundleSchema,
  CreateBundleSchema,
  CreateProductSchema,
  ProductListQuery,
  ProductPage,
  ProductSchema,
  SkuSchema,
  UpdateBundleSchema,
  UpdateProductSchema,
} from './schema.ts';
import * as catalog from './service.ts';

const tags = ['Catalog'];
const Sku = z.object({ sku: SkuSchema });
// Its own name, so clients (and the tenant-isolation walk) never mistake a bundle for a product.
const BundleSku = z.object({ bundle_sku: SkuSchema });

export function catalogRoutes(app: OpenAPIHono<AppEnv>, _deps: Deps) {
  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/products',
      tags,
      summary: 'List products by SKU; search by name, SKU or barcode, filter by tag or active',
      request: { query: ProductListQuery },
      responses: { 200: json(ProductPage, 'A page of products') },
    }),
    async (c) => {
      const { limit, cursor, ...filter } = c.req.valid('query');
      const rows = await catalog.listProducts(
        c.var.db,
        c.var.principal!.tenant_id,
        filter,
        decodeCursor(cursor),
        limit + 1,
      );
      return c.json(
        toPage(rows, limit, (p) => p.sku),
        200,
      );
    },
  );

  app.openapi(
    defineRoute('manager', {
      method: 'post',
      path: '/v1/products',
      tags,
      summary: 'Create a product',
      request: { body: jsonBody(CreateProductSchema) },
      responses: { 201: json(ProductSchema, 'Created') },
    }),
    async (c) => {
      const p = c.var.principal!;
      return c.json(await catalog.createProduct(c.var.db, p.tenant_id, p.actor, c.req.valid('json')), 201);
    },
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/products/{sku}',
      tags,
      summary: 'Get a product',
      request: { params: Sku },
      responses: { 200: json(ProductSchema, 'The product') },
    }),
    async (c) =>
      c.json(await catalog.getProduct(c.var.db, c.var.principal!.tenant_id, c.req.valid('param').sku), 200),
  );

  app.openapi(
    defineRoute('manager', {
      method: 'patch',
      path: '/v1/products/{sku}',
      tags,
      summary: 'Change a product, or retire it with active: false (the SKU never changes)',
      request: { params: Sku, body: jsonBody(UpdateProductSchema) },
      responses: { 200: json(ProductSchema, 'Updated') },
    }),
    async (c) => {
      const p = c.var.principal!;
      const product = await catalog.updateProduct(
        c.var.db,
        p.tenant_id,
        p.actor,
        c.req.valid('param').sku,
        c.req.valid('json'),
      );
      return c.json(product, 200);
    },
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/bundles',
      tags,
      summary: 'List bundles by SKU; search by name or SKU, filter by active',
      request: { query: BundleListQuery },
      responses: { 200: json(BundlePage, 'A page of bundles') },
    }),
    async (c) => {
      const { limit, cursor, ...filter } = c.req.valid('query');
      const rows = await catalog.listBundles(
        c.var.db,
        c.var.principal!.tenant_id,
        filter,
        decodeCursor(cursor),
        limit + 1,
      );
      return c.json(
        toPage(rows, limit, (b) => b.sku),
        200,
      );
    },
  );

  app.openapi(
    defineRoute('manager', {
      method: 'post',
      path: '/v1/bundles',
      tags,
      summary: 'Create a bundle: a SKU sold as a set of product SKUs',
      description:
        "A bundle's sellable quantity is computed from its components' stock, never stored: the minimum " +
        'over components of floor(component sellable / quantity per bundle).',
      request: { body: jsonBody(CreateBundleSchema) },
      responses: { 201: json(BundleSchema, 'Created') },
    }),
    async (c) => {
      const p = c.var.principal!;
      return c.json(await catalog.createBundle(c.var.db, p.tenant_id, p.actor, c.req.valid('json')), 201);
    },
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/bundles/{bundle_sku}',
      tags,
      summary: 'Get a bundle with its components',
      request: { params: BundleSku },
      responses: { 200: json(BundleSchema, 'The bundle') },
    }),
    async (c) =>
      c.json(
        await catalog.getBundle(c.var.db, c.var.principal!.tenant_id, c.req.valid('param').bundle_sku),
        200,
      ),
  );

  app.openapi(
    defineRoute('manager', {
      method: 'patch',
      path: '/v1/bundles/{bundle_sku}',
      tags,
      summary: 'Change a bundle; components, when sent, replace all of them',
      request: { params: BundleSku, body: jsonBody(UpdateBundleSchema) },
      responses: { 200: json(BundleSchema, 'Updated') },
    }),
    async (c) => {
      const p = c.var.principal!;
      const bundle = await catalog.updateBundle(
        c.var.db,
        p.tenant_id,
        p.actor,
        c.req.valid('param').bundle_sku,
        c.req.valid('json'),
      );
      return c.json(bundle, 200);
    },
  );
}
