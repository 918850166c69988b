// Shared by make-fixtures.mjs and read-back.mjs: loads @duckdb/node-api from
// the directory npm installed it into (MXVERIFY_DUCKDB_NODE, by default
// out/duckdb-node at the top of the repository, where `make test-deps` puts
// it), since it is not a dependency of the repository itself.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = process.env.MXVERIFY_DUCKDB_NODE || path.join(here, '..', '..', 'out', 'duckdb-node');

export async function connect() {
  const require = createRequire(path.join(path.resolve(dir), 'package.json'));
  const { DuckDBInstance } = require('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  return db.connect();
}
