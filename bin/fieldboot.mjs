#!/usr/bin/env node
// The `fieldboot` command in a checkout: runs the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../electron/engine/cli/main.ts');
await main(process.argv.slice(2));
