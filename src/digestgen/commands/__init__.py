"""One module per command: HELP, configure(parser) and run(args) -> exit code."""
