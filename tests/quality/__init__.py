"""The code is lint-, format- and type-clean."""
