// Preloaded into a child (NODE_OPTIONS=--import): writes the process's peak
// resident set size, in KiB, to $IMLAGE_TEST_RSS_FILE when it exits.
import { writeFileSync } from 'node:fs';

const out = process.env.IMLAGE_TEST_RSS_FILE;
if (out) process.on('exit', () => writeFileSync(out, String(process.resourceUsage().maxRSS)));
