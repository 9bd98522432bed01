"""The room modes: one runner per mode (chat, debate, consortium, compare) behind one Protocol."""
