// Runs one SQL statement in an in-memory DuckDB and prints the rows as JSON (one array
// of objects on stdout). Tests use it as an independent reader of stocklake's Parquet.
// Usage: node duckdb_query.mjs "SELECT ... FROM read_parquet('x.parquet')"
import { DuckDBInstance } from '@duckdb/node-api';

const sql = process.argv[2];
if (!sql) {
  console.error('usage: node duckdb_query.mjs SQL');
  process.exit(2);
}
try {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const reader = await conn.runAndReadAll(sql);
  const rows = reader.getRowObjectsJson();
  process.stdout.write(JSON.stringify(rows));
  process.stdout.write('\n');
} catch (err) {
  console.error(String(err && err.message ? err.message : err));
  process.exit(1);
}
