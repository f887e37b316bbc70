/**
 * The Parquet fast path's decoding (src/input/parquetColumns.ts) against hyparquet's general reader, on files a real
 * engine wrote: every row group of every numeric type, PLAIN pages with and without nulls (a page without nulls is
 * copied byte for byte from the decompressed page into the column, at any alignment), dictionary pages, each codec.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { workdir } from './helpers.js';
import { writeParquet } from './parquetDb.js';
import { openParquet, wantedColumns } from '../src/input/parquetInput.js';
import { decodeUnit, readUnit } from '../src/input/parquetColumns.js';

const SELECT = `SELECT
  (i * 7919 % 1000003)::FLOAT / 7 AS f,
  (i * 104729 % 1000003)::DOUBLE / 3 AS d,
  (i * 31 - 5000)::INTEGER AS n,
  (i * 9007199254740 + 3)::BIGINT AS b,
  CASE WHEN i % 5 = 0 THEN NULL ELSE i::DOUBLE / 4 END AS holes,
  (i % 3)::BIGINT AS few
  FROM range(7000) t(i)`;

for (const codec of ['snappy', 'uncompressed', 'zstd']) {
  test(`decoded row groups (${codec}; plain pages with and without nulls, dictionary pages) hold what hyparquet reads`, async () => {
    const dir = await workdir();
    const file = await writeParquet(dir, `t-${codec}.parquet`, SELECT, `COMPRESSION ${codec}, ROW_GROUP_SIZE 2048`);
    const pf = await openParquet(file, file);
    try {
      const names = pf.columns.names;
      const plan = { columns: names, feeds: [], keep: names.map((_, i) => i) } as unknown as Parameters<typeof wantedColumns>[0];
      const expected = await parquetReadObjects({ file: pf.file, compressors });
      assert.ok(pf.metadata.row_groups.length >= 3);
      let row = 0;
      for (let g = 0; g < pf.metadata.row_groups.length; g++) {
        const unit = await readUnit(pf, g, wantedColumns(plan), plan, row + 1);
        const cols = decodeUnit(unit);
        for (let r = 0; r < unit.rows; r++, row++) {
          names.forEach((name, c) => {
            const got = cols[c].nulls?.[r] === 1 ? null : cols[c].values[r];
            assert.deepEqual(got, expected[row][name], `row ${row + 1}, column ${name}`);
          });
        }
      }
      assert.equal(row, 7000);
    } finally {
      await pf.close();
    }
  });
}
