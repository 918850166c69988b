// Prints, as one JSON object, how DuckDB reads each Parquet file named on
// the command line: its columns' DuckDB types, its rows with every value
// cast to text, and its schema elements as parquet_schema() lists them
// (the physical and logical types of every group and leaf, depth-first).
// io/parquetio's TestDuckDBReadsOutput runs it on the files parquetio
// writes and on their inputs.
import { connect } from './duckdb.mjs';

const con = await connect();
await con.run(`SET TimeZone = 'UTC'`);
const out = {};
for (const file of process.argv.slice(2)) {
  const path = `'${file.replaceAll("'", "''")}'`;
  const src = `read_parquet(${path})`;
  const desc = await con.runAndReadAll(`DESCRIBE SELECT * FROM ${src}`);
  const columns = desc.getRowObjectsJS().map((r) => ({ name: r.column_name, type: r.column_type }));
  const cast = columns.map((c) => `CAST("${c.name.replaceAll('"', '""')}" AS VARCHAR)`).join(', ');
  const rows = await con.runAndReadAll(`SELECT ${cast} FROM ${src}`);
  const fields = ['name', 'type', 'type_length', 'repetition_type', 'num_children', 'converted_type', 'scale', 'precision', 'logical_type'];
  const schema = await con.runAndReadAll(
    `SELECT ${fields.map((f) => `CAST(${f} AS VARCHAR) AS ${f}`).join(', ')} FROM parquet_schema(${path})`);
  out[file] = { columns, rows: rows.getRowsJS(), schema: schema.getRowObjectsJS() };
}
console.log(JSON.stringify(out));
