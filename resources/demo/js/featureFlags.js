/**
 * Feature flags with the seed app's semantics (Cherry Studio src/renderer/src/config/featureFlags.ts):
 *
 * Priority (highest first): 1. localStorage `featureFlags` (runtime override), 2. the env layer
 * (`VITE_USE_UNIFIED_DB_SERVICE === 'true'`, build-time), 3. defaults. Read once, when this module
 * loads: a change needs a reload. Only keys present in the defaults are copied from the override
 * (a typo is silently ignored) and values are copied as they are, so the string "false" is truthy
 * where the code tests `if (featureFlags.USE_UNIFIED_DB_SERVICE)`. Invalid JSON is caught, logged
 * (console.warn as in the seed, plus an `error` entry with context `FeatureFlags` in loggerService)
 * and the defaults stay.
 *
 * One deliberate difference: a key counts as known when it is an own key of the defaults
 * (`Object.hasOwn`), where the seed's `key in featureFlags` also accepted inherited names such as
 * `toString` or `__proto__`.
 *
 * Fault `flag-ignored` (the host's `--fault`, or a bad release: release.js): the localStorage layer
 * is skipped, so an override written by a Level-1 rollback changes nothing. The page says so on
 * its console; `window.__flagSources` keeps saying where each value really came from.
 *
 * Exposes `window.featureFlags` (the effective flags, frozen) and `window.__flagSources`
 * (per flag: "default" | "env" | "localStorage").
 */

import { hostConfig, importMetaEnv } from './config.js';
import { loggerService } from './logger.js';

export const STORAGE_KEY = 'featureFlags';
export const DEFAULT_FLAGS = Object.freeze({ USE_UNIFIED_DB_SERVICE: false });

function initializeFeatureFlags() {
  const flags = { ...DEFAULT_FLAGS };
  const sources = Object.fromEntries(Object.keys(flags).map((key) => [key, 'default']));

  if (importMetaEnv?.VITE_USE_UNIFIED_DB_SERVICE === 'true') {
    flags.USE_UNIFIED_DB_SERVICE = true;
    sources.USE_UNIFIED_DB_SERVICE = 'env';
    console.log('[FeatureFlags] USE_UNIFIED_DB_SERVICE enabled via environment variable');
  }

  try {
    const localOverrides = localStorage.getItem(STORAGE_KEY);
    if (localOverrides && hostConfig.faults.flagIgnored) {
      console.warn(`[FeatureFlags] localStorage override ignored (fault flag-ignored): ${localOverrides}`);
    } else if (localOverrides) {
      const overrides = JSON.parse(localOverrides);
      Object.keys(overrides).forEach((key) => {
        if (Object.hasOwn(DEFAULT_FLAGS, key)) {
          flags[key] = overrides[key];
          sources[key] = 'localStorage';
          console.log(`[FeatureFlags] ${key} set to ${overrides[key]} via localStorage`);
        }
      });
    }
  } catch (e) {
    console.warn('[FeatureFlags] Failed to parse feature flags from localStorage:', e);
    loggerService.record('error', 'FeatureFlags', `Failed to parse feature flags from localStorage: ${e}`, {
      echo: false,
    });
  }

  console.log('[FeatureFlags] Current flags:', flags);
  return { flags: Object.freeze(flags), sources: Object.freeze(sources) };
}

const initialized = initializeFeatureFlags();

/** The effective flags of this page load (frozen: a change applies on the next reload). */
export const featureFlags = initialized.flags;
export const flagSources = initialized.sources;

/** Persist a flag for the next load (the seed also changed it in memory; here it needs a reload). */
export function setFeatureFlag(flag, value) {
  const current = localStorage.getItem(STORAGE_KEY);
  const stored = current ? JSON.parse(current) : {};
  stored[flag] = value;
  localStorage.setItem(STORAGE_KEY, JSON.stringify(stored));
}

export function getFeatureFlag(flag) {
  return featureFlags[flag];
}

window.featureFlags = featureFlags;
window.__flagSources = flagSources;
