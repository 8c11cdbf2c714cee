"""Layer 4: the platform's ComponentResources, wired to each other by outputs."""
