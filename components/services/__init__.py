"""Layer 2 for service stacks: one Compose service rendered for each scheduler.

Pure functions, like the roles: a typed `compose.Service` plus the resolved addresses of what
it depends on in, a Marathon app definition / `docker.Service` arguments / ContainerSpecs out.
"""
