-- migrations/sqlite/0008_single_key_shortcuts.sql in PostgreSQL's dialect: whether the web
-- app's single-key shortcuts are on for this person (WCAG 2.1.4); on unless turned off.
ALTER TABLE users ADD COLUMN single_key_shortcuts BOOLEAN NOT NULL DEFAULT TRUE;
