#!/usr/bin/env node
/**
 * Simulator CLI: `npm run sim -w collab-server -- --rooms 20 --clients 200 --rate 50`
 * (or `node dist/sim/main.js` in the compose stack). Prints a progress line
 * every few seconds and a summary at exit (SIGINT / SIGTERM / --duration).
 */
import { ConfigError, parseCli, USAGE } from './config.js';
import { runSimulation } from './simulator.js';
import { formatSummary } from './stats.js';
import { errorMessage } from '@collabblocks/protocol';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseCli(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`sim: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    console.log(USAGE);
    return 0;
  }
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      console.error(`sim: second ${sig}, exiting now`);
      process.exit(130);
    }
    console.log(`[sim] ${sig}: stopping bots...`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const { stats } = await runSimulation(parsed.config, { signal: controller.signal });
  console.log(formatSummary(stats));
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Providers keep intervals alive until destroyed; all are destroyed by now, but do not hang.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (err: unknown) => {
    console.error('sim: fatal:', errorMessage(err));
    process.exit(1);
  }
);
