/**
 * Host configuration: `window.__DEMO_CONFIG__`, which the QtWebEngine host injects at document
 * creation (before any module runs) from its command line:
 *
 *   { env: {VITE_USE_UNIFIED_DB_SERVICE: "true"},          // --env, the build-time layer
 *     faults: {slow, errorRate, leakMbPerMin, crashOnStart, dataLoss},   // --fault
 *     seedMessages: 3000, host: {version, pid, debugPort} }
 *
 * `env` plays the role of Vite's `import.meta.env`: fixed for the life of the process. Opened in a
 * plain browser (no host) the page runs with an empty env, no faults and the default seed size.
 */

const injected = window.__DEMO_CONFIG__ ?? {};

const NO_FAULTS = { slow: null, errorRate: null, leakMbPerMin: null, crashOnStart: false, dataLoss: false };

export const hostConfig = Object.freeze({
  hosted: '__DEMO_CONFIG__' in window,
  env: Object.freeze({ ...(injected.env ?? {}) }),
  faults: Object.freeze({ ...NO_FAULTS, ...(injected.faults ?? {}) }),
  seedMessages: Number.isInteger(injected.seedMessages) ? injected.seedMessages : 3000,
  host: Object.freeze({ ...(injected.host ?? {}) }),
});

/** The build-time env layer of the feature flags (`import.meta.env` in the seed app). */
export const importMetaEnv = hostConfig.env;
