// Writes sheetjs.xlsx: a workbook as SheetJS (the npm package xlsx), not
// excelize, writes it, for io/xlsxio and the CLI tests to read. Run once,
// from anywhere, with the package installed somewhere:
//
//   npm install --prefix out/sheetjs xlsx@0.18.5
//   SHEETJS=out/sheetjs/node_modules/xlsx node testdata/xlsx/make-fixtures.mjs
//
// The file is committed; rerun only to change it. Cells are typed the way
// Excel types them: text, numbers with and without a number format, real
// dates with a locale's date format, a date-time, a boolean, an empty
// cell, and a second sheet.
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const XLSX = require(path.resolve(process.env.SHEETJS ?? 'out/sheetjs/node_modules/xlsx'));

// A date cell is a serial day number with a date format, as Excel stores it.
const day = (y, m, d) => (Date.UTC(y, m - 1, d) - Date.UTC(1899, 11, 30)) / 86400000;

const march = [
  [{ t: 's', v: 'Email' }, { t: 's', v: ' Name ' }, { t: 's', v: 'Signed up' }, { t: 's', v: 'Score' }, { t: 's', v: 'Last seen' }, { t: 's', v: 'Opt-in' }],
  [{ t: 's', v: 'ana@shop.mxdemo.net' }, { t: 's', v: 'Ana Peña' }, { t: 'n', v: day(2024, 3, 14), z: 'm/d/yy' }, { t: 'n', v: 0.875, z: '0.0%' }, { t: 'n', v: day(2024, 3, 15) + 0.5, z: 'dd.mm.yyyy hh:mm' }, { t: 'b', v: true }],
  [{ t: 's', v: 'mailto:bo@nullmx.mxdemo.net' }, { t: 's', v: 'Bo' }, { t: 'n', v: day(2023, 12, 31), z: 'dd/mm/yyyy' }, { t: 'n', v: 1234.5, z: '#,##0.00' }, null, { t: 'b', v: false }],
  [{ t: 's', v: '<cy@missing.mxdemo.net>' }, { t: 's', v: 'Cy Zoë' }, { t: 'n', v: day(2024, 2, 29), z: 'yyyy-mm-dd' }, { t: 'n', v: 42 }, null, null],
  [],
  [{ t: 's', v: '"di@shop.mxdemo.net"' }, null, { t: 'n', v: day(2024, 1, 2), z: 'd-mmm-yy' }, { t: 'n', v: 3.25 }, null, { t: 'b', v: true }],
];
const april = [
  [{ t: 's', v: 'email' }, { t: 's', v: 'name' }],
  [{ t: 's', v: 'ed@shop.mxdemo.net' }, { t: 's', v: 'Ed' }],
];

function sheet(rows) {
  const ws = {};
  let maxC = 0;
  rows.forEach((row, r) => row.forEach((cell, c) => {
    if (cell) {
      ws[XLSX.utils.encode_cell({ r, c })] = cell;
      maxC = Math.max(maxC, c);
    }
  }));
  ws['!ref'] = XLSX.utils.encode_range({ s: { r: 0, c: 0 }, e: { r: rows.length - 1, c: maxC } });
  return ws;
}

const wb = XLSX.utils.book_new();
XLSX.utils.book_append_sheet(wb, sheet(march), 'March');
XLSX.utils.book_append_sheet(wb, sheet(april), 'April');
XLSX.writeFile(wb, path.join(here, 'sheetjs.xlsx'), { compression: true });
console.log('wrote', path.join(here, 'sheetjs.xlsx'), 'with SheetJS', XLSX.version);
