"""Model access: the request and usage types, the litellm gateway, and the offline demo writer.

Nothing here imports litellm until a model is called (see `bot.llm.gateway`).
"""
