/** Model output values → text, for CSV cells and for JSON. */
import { formatFloat32, formatFloat64 } from './numbers.js';

export type ValueText = (v: unknown) => string;

/** CSV cell text: shortest round-trip numbers, exact int64, true/false, strings verbatim. */
export function cellText(type: string): ValueText {
  switch (type) {
    case 'float32': return (v) => formatFloat32(v as number);
    case 'float64': return (v) => formatFloat64(v as number);
    case 'bool': return (v) => (v ? 'true' : 'false');
    default: return (v) => String(v);
  }
}

/** JSON text: numbers as JSON numbers (NaN and ±Infinity, which JSON cannot hold, as null), int64 exact. */
export function jsonText(type: string): ValueText {
  switch (type) {
    case 'float32':
    case 'float64': {
      const cell = cellText(type);
      return (v) => (Number.isFinite(v as number) ? cell(v) : 'null');
    }
    case 'int64':
    case 'int32':
    case 'uint8':
      return (v) => String(v);
    case 'bool': return (v) => (v ? 'true' : 'false');
    default: return (v) => JSON.stringify(String(v));
  }
}
