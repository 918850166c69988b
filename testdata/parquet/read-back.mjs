// Prints, as one JSON object, how DuckDB reads each Parquet file named on
// the command line: its columns' DuckDB types and its rows with every value
// cast to text. io/parquetio's TestDuckDBReadsOutput runs it on the files
// parquetio writes.
import { connect } from './duckdb.mjs';

const con = await connect();
await con.run(`SET TimeZone = 'UTC'`);
const out = {};
for (const file of process.argv.slice(2)) {
  const src = `read_parquet('${file.replaceAll("'", "''")}')`;
  const desc = await con.runAndReadAll(`DESCRIBE SELECT * FROM ${src}`);
  const columns = desc.getRowObjectsJS().map((r) => ({ name: r.column_name, type: r.column_type }));
  const cast = columns.map((c) => `CAST("${c.name.replaceAll('"', '""')}" AS VARCHAR)`).join(', ');
  const rows = await con.runAndReadAll(`SELECT ${cast} FROM ${src}`);
  out[file] = { columns, rows: rows.getRowsJS() };
}
console.log(JSON.stringify(out));
