/**
 * Colours on stderr. chalk is loaded only when stderr is a terminal: a pipe or a file never shows colour, and
 * loading chalk is a measurable part of a short run's start-up (see the README's design notes).
 */
export interface Paint {
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
}

const plain: Paint = { red: (t) => t, yellow: (t) => t, green: (t) => t };
let chalkModule: typeof import('chalk') | null = null;

/** Loads chalk if stderr is a terminal (once, before anything is painted). */
export async function loadColours(): Promise<void> {
  if (process.stderr.isTTY && chalkModule === null) chalkModule = await import('chalk');
}

/** Colours when `color` is on and stderr is a terminal, else the text as it is. */
export function paintFor(color: boolean): Paint {
  if (!color || chalkModule === null || !process.stderr.isTTY) return plain;
  const { default: chalk, Chalk } = chalkModule;
  return new Chalk({ level: chalk.level || 1 });
}
