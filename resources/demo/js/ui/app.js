/**
 * The chat UI controller: topic list, message pane, composer, agent sessions, status bar. Every
 * data access goes through the active data path (`ctx.path`), like the real app's thunks do, so a
 * person sees the same failures the probes measure.
 */

import { loggerService } from '../logger.js';
import { PATH_LABELS } from '../paths/dataPath.js';
import { formatMs, toast } from './dom.js';
import { renderMessages } from './messageView.js';
import { renderSessions, renderTopics } from './sidebar.js';
import { renderStatus } from './statusBar.js';

const $ = (id) => document.getElementById(id);

export async function mountApp({ path, flags, flagSources, storedCounts }) {
  const log = loggerService.withContext('messageThunk');
  const state = { topics: [], topicId: null, lastOp: null, counts: await storedCounts() };

  const status = () => renderStatus($('statusbar'), {
    pathName: path.name,
    flags,
    flagSources,
    counts: state.counts,
    lastOp: state.lastOp,
    errors: loggerService.errorCount(),
  });

  /** Run a path operation for the UI: time it, show failures, refresh the status bar. */
  async function act(operation, body) {
    const t0 = performance.now();
    try {
      const result = await body();
      state.lastOp = { operation, ok: true, ms: performance.now() - t0 };
      return result;
    } catch (error) {
      state.lastOp = { operation, ok: false };
      // The DbService logs its own failures (context 'DbService'); the original path is logged here.
      if (path.name !== 'unified') log.error(`${operation} failed: ${error?.message ?? error}`);
      toast(`${operation} failed: ${error?.message ?? error}`, { error: true });
      return null;
    } finally {
      if (operation !== 'loadTopicMessages' && operation !== 'listTopics') state.counts = await storedCounts();
      status();
    }
  }

  async function refreshTopics() {
    state.topics = (await act('listTopics', () => path.listTopics())) ?? state.topics;
    renderTopics($('topics'), state.topics, { selectedId: state.topicId, onSelect: openTopic });
  }

  async function refreshSessions() {
    const sessions = await act('listAgentSessions', () => path.listAgentSessions());
    if (sessions) renderSessions($('sessions'), sessions, { onEnd: endSession });
  }

  async function openTopic(topicId) {
    state.topicId = topicId;
    const topic = state.topics.find((t) => t.id === topicId);
    $('topic-title').textContent = topic?.name ?? topicId;
    renderTopics($('topics'), state.topics, { selectedId: topicId, onSelect: openTopic });
    const loaded = await act('loadTopicMessages', () => path.loadTopicMessages(topicId));
    $('topic-meta').textContent = loaded
      ? `${loaded.messages.length} messages · loaded in ${formatMs(state.lastOp.ms)} via ${PATH_LABELS[path.name]}`
      : 'failed to load';
    renderMessages($('messages'), loaded ?? { messages: [], blocks: [] }, {
      onEdit: editMessage,
      onDelete: deleteMessage,
      emptyText: loaded ? 'No messages yet.' : 'Could not load this topic. Pick it again to retry.',
    });
  }

  async function editMessage(messageId, content) {
    if (await act('editMessage', () => path.editMessage(messageId, content))) toast('Message edited');
    await openTopic(state.topicId);
  }

  async function deleteMessage(messageId) {
    if (await act('deleteMessage', () => path.deleteMessage(messageId))) toast('Message deleted');
    await openTopic(state.topicId);
    await refreshTopics();
  }

  async function endSession(sessionId) {
    await act('endAgentSession', () => path.endAgentSession(sessionId));
    await refreshSessions();
  }

  function wireComposer() {
    const form = $('composer');
    const input = $('composer-input');
    const fileInput = $('composer-file');
    fileInput.addEventListener('change', () => {
      $('attachment-name').textContent = fileInput.files[0]?.name ?? '';
    });
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const content = input.value.trim();
      const file = fileInput.files[0];
      if (!content && !file) return;
      const attachment = file ? { name: file.name, mime: file.type || 'application/octet-stream', data: file } : null;
      const sent = await act('sendMessage', () => path.sendMessage(state.topicId, { content, attachment }));
      if (sent) {
        input.value = '';
        fileInput.value = '';
        $('attachment-name').textContent = '';
      }
      await openTopic(state.topicId);
      await refreshTopics();
    });
    $('start-session').addEventListener('click', async () => {
      await act('startAgentSession', () => path.startAgentSession({ agentId: 'agent-1', topicId: state.topicId }));
      await refreshSessions();
    });
  }

  $('path-badge').textContent = PATH_LABELS[path.name];
  $('path-badge').className = `path-badge ${path.name}`;
  wireComposer();
  status();
  await refreshTopics();
  await refreshSessions();
  const largest = [...state.topics].sort((a, b) => (b.messageCount ?? 0) - (a.messageCount ?? 0))[0];
  if (largest) await openTopic(largest.id);
  return { openTopic, refreshTopics, state };
}
