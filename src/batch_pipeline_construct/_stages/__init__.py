"""The pipeline's stages (storage, compute, arrival, completion, alarms): internal, not public API."""
