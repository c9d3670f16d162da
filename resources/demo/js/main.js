/**
 * Boot of Demo Studio. Order matters and mirrors the seed app:
 *   1. featureFlags.js is loaded first and reads the flags once (env layer, then localStorage);
 *      a build without it (the flag configuration removed by a Level-3 rollback) has no flags;
 *   2. crash-on-start: with the unified path active the DbService "fails to initialise" and asks
 *      the host to crash the renderer (the host loads chrome://crash: a real renderer crash);
 *   3. write the redux-persist item on first start, open IndexedDB `CherryStudio`, seed it;
 *   4. pick the data path from USE_UNIFIED_DB_SERVICE, expose the runbook's globals and probes;
 *   5. mount the UI, then report `ready` to the host.
 *
 * `window.__demoBoot` tells a DevTools client where boot is: {state: 'booting' | 'ready' |
 * 'crashing' | 'failed', startedAt, bootMs, seed, error}.
 */

import { shipped } from './build.js';
import { hostConfig } from './config.js';
import { notifyHost } from './hostBridge.js';
import { loggerService } from './logger.js';
import { createDataPath, instrument, loadPaths, pathNameFor } from './paths/dataPath.js';
import { performanceMonitor } from './performanceMonitor.js';
import { ensurePersistedState } from './persistedState.js';
import { createProbes } from './probes.js';
import { openDatabase, rawCounts } from './storage/idb.js';
import { seedIfNeeded } from './storage/seed.js';
import { mountApp } from './ui/app.js';

const boot = { state: 'booting', startedAt: new Date().toISOString(), bootMs: null, seed: null, error: null };
window.__demoBoot = boot;
window.loggerService = loggerService;
window.performanceMonitor = performanceMonitor;

/** The flags of this load; none when the build has no flag configuration. */
async function loadFlags() {
  if (shipped('js/featureFlags.js')) return import('./featureFlags.js');
  console.log('[FeatureFlags] this build has no feature flags');
  return { featureFlags: Object.freeze({}), flagSources: Object.freeze({}) };
}

async function start() {
  const { featureFlags, flagSources } = await loadFlags();
  await loadPaths();
  const pathName = pathNameFor(featureFlags);
  if (pathName === 'unified' && hostConfig.faults.crashOnStart) {
    const reason = 'DbService failed to initialise (injected fault crash-on-start)';
    loggerService.error('DbService', reason);
    boot.state = 'crashing';
    notifyHost('crash-requested', { reason });
    return;
  }
  ensurePersistedState();
  const db = await openDatabase();
  const seed = await seedIfNeeded(db, hostConfig.seedMessages);
  if (seed.seeded) loggerService.info('Seed', `seeded ${seed.counts.messages} messages in ${seed.ms} ms`);
  boot.seed = { seeded: seed.seeded, ms: seed.ms };
  const dataPath = createDataPath(pathName, db, { faults: hostConfig.faults, active: true });
  const path = instrument(dataPath, performanceMonitor);
  window.addEventListener('pagehide', () => path.dispose());
  window.demoProbes = createProbes({ db, path, faults: hostConfig.faults, flags: featureFlags, flagSources, boot });
  loggerService.info('App', `data path: ${path.name}`);
  await mountApp({ path, flags: featureFlags, flagSources, storedCounts: () => rawCounts(db) });
  boot.state = 'ready';
  boot.bootMs = Math.round(performance.now());
  notifyHost('ready', { path: path.name, flags: featureFlags, flagSources, bootMs: boot.bootMs, seed: boot.seed });
}

start().catch((error) => {
  boot.state = 'failed';
  boot.error = String(error?.message ?? error);
  loggerService.error('App', `start-up failed: ${boot.error}`);
  notifyHost('boot-failed', { error: boot.error });
});
