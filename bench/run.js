#!/usr/bin/env node
// npm run bench -- <name>: runs bench/<name>.ts (TypeScript through tsx, like the server).
import { readdirSync } from 'node:fs';
import { register } from 'tsx/esm/api';

const available = readdirSync(new URL('.', import.meta.url))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3));
const name = process.argv[2];
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name>\nbenchmarks: ${available.join(', ')}`);
  process.exit(name ? 1 : 0);
}
register();
await import(`./${name}.ts`);
