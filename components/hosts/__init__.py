"""Layer 3: where containers run. Every host has a `name`, an `address` output and `run()`."""
