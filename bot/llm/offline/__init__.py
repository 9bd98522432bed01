"""The offline demo writer and the litellm provider that serves it as `chimera/offline-demo`."""
