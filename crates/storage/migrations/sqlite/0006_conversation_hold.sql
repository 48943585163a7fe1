-- While Ask Orgn answers in a conversation, or runs a change the user confirmed there, the
-- conversation is held until this time (unix millis), so that no other server process
-- answers in it at the same time. NULL: free. A process that dies leaves a hold that runs out.
ALTER TABLE conversations ADD COLUMN busy_until INTEGER;
