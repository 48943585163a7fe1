-- Whether the web app's single-key shortcuts (c, a, /, j, k, x, ?, g i...) are on for this
-- person. Someone using speech input or a switch device may turn them off (WCAG 2.1.4);
-- shortcuts with Ctrl or Cmd stay on. On unless turned off.
ALTER TABLE users ADD COLUMN single_key_shortcuts INTEGER NOT NULL DEFAULT 1;
