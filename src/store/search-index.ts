import type { Dialect, SqlConnection } from './sql/connection.js';

/**
 * The full-text index behind J1QL's `FIND "term"`: every live entity's `_type` and string
 * property values, cut into words the same way on both databases (ASCII letters folded to lower
 * case; any ASCII character other than a letter or digit separates words; other characters
 * belong to words). SQLite keeps them in an FTS5 index (its `ascii` tokenizer cuts exactly so),
 * PostgreSQL in a tsvector built from the words as they are, under a GIN index.
 */

/** ASCII characters other than letters and digits, as a regular-expression class body. */
const SEPARATORS = '\\x01-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\x7f';

/** PostgreSQL's tsvector limits, with room for its per-lexeme overhead (see insertRows). */
const PG_MAX_WORD_BYTES = 1000;
const PG_MAX_WORDS = 900;

/** The words of a search term, cut as the index cuts values. */
export function searchWords(text: string): string[] {
  return text
    .replace(/[A-Z]/g, (c) => c.toLowerCase())
    .split(new RegExp(`[\\x00${SEPARATORS}]+`))
    .filter((word) => word !== '');
}

/** The text indexed for entity row `e`: its type and every string in its properties. */
function indexedText(dialect: Dialect): string {
  return dialect === 'sqlite'
    ? `e.type || ' ' || coalesce((SELECT group_concat(t.atom, ' ') FROM json_tree(e.properties) t WHERE t.type = 'text'), '')`
    : `e.type || ' ' || coalesce((SELECT string_agg(v #>> '{}', ' ') FROM jsonb_path_query(e.properties, 'strict $.**') v WHERE jsonb_typeof(v) = 'string'), '')`;
}

/** `INSERT … SELECT` of the index rows of the live entities matching `where` (on `e`). */
function insertRows(dialect: Dialect, where: string): string {
  if (dialect === 'sqlite')
    return `INSERT INTO entity_search (instance_id, key, words)
      SELECT e.instance_id, e.key, ${indexedText(dialect)} FROM entities e WHERE e.deleted = 0 AND ${where}`;
  const lower = `translate(${indexedText(dialect)}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')`;
  // A tsvector holds lexemes under 2 KiB and at most 1 MiB in all: longer words and words past the
  // first ${PG_MAX_WORDS} (in code-point order) of one entity are not indexed on PostgreSQL.
  return `INSERT INTO entity_search (instance_id, key, words)
    SELECT e.instance_id, e.key,
      array_to_tsvector(ARRAY(SELECT DISTINCT word COLLATE "C" FROM unnest(regexp_split_to_array(${lower}, '[${SEPARATORS}]+')) AS t(word)
        WHERE word <> '' AND octet_length(word) <= ${PG_MAX_WORD_BYTES} ORDER BY 1 LIMIT ${PG_MAX_WORDS}))
    FROM entities e WHERE e.deleted = FALSE AND ${where}`;
}

/** Schema of the index, filled from the entities already stored (migration 3). */
export function searchIndexSchema(dialect: Dialect): string[] {
  if (dialect === 'postgres')
    return [
      `CREATE TABLE entity_search (instance_id TEXT NOT NULL, key TEXT NOT NULL, words TSVECTOR NOT NULL,
  PRIMARY KEY (instance_id, key))`,
      `CREATE INDEX entity_search_words ON entity_search USING GIN (words)`,
      insertRows(dialect, 'TRUE'),
    ];
  // The FTS5 index follows a plain table (external content): rows are found by key there,
  // and its INTEGER PRIMARY KEY, unlike an implicit rowid, survives VACUUM.
  return [
    `CREATE TABLE entity_search (id INTEGER PRIMARY KEY, instance_id TEXT NOT NULL, key TEXT NOT NULL,
  words TEXT NOT NULL, UNIQUE (instance_id, key))`,
    `CREATE VIRTUAL TABLE entity_search_words USING fts5(words, content='entity_search', content_rowid='id', tokenize='ascii')`,
    `CREATE TRIGGER entity_search_added AFTER INSERT ON entity_search BEGIN
  INSERT INTO entity_search_words (rowid, words) VALUES (new.id, new.words); END`,
    `CREATE TRIGGER entity_search_removed AFTER DELETE ON entity_search BEGIN
  INSERT INTO entity_search_words (entity_search_words, rowid, words) VALUES ('delete', old.id, old.words); END`,
    insertRows(dialect, '1 = 1'),
  ];
}

/** Re-indexes the entities a sync wrote (created, changed or deleted), inside its commit. */
export async function refreshEntitySearch(
  db: SqlConnection,
  instanceId: string,
  syncId: number,
): Promise<void> {
  await db.run(
    `DELETE FROM entity_search WHERE instance_id = ?
       AND key IN (SELECT key FROM entities WHERE instance_id = ? AND sync_id = ?)`,
    [instanceId, instanceId, syncId],
  );
  await db.run(insertRows(db.dialect, 'e.instance_id = ? AND e.sync_id = ?'), [instanceId, syncId]);
}
