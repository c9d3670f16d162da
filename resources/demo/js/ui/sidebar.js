/** The sidebar: topics (with message counts) and agent sessions. */

import { el, formatTime } from './dom.js';

export function renderTopics(list, topics, { selectedId, onSelect }) {
  list.replaceChildren(...topics.map((topic) =>
    el('li', {
      class: topic.id === selectedId ? 'topic selected' : 'topic',
      dataset: { topicId: topic.id },
      onclick: () => onSelect(topic.id),
    },
    el('span', { class: 'topic-name' }, topic.name),
    el('span', { class: 'topic-count' }, String(topic.messageCount ?? ''))),
  ));
}

export function renderSessions(list, sessions, { onEnd }) {
  const sorted = [...sessions].sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1));
  list.replaceChildren(...sorted.map((session) =>
    el('li', { class: `session ${session.status}` },
      el('span', { class: 'session-dot' }),
      el('span', { class: 'session-name' }, session.agentId),
      el('time', {}, formatTime(session.startedAt)),
      session.status === 'active'
        ? el('button', { class: 'link small', onclick: () => onEnd(session.id) }, 'End')
        : el('span', { class: 'session-status' }, 'ended')),
  ));
}
