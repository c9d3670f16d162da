/**
 * The redux-persist item Cherry Studio keeps in localStorage (`persist:cherry-studio`): nested
 * JSON strings, provider API keys among them. The demo writes one on first start (a random,
 * obviously fake `sk-demo-…` key) so flagdeck's backups and evidence have a real secret to redact.
 */

export const PERSIST_KEY = 'persist:cherry-studio';

export function ensurePersistedState() {
  if (localStorage.getItem(PERSIST_KEY) !== null) return false;
  const apiKey = `sk-demo-${crypto.randomUUID().replaceAll('-', '')}`;
  localStorage.setItem(PERSIST_KEY, JSON.stringify({
    llm: JSON.stringify({
      providers: [
        { id: 'openai', name: 'OpenAI', apiKey, apiHost: 'https://api.openai.com', enabled: true },
        { id: 'ollama', name: 'Ollama', apiKey: '', apiHost: 'http://localhost:11434', enabled: false },
      ],
    }),
    settings: JSON.stringify({ language: 'en-US', theme: 'light', showAssistants: true }),
    _persist: JSON.stringify({ version: 1, rehydrated: true }),
  }));
  return true;
}
