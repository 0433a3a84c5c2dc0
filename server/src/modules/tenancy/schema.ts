import { z } from '@hono/zod-openapi';
import { ROLES } from '../../http/context.ts';

export const RoleSchema = z.enum(ROLES).openapi({
  description: 'admin: everything; manager: day-to-day operations; support: read-only',
});

export const TenantSchema = z
  .object({
    tenant_id: z.string(),
    name: z.string(),
    created_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Tenant');

export const UserSchema = z
  .object({
    user_id: z.string().openapi({ example: 'usr_01jq3v7k9m2x4b6n8p0r2t4w6y' }),
    email: z.string(),
    name: z.string(),
    role: RoleSchema,
    disabled: z.boolean(),
    created_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('User');

const Password = z.string().min(12, 'Use at least 12 characters.').max(200);

export const CreateUserSchema = z
  .strictObject({
    email: z.string().trim().toLowerCase().pipe(z.email()).openapi({ example: 'ops@example.com' }),
    name: z.string().trim().min(1).max(200),
    role: RoleSchema,
    password: Password,
  })
  .openapi('CreateUser');

export const UpdateUserSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    role: RoleSchema.optional(),
    disabled: z.boolean().optional(),
    password: Password.optional(),
  })
  .openapi('UpdateUser');

export const ApiKeySchema = z
  .object({
    api_key_id: z.string().openapi({ example: 'key_01jq3v7k9m2x4b6n8p0r2t4w6y' }),
    name: z.string(),
    role: RoleSchema,
    key_prefix: z.string().openapi({ description: 'First characters of the key, to recognise it' }),
    created_at: z.string().openapi({ format: 'date-time' }),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .openapi('ApiKey');

export const CreateApiKeySchema = z
  .strictObject({ name: z.string().trim().min(1).max(200), role: RoleSchema })
  .openapi('CreateApiKey');

export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().openapi({ description: 'The secret: shown this once, stored only as a hash' }),
}).openapi('CreatedApiKey');

export const LoginSchema = z
  .strictObject({
    email: z.string().trim().toLowerCase().pipe(z.email()),
    password: z.string().min(1).max(200),
    tenant_id: z
      .string()
      .max(100)
      .optional()
      .openapi({ description: 'Only needed if the email exists in several tenants' }),
  })
  .openapi('Login');

export const MeSchema = z
  .object({
    tenant: TenantSchema,
    role: RoleSchema,
    actor: z.object({ type: z.enum(['user', 'api_key', 'system']), id: z.string() }),
    // A union, not .nullable(): the generator would otherwise mark the shared User schema nullable.
    user: z.union([UserSchema, z.null()]),
  })
  .openapi('Me');

export type User = z.infer<typeof UserSchema>;
export type ApiKey = z.infer<typeof ApiKeySchema>;
export type CreateUser = z.infer<typeof CreateUserSchema>;
export type UpdateUser = z.infer<typeof UpdateUserSchema>;
