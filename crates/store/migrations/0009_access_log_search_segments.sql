
-- The search index moves: on SQLite into a file of its own beside the database (see
-- `SEARCH_SCHEMA`), on PostgreSQL into segments. It is derived from the events, so the old one
-- is dropped and the indexer rebuilds the new one from index 0.
DROP TABLE access_index;
DROP TABLE access_index_state;
