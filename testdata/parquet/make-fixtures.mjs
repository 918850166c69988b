// Writes the duckdb_*.parquet fixtures: lists as DuckDB writes them, for
// io/parquetio to read (see README.md). Run from anywhere, after
// `make test-deps` has installed @duckdb/node-api:
//
//   node testdata/parquet/make-fixtures.mjs
//
// The files are committed; rerun only to change them. DuckDB's output is
// deterministic for the same version and query.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from './duckdb.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const con = await connect();

// One row per kind of value, and a row of nulls. Every type the readers
// must map: integers of each width and sign, floats, booleans, strings,
// blobs, decimals on INT32, INT64 and FIXED_LEN_BYTE_ARRAY, dates, times,
// timestamps in each unit and with a zone, UUIDs, lists, structs, maps.
const typed = `
SELECT * FROM (VALUES
  (1, 'alice@mxverify-fixture.net', -8::TINYINT, 300::SMALLINT, -70000::INTEGER, 9007199254740993::BIGINT,
   200::UTINYINT, 4000000000::UINTEGER, 18446744073709551615::UBIGINT,
   1.5::FLOAT, -2.25::DOUBLE, true, 'Zoë'::VARCHAR, '\\x00\\xFFab'::BLOB,
   12.34::DECIMAL(4,2), -123456789.123::DECIMAL(18,3), 1234567890123456789012.34567::DECIMAL(30,5),
   DATE '2024-02-29', TIME '12:34:56.789',
   TIMESTAMP_MS '2024-02-29 23:59:58.123', TIMESTAMP '2024-02-29 23:59:58.123456', TIMESTAMP_NS '2024-02-29 23:59:58.123456789',
   TIMESTAMPTZ '2024-02-29 23:59:58.5+00', '123e4567-e89b-12d3-a456-426614174000'::UUID,
   [1, 2, 3], {'host': 'mx1.mxverify-fixture.net', 'pref': 10}, MAP {'a': 1, 'b': 2}),
  (2, 'bob@mxverify-fixture.org', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (3, 'carol@mxverify-fixture.net', 127::TINYINT, (-32768)::SMALLINT, 2147483647::INTEGER, (-9223372036854775808)::BIGINT,
   0::UTINYINT, 0::UINTEGER, 0::UBIGINT,
   'NaN'::FLOAT, 1e300::DOUBLE, false, ''::VARCHAR, ''::BLOB,
   -0.01::DECIMAL(4,2), 0::DECIMAL(18,3), -0.00001::DECIMAL(30,5),
   DATE '1969-12-31', TIME '00:00:00',
   TIMESTAMP_MS '1969-12-31 23:59:59.999', TIMESTAMP '1900-01-01 00:00:00', TIMESTAMP_NS '1970-01-01 00:00:00.000000001',
   TIMESTAMPTZ '2000-01-01 00:00:00+00', '00000000-0000-0000-0000-000000000000'::UUID,
   [], {'host': NULL, 'pref': NULL}, MAP {})
) t(id, email, i8, i16, i32, i64, u8, u32, u64, f32, f64, flag, name, raw,
    dec4, dec18, dec30, day, tod, ts_ms, ts_us, ts_ns, ts_tz, uid, nums, mx, tags)`;

async function write(query, file, options) {
  await con.run(`SET TimeZone = 'UTC'`);
  await con.run(`COPY (${query}) TO '${path.join(here, file)}' (FORMAT parquet, ${options})`);
  console.log('wrote', file, options);
}

await write(typed, 'duckdb_types.snappy.parquet', 'COMPRESSION snappy');
await write(typed, 'duckdb_types.zstd.parquet', 'COMPRESSION zstd');
await write(typed, 'duckdb_types.gzip.parquet', 'COMPRESSION gzip');
await write(typed, 'duckdb_types.plain.parquet', 'COMPRESSION uncompressed');

