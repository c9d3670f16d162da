/**
 * Host configuration: `window.__DEMO_CONFIG__`, which the QtWebEngine host injects at document
 * creation (before any module runs) from its command line:
 *
 *   { env: {VITE_USE_UNIFIED_DB_SERVICE: "true"},          // --env, the build-time layer
 *     faults: {slow, errorRate, leakMbPerMin, crashOnStart, dataLoss, flagIgnored},   // --fault
 *     seedMessages: 3000, host: {version, pid, debugPort} }
 *
 * `env` plays the role of Vite's `import.meta.env`: fixed for the life of the process. Opened in a
 * plain browser (no host) the page runs with an empty env, no faults and the default seed size.
 *
 * The faults are the host's `--fault` ones plus those the release itself carries (release.js): a
 * fault set in either place is on.
 */

import { release } from './release.js';

const injected = window.__DEMO_CONFIG__ ?? {};

const NO_FAULTS = {
  slow: null, errorRate: null, leakMbPerMin: null, crashOnStart: false, dataLoss: false, flagIgnored: false,
};

function mergeFaults(...layers) {
  const faults = { ...NO_FAULTS };
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer ?? {})) {
      if (Object.hasOwn(NO_FAULTS, key) && value !== null && value !== false && value !== undefined) faults[key] = value;
    }
  }
  return faults;
}

export const hostConfig = Object.freeze({
  hosted: '__DEMO_CONFIG__' in window,
  env: Object.freeze({ ...(injected.env ?? {}) }),
  faults: Object.freeze(mergeFaults(release.faults, injected.faults)),
  release: release.version,
  seedMessages: Number.isInteger(injected.seedMessages) ? injected.seedMessages : 3000,
  host: Object.freeze({ ...(injected.host ?? {}) }),
});

/** The build-time env layer of the feature flags (`import.meta.env` in the seed app). */
export const importMetaEnv = hostConfig.env;
