"""container-platform: a container platform (ZooKeeper, Mesos, Marathon, Swarm, Spark) as code.

Layers, data flowing one way: ``spec`` (typed, validated environment) -> ``roles`` (pure
ContainerSpecs) -> ``hosts`` (where containers run) -> ``platform`` (ComponentResources) ->
``program`` (what ``__main__.py`` calls).
"""
