/** The message pane: one card per message, its blocks in order, edit/delete actions. */

import { el, formatTime } from './dom.js';

function blockView(block) {
  switch (block.type) {
    case 'main_text':
      return el('div', { class: 'block text', dataset: { blockId: block.id } }, block.content);
    case 'code':
      return el('pre', { class: 'block code' }, el('code', {}, block.content));
    case 'thinking':
      return el('details', { class: 'block thinking' }, el('summary', {}, 'Thinking'), block.content);
    case 'file':
      return el('div', { class: 'block file' },
        el('span', { class: 'file-icon' }, 'FILE'), block.content ?? 'attachment');
    default:
      return el('div', { class: 'block unknown' }, `[${block.type}]`);
  }
}

function startEdit(card, message, textBlock, onEdit) {
  const textNode = card.querySelector('.block.text');
  if (!textNode || card.classList.contains('editing')) return;
  card.classList.add('editing');
  const input = el('textarea', { class: 'edit-input', rows: 3 });
  input.value = textBlock?.content ?? '';
  const finish = () => card.classList.remove('editing');
  const save = el('button', {
    class: 'primary small',
    onclick: async () => { finish(); await onEdit(message.id, input.value); },
  }, 'Save');
  const cancel = el('button', { class: 'small', onclick: () => { finish(); editor.replaceWith(textNode); } }, 'Cancel');
  const editor = el('div', { class: 'editor' }, input, el('div', { class: 'editor-actions' }, save, cancel));
  textNode.replaceWith(editor);
  input.focus();
}

/** Render `messages` with their `blocks` into `container`; actions call `onEdit`/`onDelete`. */
export function renderMessages(container, { messages, blocks }, options) {
  const { onEdit, onDelete, emptyText = 'No messages yet.' } = options;
  const blocksByMessage = new Map();
  for (const block of blocks) {
    if (!blocksByMessage.has(block.messageId)) blocksByMessage.set(block.messageId, []);
    blocksByMessage.get(block.messageId).push(block);
  }
  const cards = messages.map((message) => {
    const own = blocksByMessage.get(message.id) ?? [];
    const ordered = message.blocks?.length
      ? message.blocks.map((id) => own.find((b) => b.id === id)).filter(Boolean)
      : own;
    const textBlock = ordered.find((b) => b.type === 'main_text');
    const card = el('article', { class: `message ${message.role}`, dataset: { messageId: message.id } });
    const actions = el('div', { class: 'message-actions' },
      el('button', { class: 'link', onclick: () => startEdit(card, message, textBlock, onEdit) }, 'Edit'),
      el('button', { class: 'link danger', onclick: () => onDelete(message.id) }, 'Delete'),
    );
    card.append(
      el('div', { class: 'avatar' }, message.role === 'user' ? 'U' : 'AI'),
      el('div', { class: 'bubble' },
        el('div', { class: 'message-meta' },
          el('span', { class: 'role' }, message.role === 'user' ? 'You' : 'Assistant'),
          el('time', {}, formatTime(message.createdAt)),
          actions),
        ordered.length ? ordered.map(blockView) : el('div', { class: 'block empty' }, '(no content)')),
    );
    return card;
  });
  container.replaceChildren(...(cards.length ? cards : [el('div', { class: 'empty-state' }, emptyText)]));
  container.scrollTop = container.scrollHeight;
}
