/**
 * What this release of Demo Studio is: its version and the faults it was released with.
 *
 * The shipped app is a clean 1.0.0. The demo's git repo (`flagdeck demo --level 2|3`) makes its
 * bad release by editing this file: a new version and `flagIgnored: true` (a build that ignores
 * the localStorage override, so a Level-1 rollback cannot work). Faults named here add to the
 * host's `--fault` ones (config.js); reverting the release commit takes them away again.
 */

export const release = Object.freeze({
  version: '1.0.0',
  faults: Object.freeze({}),
});
