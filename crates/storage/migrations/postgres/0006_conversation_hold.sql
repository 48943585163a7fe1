-- migrations/sqlite/0006_conversation_hold.sql in PostgreSQL's dialect: the time until which
-- a conversation is held by an answer or a confirmation (unix millis); NULL: free.
ALTER TABLE conversations ADD COLUMN busy_until BIGINT;
