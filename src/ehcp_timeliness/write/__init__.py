"""Writing results: the case list, the board pack, CSV files, all atomically."""
