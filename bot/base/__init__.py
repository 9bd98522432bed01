"""The room model and the small primitives every layer shares: clock, tasks, locks, text."""
