"""The operator commands: re-drive, reprocess and inspect a deployed pipeline."""
