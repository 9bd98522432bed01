"""The running process: settings, the composition root, the scheduler, the web server, logs."""
