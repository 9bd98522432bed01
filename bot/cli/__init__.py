"""The `chimera` command line: the demo, `serve`, and one-off commands in the terminal."""
