/**
 * Which data path runs, and the one place both are timed.
 *
 * `USE_UNIFIED_DB_SERVICE` truthy → the unified DbService, else the original path (a string
 * "false" is truthy, as in the seed app). `instrument` wraps a path so every operation's duration
 * (and failure) is recorded in the performance monitor under the path's name.
 *
 * The unified path is a migration artifact: `loadPaths()` loads it when this build ships it
 * (build.js), and a build without it (after a Level-3 rollback) runs the original path whatever
 * the flag says.
 */

import { shipped } from '../build.js';
import { OriginalPath } from './original.js';

const UNIFIED_FILES = ['js/paths/unified/dbService.js', 'js/paths/unified/faults.js'];
let unified = null; // {DbService, FaultInjector} once loaded

/** Load the unified path when this build has it; true when it is available. */
export async function loadPaths() {
  if (unified === null && UNIFIED_FILES.every(shipped)) {
    const [service, faults] = await Promise.all([import('./unified/dbService.js'), import('./unified/faults.js')]);
    unified = { DbService: service.DbService, FaultInjector: faults.FaultInjector };
  }
  return unified !== null;
}

export const OPERATIONS = Object.freeze([
  'listTopics', 'loadTopicMessages', 'sendMessage', 'editMessage', 'deleteMessage',
  'startAgentSession', 'endAgentSession', 'listAgentSessions', 'countEntries',
]);

export const PATH_LABELS = Object.freeze({ original: 'original (messageThunk)', unified: 'unified (DbService)' });

export function pathNameFor(flags) {
  return flags.USE_UNIFIED_DB_SERVICE && unified !== null ? 'unified' : 'original';
}

/**
 * A data path over `db`. `faults` (the host's fault config) is armed only when `active` is true
 * and the path is the unified one: a comparison run of the inactive path is always healthy.
 */
export function createDataPath(name, db, { faults, active }) {
  if (name === 'original') return new OriginalPath(db);
  if (name === 'unified') {
    if (unified === null) throw new Error('this build has no unified data path');
    return new unified.DbService(db, new unified.FaultInjector(faults, { armed: active }));
  }
  throw new Error(`unknown data path ${name}`);
}

/** `path` with every operation timed into `monitor` (same methods, same results). */
export function instrument(path, monitor) {
  const timed = { name: path.name, dispose: () => path.dispose() };
  for (const operation of OPERATIONS) {
    timed[operation] = async (...args) => {
      const t0 = performance.now();
      let ok = false;
      try {
        const result = await path[operation](...args);
        ok = true;
        return result;
      } finally {
        monitor.record(operation, path.name, performance.now() - t0, { ok });
      }
    };
  }
  return Object.freeze(timed);
}
