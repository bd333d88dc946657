"""Service functions: every write goes through here, with its audit and outbox rows."""
