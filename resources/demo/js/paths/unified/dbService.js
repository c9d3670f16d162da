/**
 * The unified data path ("messageThunk.v2" over a DbService facade): one service object routes
 * topics, messages, blocks, files and agent sessions through the common Repository, and every
 * operation passes one wrapper (`#run`) that logs failures with context 'DbService' and is where
 * the injected faults act. Same operations and results as ../original.js.
 */

import { loggerService } from '../../logger.js';
import { DATA_STORES } from '../../storage/idb.js';
import { byCreatedAt, composeMessage, fileMeta, isoTime, mainTextBlock, sessionRecord } from '../../storage/model.js';
import { Repository } from './repository.js';

export class DbService {
  name = 'unified';
  #log = loggerService.withContext('DbService');

  /** `faults`: a FaultInjector (armed only when this is the active path). */
  constructor(db, faults) {
    this.repository = new Repository(db);
    this.faults = faults;
  }

  /** `slowedByBody`: the body applied the slow fault itself (as real extra reads). */
  async #run(operation, body, { slowedByBody = false } = {}) {
    try {
      this.faults.beforeOperation();
      const t0 = performance.now();
      const result = await body(this.repository);
      if (!slowedByBody) await this.faults.afterOperation(performance.now() - t0);
      return result;
    } catch (error) {
      this.#log.error(`${operation} failed: ${error?.message ?? error}`);
      throw error;
    }
  }

  listTopics() {
    return this.#run('listTopics', async (repo) => {
      const topics = await repo.topics();
      const counts = await repo.read(['messages'], (uow) =>
        Promise.all(topics.map((topic) => uow.countByIndex('messages', 'topicId', topic.id))),
      );
      return topics
        .map((topic, i) => ({ ...topic, messageCount: counts[i] }))
        .sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1));
    });
  }

  loadTopicMessages(topicId) {
    return this.#run('loadTopicMessages', async (repo) => {
      const query = {
        store: 'messages', index: 'topicId', key: topicId,
        childStore: 'message_blocks', childIndex: 'messageId', sort: byCreatedAt,
      };
      const { parents, children } = await repo.findTree(query);
      await this.faults.repeatRead(
        () => repo.findTree(query),
        (fraction) => repo.findTree({ ...query, limit: Math.max(1, Math.round(fraction * parents.length)) }),
      );
      return this.faults.loseOnRead({ messages: parents, blocks: children });
    }, { slowedByBody: true });
  }

  sendMessage(topicId, { content, attachment = null }) {
    return this.#run('sendMessage', async (repo) => {
      const composed = this.faults.loseOnWrite(composeMessage(topicId, { content, attachment }));
      const topic = (await repo.topics()).find((t) => t.id === topicId);
      await repo.write(['topics', 'messages', 'message_blocks', 'files'], (uow) => {
        if (composed.file) uow.put('files', composed.file);
        for (const block of composed.blocks) uow.put('message_blocks', block);
        uow.put('messages', composed.message);
        if (topic) uow.put('topics', { ...topic, updatedAt: composed.message.createdAt });
      });
      return { message: composed.message, blocks: composed.blocks, file: fileMeta(composed.file) };
    });
  }

  editMessage(messageId, content) {
    return this.#run('editMessage', (repo) =>
      repo.write(['messages', 'message_blocks'], async (uow) => {
        const message = await uow.get('messages', messageId);
        if (!message) throw new Error(`message ${messageId} not found`);
        const block = mainTextBlock(await uow.findByIndex('message_blocks', 'messageId', messageId));
        if (!block) throw new Error(`message ${messageId} has no text block`);
        const updated = { ...message, updatedAt: isoTime() };
        uow.put('message_blocks', { ...block, content });
        uow.put('messages', updated);
        return updated;
      }),
    );
  }

  deleteMessage(messageId) {
    return this.#run('deleteMessage', (repo) =>
      repo.write(['messages', 'message_blocks', 'files'], async (uow) => {
        if (!(await uow.get('messages', messageId))) throw new Error(`message ${messageId} not found`);
        const blocks = await uow.findByIndex('message_blocks', 'messageId', messageId);
        for (const block of blocks) {
          if (block.fileId) uow.delete('files', block.fileId);
          uow.delete('message_blocks', block.id);
        }
        uow.delete('messages', messageId);
        return { messageId, blocks: blocks.length };
      }),
    );
  }

  startAgentSession({ agentId, topicId }) {
    return this.#run('startAgentSession', async (repo) => {
      const session = sessionRecord({ agentId, topicId });
      await repo.write(['agent_sessions'], (uow) => uow.put('agent_sessions', session));
      return session;
    });
  }

  endAgentSession(sessionId) {
    return this.#run('endAgentSession', (repo) =>
      repo.write(['agent_sessions'], async (uow) => {
        const session = await uow.get('agent_sessions', sessionId);
        if (!session) throw new Error(`agent session ${sessionId} not found`);
        const ended = { ...session, status: 'ended', endedAt: isoTime() };
        uow.put('agent_sessions', ended);
        return ended;
      }),
    );
  }

  listAgentSessions() {
    return this.#run('listAgentSessions', (repo) =>
      repo.read(['agent_sessions'], (uow) => uow.getAll('agent_sessions')),
    );
  }

  countEntries() {
    return this.#run('countEntries', (repo) =>
      repo.read(DATA_STORES, async (uow) => {
        const counts = await Promise.all(DATA_STORES.map((store) => uow.count(store)));
        return Object.fromEntries(DATA_STORES.map((store, i) => [store, counts[i]]));
      }),
    );
  }

  dispose() {
    this.faults.dispose();
  }
}
