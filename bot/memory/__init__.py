"""Per-tenant memory: room turns, persona positions, summaries and documents, on Chroma.

Import the modules you need (`bot.memory.interface` for the Protocol and its types,
`bot.memory.factory` to open the store): importing this package loads neither Chroma nor
onnxruntime.
"""
