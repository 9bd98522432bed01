"""The command set every platform shares: the table, argument parsing, handlers and replies."""
