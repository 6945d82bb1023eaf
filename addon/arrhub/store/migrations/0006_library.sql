-- The library cache (LIB-1, LIB-2, LIB-3): every *arr's titles and their episodes/albums.
-- Rows are keyed by (instance_id, type, upstream_id); `hash` is a digest of the content
-- the adapter reported, so a refresh rewrites only rows whose content changed.
-- `file_at`: when the title's file(s) arrived (the upstream's date when it gives one, else
-- an estimate, see docs/api.md); `added` on children: the parent's when first seen in the
-- instance's first refresh, else when the cache first saw it.

CREATE TABLE IF NOT EXISTS library_items (
    id                 INTEGER PRIMARY KEY,
    instance_id        TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    type               TEXT NOT NULL CHECK (type IN ('movie', 'series', 'artist')),
    upstream_id        INTEGER NOT NULL,
    title              TEXT NOT NULL,
    sort_title         TEXT,
    -- the title casefolded with diacritics removed (typo scoring, exports)
    fold               TEXT NOT NULL,
    -- the sort title (or title), folded: what `sort=title` orders by
    sort_key           TEXT NOT NULL,
    year               INTEGER,
    status             TEXT,
    monitored          INTEGER NOT NULL DEFAULT 0,
    quality_profile_id INTEGER,
    quality            TEXT,
    genres             TEXT NOT NULL DEFAULT '[]',
    tags               TEXT NOT NULL DEFAULT '[]',
    rating             REAL,
    size_on_disk       INTEGER NOT NULL DEFAULT 0,
    added              TEXT,
    has_file           INTEGER NOT NULL DEFAULT 0,
    child_count        INTEGER NOT NULL DEFAULT 0,
    file_count         INTEGER NOT NULL DEFAULT 0,
    missing_count      INTEGER NOT NULL DEFAULT 0,
    cutoff_unmet       INTEGER NOT NULL DEFAULT 0,
    tmdb_id            INTEGER,
    tvdb_id            INTEGER,
    imdb_id            TEXT,
    musicbrainz_id     TEXT,
    overview           TEXT,
    poster_url         TEXT,
    path               TEXT,
    in_cinemas         TEXT,
    digital_release    TEXT,
    physical_release   TEXT,
    file_at            TEXT,
    hash               INTEGER NOT NULL,
    -- series: the signature (statistics, airings) its cached episodes were read under;
    -- a refresh re-reads the episodes only when the series' signature moved
    children_sig       INTEGER,
    updated_at         TEXT NOT NULL,
    UNIQUE (instance_id, type, upstream_id)
);
CREATE INDEX IF NOT EXISTS library_items_sort ON library_items (sort_key, id);
CREATE INDEX IF NOT EXISTS library_items_added ON library_items (added);
CREATE INDEX IF NOT EXISTS library_items_tmdb ON library_items (tmdb_id) WHERE tmdb_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS library_items_tvdb ON library_items (tvdb_id) WHERE tvdb_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS library_items_mbid ON library_items (musicbrainz_id)
    WHERE musicbrainz_id IS NOT NULL;

-- Word index: prefix queries ("star wa"), diacritics folded ("amelie" finds "Amélie").
CREATE VIRTUAL TABLE IF NOT EXISTS library_fts USING fts5 (
    title, sort_title,
    content = 'library_items', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
-- Every word of the word index with the number of titles holding it: the vocabulary that
-- typo-tolerant search corrects a misspelt word against ("interstelar" -> "interstellar").
CREATE VIRTUAL TABLE IF NOT EXISTS library_fts_vocab USING fts5vocab (library_fts, 'row');

CREATE TRIGGER IF NOT EXISTS library_items_ai AFTER INSERT ON library_items BEGIN
    INSERT INTO library_fts (rowid, title, sort_title) VALUES (new.id, new.title, new.sort_title);
END;
CREATE TRIGGER IF NOT EXISTS library_items_ad AFTER DELETE ON library_items BEGIN
    INSERT INTO library_fts (library_fts, rowid, title, sort_title)
        VALUES ('delete', old.id, old.title, old.sort_title);
END;
CREATE TRIGGER IF NOT EXISTS library_items_au AFTER UPDATE OF title, sort_title
    ON library_items
    WHEN old.title IS NOT new.title OR old.sort_title IS NOT new.sort_title
BEGIN
    INSERT INTO library_fts (library_fts, rowid, title, sort_title)
        VALUES ('delete', old.id, old.title, old.sort_title);
    INSERT INTO library_fts (rowid, title, sort_title) VALUES (new.id, new.title, new.sort_title);
END;

CREATE TABLE IF NOT EXISTS library_children (
    instance_id        TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    type               TEXT NOT NULL CHECK (type IN ('episode', 'album')),
    upstream_id        INTEGER NOT NULL,
    parent_upstream_id INTEGER NOT NULL,
    season_number      INTEGER,
    episode_number     INTEGER,
    title              TEXT,
    air_date           TEXT,
    monitored          INTEGER NOT NULL DEFAULT 0,
    has_file           INTEGER NOT NULL DEFAULT 0,
    quality            TEXT,
    size_on_disk       INTEGER NOT NULL DEFAULT 0,
    cutoff_unmet       INTEGER NOT NULL DEFAULT 0,
    added              TEXT,
    file_at            TEXT,
    hash               INTEGER NOT NULL,
    updated_at         TEXT NOT NULL,
    PRIMARY KEY (instance_id, type, upstream_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS library_children_parent
    ON library_children (instance_id, parent_upstream_id);

-- The last refresh of each instance: when, whether it completed, what changed.
CREATE TABLE IF NOT EXISTS library_refreshes (
    instance_id  TEXT PRIMARY KEY REFERENCES instances (id) ON DELETE CASCADE,
    refreshed_at TEXT NOT NULL,
    ok           INTEGER NOT NULL,
    error        TEXT,
    last_ok_at   TEXT
);
