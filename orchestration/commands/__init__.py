"""`adrpulse` subcommands, one module per area. Each module exposes `register(subparsers)`."""
