/**
 * Input formats: how a source's text is cut into records, where its column names come from, and how a
 * chunk of records becomes fields.
 */
import { RunError, oneLine } from '../errors.js';
import { RecordSplitter, type RawRecord } from '../pipeline/recordSplitter.js';
import { parseCsvHeader, parseCsvRecords, type ParsedRecord } from './csvRecords.js';

export interface InputFormat {
  name: string;
  splitter(): RecordSplitter;
  /** Column names from the first record of a source. */
  header(record: RawRecord, source: string): string[];
  parser(columns: string[]): (records: RawRecord[]) => ParsedRecord[];
}

export function csvFormat(delimiter = ','): InputFormat {
  return {
    name: delimiter === '\t' ? 'tsv' : 'csv',
    splitter: () => new RecordSplitter(delimiter, true),
    header(record, source) {
      let columns: string[];
      try {
        columns = parseCsvHeader(record, delimiter);
      } catch (err) {
        throw new RunError('INPUT', `cannot read the header of ${source}: ${oneLine(err)}`);
      }
      const dups = columns.filter((c, i) => columns.indexOf(c) !== i);
      if (dups.length) {
        throw new RunError('INPUT', `the header of ${source} names ${[...new Set(dups)].map((d) => JSON.stringify(d)).join(', ')} more than once; column names must be unique`);
      }
      return columns;
    },
    parser: (columns) => (records) => parseCsvRecords(records, delimiter, columns.length),
  };
}
