"""A Pulumi program of its own that reuses two of the platform's components, and nothing else:
this machine's Docker engine (`LocalHost`) and a three-node ZooKeeper ensemble on it
(`ZooKeeperEnsemble`, quorum-safe changes included).

    pip install ../..        # the container-platform package (pyproject.toml)
    pulumi up
"""
import pulumi

from components.hosts.local import LocalHost
from components.platform.zookeeper import ZooKeeperEnsemble, ZooKeeperEnsembleArgs
from components.spec.model import ZooKeeper

here = LocalHost("here")
# Ports clear of the platform's own ensemble (2181-2183), should both run on this machine.
settings = ZooKeeper(count=3, client_port=12181, peer_port=12888, election_port=13888)
ensemble = ZooKeeperEnsemble("zk", ZooKeeperEnsembleArgs.on([here], settings, platform_name="zk-example"))
here.finish()

pulumi.export("connect_string", ensemble.connect_string)
