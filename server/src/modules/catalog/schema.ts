import { z } from '@hono/zod-openapi';
import { PageQuery, pageOf } from '../../http/pagination.ts';

export const SKU_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
export const BUNDLE_COMPONENTS_MAX = 50;
const COMPONENT_QUANTITY_MAX = 10_000;
const MONEY_MAX = 99_999_999.99;
const WEIGHT_LB_MAX = 100_000;
const DIMENSION_IN_MAX = 10_000;
const TAGS_MAX = 50;
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

/** Path words under /v1/inventory/ that would shadow a SKU of the same name. */
export const RESERVED_SKUS = [
  'movements',
  'reservations',
  'adjustments',
  'moves',
  'transfers',
  'imports',
] as const;

export const SkuSchema = z
  .string()
  .regex(SKU_PATTERN, 'Use 1-64 letters, digits, dots, underscores or hyphens.')
  .refine((s) => !(RESERVED_SKUS as readonly string[]).includes(s.toLowerCase()), {
    message: `These words name inventory endpoints and cannot be SKUs: ${RESERVED_SKUS.join(', ')}.`,
  })
  .openapi({ example: 'TSHIRT-BLK-M', description: "The merchant's own identifier; case-sensitive" });

// toFixed(2) round-trips exactly when there are at most 2 decimals, without float artefacts.
const Money = z
  .number()
  .min(0)
  .max(MONEY_MAX)
  .refine((v) => Number(v.toFixed(2)) === v, 'Use at most 2 decimal places.')
  .openapi({ example: 19.99 });

const Currency = z
  .string()
  .refine((c) => CURRENCIES.has(c), 'Use an ISO 4217 currency code such as USD.')
  .openapi({ example: 'USD', description: 'ISO 4217' });

const Name = z.string().trim().min(1).max(200);
const Tag = z.string().trim().min(1).max(50);

export const DimensionsSchema = z
  .strictObject({
    length_in: z.number().positive().max(DIMENSION_IN_MAX),
    width_in: z.number().positive().max(DIMENSION_IN_MAX),
    height_in: z.number().positive().max(DIMENSION_IN_MAX),
  })
  .openapi({ description: 'Inches; all three or none' });

export const ProductSchema = z
  .object({
    product_id: z.string().openapi({ example: 'prd_01jq3v7k9m2x4b6n8p0r2t4w6y' }),
    sku: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    weight_lb: z.number(),
    dimensions: DimensionsSchema.nullable(),
    unit_cost: z.number(),
    price: z.number(),
    currency: z.string(),
    barcode: z.string().nullable(),
    tags: z.array(z.string()),
    final_sale: z.boolean().openapi({ description: 'Returns refuse final-sale items' }),
    low_stock_threshold: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'inventory.low_stock is raised when sellable falls to this' }),
    active: z.boolean(),
    created_at: z.string().openapi({ format: 'date-time' }),
    updated_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Product');

const productFields = {
  name: Name,
  description: z.string().trim().max(5000).nullable(),
  weight_lb: z.number().min(0).max(WEIGHT_LB_MAX),
  dimensions: DimensionsSchema.nullable(),
  unit_cost: Money,
  price: Money,
  currency: Currency,
  barcode: z
    .string()
    .regex(/^[\x21-\x7e]{1,64}$/, 'Use 1-64 visible ASCII characters.')
    .nullable()
    .openapi({ description: 'UPC, EAN or any scannable code; unique per tenant' }),
  // Duplicates would only make the tag filter ambiguous; keep the first of each.
  tags: z
    .array(Tag)
    .max(TAGS_MAX)
    .transform((tags) => [...new Set(tags)]),
  final_sale: z.boolean(),
  low_stock_threshold: z.number().int().min(0).max(1_000_000_000).nullable(),
  active: z.boolean(),
};

export const CreateProductSchema = z
  .strictObject({
    sku: SkuSchema,
    ...productFields,
    description: productFields.description.default(null),
    dimensions: productFields.dimensions.default(null),
    currency: productFields.currency.default('USD'),
    barcode: productFields.barcode.default(null),
    tags: productFields.tags.default([]),
    final_sale: productFields.final_sale.default(false),
    low_stock_threshold: productFields.low_stock_threshold.default(null),
    active: productFields.active.default(true),
  })
  .openapi('CreateProduct');

export const UpdateProductSchema = z.strictObject(productFields).partial().openapi('UpdateProduct', {
  description: 'Only the fields sent change; null clears a nullable field. The SKU never changes.',
});

const activeFilter = z
  .enum(['true', 'false'])
  .optional()
  .transform((v) => (v === undefined ? undefined : v === 'true'));

export const ProductListQuery = PageQuery.extend({
  q: z.string().trim().min(1).max(100).optional().openapi({ description: 'Part of a name, SKU or barcode' }),
  tag: Tag.optional().openapi({ description: 'Only products with this tag' }),
  active: activeFilter,
});

export const ProductPage = pageOf(ProductSchema).openapi('ProductPage');

export const BundleComponentSchema = z
  .strictObject({
    sku: SkuSchema.openapi({ description: 'A product SKU (not a bundle)' }),
    quantity: z.number().int().min(1).max(COMPONENT_QUANTITY_MAX).openapi({ description: 'Per bundle' }),
  })
  .openapi('BundleComponent');

const Components = z
  .array(BundleComponentSchema)
  .min(1)
  .max(BUNDLE_COMPONENTS_MAX)
  .superRefine((components, ctx) => {
    const seen = new Set<string>();
    components.forEach((c, i) => {
      if (seen.has(c.sku)) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'sku'],
          message: `${c.sku} is listed twice; give it once with the total quantity.`,
        });
      }
      seen.add(c.sku);
    });
  });

export const BundleSchema = z
  .object({
    sku: z.string(),
    name: z.string(),
    price: z.number(),
    currency: z.string(),
    active: z.boolean(),
    components: z.array(z.object({ sku: z.string(), quantity: z.number().int() })),
    created_at: z.string().openapi({ format: 'date-time' }),
    updated_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Bundle');

export const CreateBundleSchema = z
  .strictObject({
    sku: SkuSchema,
    name: Name,
    price: Money,
    currency: Currency.default('USD'),
    active: z.boolean().default(true),
    components: Components,
  })
  .openapi('CreateBundle');

export const UpdateBundleSchema = z
  .strictObject({
    name: Name.optional(),
    price: Money.optional(),
    currency: Currency.optional(),
    active: z.boolean().optional(),
    components: Components.optional().openapi({ description: 'Replaces every component' }),
  })
  .openapi('UpdateBundle', { description: 'Only the fields sent change. The SKU never changes.' });

export const BundleListQuery = PageQuery.extend({
  q: z.string().trim().min(1).max(100).optional().openapi({ description: 'Part of a name or SKU' }),
  active: activeFilter,
});

export const BundlePage = pageOf(BundleSchema).openapi('BundlePage');

export type Product = z.infer<typeof ProductSchema>;
export type Bundle = z.infer<typeof BundleSchema>;
export type BundleComponent = { sku: string; quantity: number };
export type Dimensions = z.infer<typeof DimensionsSchema>;
export type CreateProduct = z.infer<typeof CreateProductSchema>;
export type UpdateProduct = z.infer<typeof UpdateProductSchema>;
export type CreateBundle = z.infer<typeof CreateBundleSchema>;
export type UpdateBundle = z.infer<typeof UpdateBundleSchema>;
export type ProductFilter = { q?: string; tag?: string; active?: boolean };
