"""Type checkers reject wrongly typed props."""
