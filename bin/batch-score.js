#!/usr/bin/env node
import { run } from '../dist/src/cli.js';

run(process.argv);