// Nested values as a list export may carry them: lists of every leaf type
// the readers convert (so a value written back must be the same value),
// lists of lists, lists of structs, structs holding lists and structs, maps
// with text and integer keys. Row 1 has values with nulls inside them (a
// null element, a struct with a null field, a map with a null value), row
// 2 is nulls at the top, row 3 empty lists, maps and structs whose fields
// are all null.
const nested = `
SELECT * FROM (VALUES
  (1, 'alice@mxverify-fixture.net',
   [1, NULL, 3]::INTEGER[], {'a': 7, 'b': 'x'}, MAP {'k1': 1, 'k2': NULL},
   [[1, 2], [], NULL, [NULL]]::INTEGER[][],
   [{'host': 'mx1.mxverify-fixture.net', 'pref': 10}, NULL, {'host': NULL, 'pref': 20}],
   {'name': 'Zoë', 'tags': ['t1', NULL], 'inner': {'score': 1.5::DOUBLE, 'seen': DATE '2024-02-29'}},
   ['a', '', 'quote" and \\ backslash']::VARCHAR[],
   [12.34::DECIMAL(4,2), -0.01::DECIMAL(4,2)], [1234567890123456789012.34567::DECIMAL(30,5)],
   [-8::TINYINT, 127::TINYINT], [18446744073709551615::UBIGINT, 0::UBIGINT],
   [9223372036854775807::BIGINT, (-9223372036854775808)::BIGINT],
   [1.5::FLOAT, 'NaN'::FLOAT, 'inf'::FLOAT, 0.1::FLOAT], [-2.25::DOUBLE, 1e300::DOUBLE, '-inf'::DOUBLE],
   [true, false, NULL], [DATE '2024-02-29', DATE '1969-12-31', NULL], [TIME '12:34:56.789', TIME '00:00:00'],
   [TIMESTAMP '2024-02-29 23:59:58.123456', TIMESTAMP '1900-01-01 00:00:00'], [TIMESTAMPTZ '2024-02-29 23:59:58.5+00'],
   [TIMESTAMP_NS '1970-01-01 00:00:00.000000001'],
   ['\\x00\\xFFab'::BLOB, ''::BLOB], ['123e4567-e89b-12d3-a456-426614174000'::UUID],
   MAP {1: ['a', 'b'], 2: []::VARCHAR[], 3: NULL}),
  (2, 'bob@mxverify-fixture.org', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (3, 'carol@mxverify-fixture.net', []::INTEGER[], {'a': NULL, 'b': NULL}, MAP {}::MAP(VARCHAR, INTEGER),
   [[]]::INTEGER[][], []::STRUCT(host VARCHAR, pref INTEGER)[],
   {'name': NULL, 'tags': [], 'inner': NULL},
   [NULL]::VARCHAR[], []::DECIMAL(4,2)[], []::DECIMAL(30,5)[], []::TINYINT[], []::UBIGINT[], []::BIGINT[],
   []::FLOAT[], []::DOUBLE[], []::BOOLEAN[], []::DATE[], []::TIME[], []::TIMESTAMP[], []::TIMESTAMPTZ[],
   []::TIMESTAMP_NS[], []::BLOB[], []::UUID[], MAP {}::MAP(INTEGER, VARCHAR[]))
) t(id, email, ints, pair, kv, grid, mxs, profile, words, prices, bigdec, tiny, ubig, big,
    floats, doubles, flags, days, tods, stamps, zoned, nanos, blobs, uids, imap)`;

await write(nested, 'duckdb_nested.zstd.parquet', 'COMPRESSION zstd');

// 5,000 rows in two row groups with format version 2: DELTA_BINARY_PACKED
// integers, DELTA_LENGTH_BYTE_ARRAY strings, BYTE_STREAM_SPLIT doubles,
// dictionaries for the repetitive columns, and pages of nulls.
const many = `
SELECT i AS id,
       'user' || i || '@domain' || (i % 97) || '.example' AS email,
       ['gold', 'silver', 'bronze'][1 + i % 3] AS tier,
       CASE WHEN i % 4 = 0 THEN NULL ELSE i * 1.5 END AS score,
       i % 7 = 0 AS vip,
       TIMESTAMP '2024-01-01' + to_seconds(i * 61) AS signup_at
FROM range(5000) r(i)`;
await write(many, 'duckdb_v2.zstd.parquet', "COMPRESSION zstd, PARQUET_VERSION v2, ROW_GROUP_SIZE 2500");
await write(many, 'duckdb_v1.snappy.parquet', "COMPRESSION snappy, ROW_GROUP_SIZE 2500");
