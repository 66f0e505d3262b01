"""The statutory clocks: rules kept as data, and the engine that evaluates them."""
