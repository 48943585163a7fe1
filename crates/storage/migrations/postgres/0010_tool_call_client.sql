-- Which MCP client made each tool call (its clientInfo name, or an OAuth app's registered
-- name), for the activity list on Settings → MCP Access. NULL: not known.
ALTER TABLE tool_calls ADD COLUMN client TEXT;
