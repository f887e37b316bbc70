/** A flag for commander's help, with its default written into the description as a person reads it. */
import { Option } from 'commander';

/**
 * A flag with its default shown as written (commander would print a default value quoted, "1024"). The defaults
 * themselves are applied where the flags are resolved (resolveOptions, resolveServeOptions), from the same tables.
 */
export function flag(flags: string, description: string, shownDefault?: string | number): Option {
  return new Option(flags, shownDefault === undefined ? description : `${description} (default: ${shownDefault})`);
}
