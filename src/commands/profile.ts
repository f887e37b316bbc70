/**
 * `batch-score profile <inputs> -m model.onnx -o baseline.json`: a scoring run whose predictions are not written;
 * its output is the profile of every model input column as fed and every prediction column (README "Monitoring"),
 * the baseline a later run compares itself with (--baseline). Same input flags as a run; the run itself is the
 * CLI's score(), with Options.monitor.profile set.
 */
import { Command, Option } from 'commander';
import { DEFAULTS } from './resolveOptions.js';

const PROFILE_HELP = `
Examples:
  $ batch-score profile train.csv -m model.onnx -o baseline.json --keep id
  $ batch-score day.csv -m model.onnx -o preds.csv --baseline baseline.json --drift report.html --max-drift 0.25

The profile (JSON, schema "batch-score/profile" version 1): per model input column as fed and per prediction
column, count, missing, min, max, mean, std and quantile bins (deciles by default); for strings, bools and label
outputs the most frequent values and an "other" share. It is the same for every --workers and --batch-size.

Exit codes: 0 profiled · 3 profiled, some records failed (see the sidecar; they are not in the profile) ·
2 the run could not start or go on · 4 over --max-errors/--max-error-rate · 129/130/143 hung up, interrupted or
terminated by a signal; no profile written · 1 internal error
`;

const asForScoring = 'as for scoring';

export function buildProfile(): Command {
  return new Command('profile')
    .description('profile the model inputs (as fed) and predictions of a run: the baseline for --baseline')
    .usage('[inputs...] -m <model.onnx> -o <baseline.json> [options]')
    .argument('[inputs...]', 'input files as for scoring; - or none for standard input')
    .helpOption('-h, --help', 'this help')
    .addOption(new Option('-m, --model <path>', 'the ONNX model (required)'))
    .addOption(new Option('-o, --output <path>', 'the profile (JSON), written atomically (default: standard output)'))
    .addOption(new Option('--bins <n>', 'quantile bins per numeric column (2–100; default: 10, deciles)'))
    .option('--features <names>', asForScoring)
    .option('--keep <names>', `${asForScoring} (not profiled)`)
    .option('--ignore <names>', asForScoring)
    .option('--outputs <names>', `model outputs to profile (default: all tensor outputs)`)
    .option('--batch-size <n>', `${asForScoring} (default: ${DEFAULTS.batchSize})`)
    .option('--errors <path>', `${asForScoring}: the records that could not be profiled`)
    .option('--missing <mode>', `${asForScoring}: with nan, missing values are profiled as missing`)
    .option('--input-format <format>', asForScoring)
    .option('--delimiter <char>', asForScoring)
    .option('--no-header', asForScoring)
    .option('--flush-ms <ms>', asForScoring)
    .option('--workers <n>', asForScoring)
    .option('--threads <n>', asForScoring)
    .option('--retries <n>', asForScoring)
    .option('--retry-delay <ms>', asForScoring)
    .option('--max-errors <n>', asForScoring)
    .option('--max-error-rate <fraction>', asForScoring)
    .option('--max-record-bytes <n>', asForScoring)
    .option('--summary <path>', asForScoring)
    .option('-q, --quiet', 'no summary line, no progress bar')
    .option('--no-progress', 'no progress bar')
    .option('--no-color', 'no colors')
    .option('--verbose', "stack traces for errors, and onnxruntime's own log lines")
    .addHelpText('after', PROFILE_HELP);
}
