"""The platform-neutral core: rooms, their modes and runners, turns, votes and results."""
