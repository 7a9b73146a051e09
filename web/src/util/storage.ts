// Saved questions and query history, kept in localStorage until the API stores them.
export interface SavedQuestion {
  name: string;
  query: string;
}

const HISTORY = 'defender-graph.history';
const SAVED = 'defender-graph.saved';
const HISTORY_SIZE = 20;

function read<T>(key: string): T[] {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(key) ?? '[]');
    return Array.isArray(value) ? (value as T[]) : [];
  } catch {
    return [];
  }
}

export function history(): string[] {
  return read<string>(HISTORY).filter((q) => typeof q === 'string');
}

export function remember(query: string): string[] {
  const next = [query, ...history().filter((q) => q !== query)].slice(0, HISTORY_SIZE);
  localStorage.setItem(HISTORY, JSON.stringify(next));
  return next;
}

export function savedQuestions(): SavedQuestion[] {
  return read<SavedQuestion>(SAVED).filter(
    (s) => typeof s?.name === 'string' && typeof s.query === 'string',
  );
}

export function saveQuestion(question: SavedQuestion): SavedQuestion[] {
  const next = [question, ...savedQuestions().filter((s) => s.name !== question.name)];
  localStorage.setItem(SAVED, JSON.stringify(next));
  return next;
}

export function deleteQuestion(name: string): SavedQuestion[] {
  const next = savedQuestions().filter((s) => s.name !== name);
  localStorage.setItem(SAVED, JSON.stringify(next));
  return next;
}
