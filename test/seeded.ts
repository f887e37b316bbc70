/** A seeded generator for test data (mulberry32, Box–Muller): the same numbers on every machine and run. */
export function seeded(seed: number): { uniform(): number; normal(): number } {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => {
    const u = 1 - uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
  return { uniform, normal };
}

/**
 * CSV of `rows` records: an id, then `features` columns drawn from N(0,1) (feature `shifted` moved by `shift`), with
 * 6 decimals as a data pipeline writes them.
 */
export function normalCsv(rows: number, features: number, seed: number, shift: { column: number; by: number } | null = null): string {
  const rng = seeded(seed);
  const names = Array.from({ length: features }, (_, j) => `f${j}`);
  const lines = [['id', ...names].join(',')];
  for (let i = 0; i < rows; i++) {
    const values = names.map((_, j) => (rng.normal() + (shift && shift.column === j ? shift.by : 0)).toFixed(6));
    lines.push([`r${i}`, ...values].join(','));
  }
  return `${lines.join('\n')}\n`;
}
