/** The status bar: which data path is active, the flags and where each came from, activity. */

import { el, formatMs } from './dom.js';
import { PATH_LABELS } from '../paths/dataPath.js';

export function renderStatus(bar, { pathName, flags, flagSources, counts, lastOp, errors }) {
  const flagText = Object.entries(flags)
    .map(([key, value]) => `${key}=${JSON.stringify(value)} (${flagSources[key]})`)
    .join(', ');
  bar.replaceChildren(
    el('span', { class: `status-path ${pathName}` }, `DB path: ${PATH_LABELS[pathName]}`),
    el('span', { class: 'status-flags' }, `Flags: ${flagText}`),
    counts && el('span', {}, `${counts.messages} messages · ${counts.message_blocks} blocks · ${counts.files} files`),
    lastOp && el('span', { class: lastOp.ok ? '' : 'status-error' },
      `${lastOp.operation}: ${lastOp.ok ? formatMs(lastOp.ms) : 'failed'}`),
    el('span', { class: errors ? 'status-error' : 'status-ok' }, `Errors: ${errors}`),
  );
}
