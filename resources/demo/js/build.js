/**
 * What the build put into this copy of the app. The shipped app is not built (`null`: every module
 * is here). The demo repo's build (`tools/build.py`) writes this file into its `dist/` with the list
 * of files it shipped, so the optional parts (the unified data path, the feature-flag
 * configuration) are loaded only when present: a Level-3 rollback removes them and the app still
 * starts, on the original path, without asking for a file that is not there.
 */

export const build = null;

/** Whether `path` (relative to the app's folder, e.g. `js/featureFlags.js`) is part of this build. */
export function shipped(path) {
  return build === null || build.files.includes(path);
}
