// The results database's schema, as numbered migrations. PRAGMA user_version
// holds the number applied; opening applies the rest in one transaction, and
// a database from a newer imlage is refused instead of being misread.

export const MIGRATIONS: string[] = [
  // 1: files by path (size + mtime decide whether to hash again), results by
  // content hash x plugin x plugin version x settings, tags per result, and
  // which result is current for each path and plugin.
  `CREATE TABLE files (
     path TEXT PRIMARY KEY,
     size INTEGER NOT NULL,
     mtime_ms INTEGER NOT NULL,
     hash TEXT NOT NULL,
     error TEXT,
     seen_at INTEGER NOT NULL
   );
   CREATE TABLE results (
     id INTEGER PRIMARY KEY,
     hash TEXT NOT NULL,
     plugin TEXT NOT NULL,
     version TEXT NOT NULL,
     settings TEXT NOT NULL,
     model TEXT NOT NULL,
     error TEXT,
     tagged_at INTEGER NOT NULL,
     UNIQUE (hash, plugin, version, settings)
   );
   CREATE TABLE tags (
     result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
     label TEXT NOT NULL,
     confidence REAL NOT NULL,
     category TEXT
   );
   CREATE INDEX tags_result ON tags(result_id);
   CREATE INDEX tags_label ON tags(label);
   CREATE TABLE current (
     path TEXT NOT NULL REFERENCES files(path) ON DELETE CASCADE,
     plugin TEXT NOT NULL,
     result_id INTEGER NOT NULL REFERENCES results(id),
     PRIMARY KEY (path, plugin)
   );`,
  // 2: a detector's tag says how many of its boxes stand behind it (how many faces).
  'ALTER TABLE tags ADD COLUMN count INTEGER;',
  // 3: a detector's boxes, in pixels of the picture as displayed, best first
  // (rowid order); region_count is NULL for a plugin that gives none, so an
  // export tells "no boxes found" (0) from "not a detector".
  `CREATE TABLE regions (
     result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
     label TEXT NOT NULL,
     confidence REAL NOT NULL,
     x INTEGER NOT NULL,
     y INTEGER NOT NULL,
     w INTEGER NOT NULL,
     h INTEGER NOT NULL
   );
   CREATE INDEX regions_result ON regions(result_id);
   ALTER TABLE results ADD COLUMN region_count INTEGER;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
