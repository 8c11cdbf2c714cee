"""Public images, pinned to tags that work together (the version matrix in README.md).

Mesos 1.7 is the Mesos line that Marathon 1.7 was built and tested against; the Marathon app
JSON schema in ``../shared/reference/marathon`` is the one Marathon 1.7 ships. ZooKeeper 3.8
serves the 3.4 client that Mesos 1.7 and Marathon 1.7 embed, and is the series Debian 12
packages, so the ensemble the tests run for real is the same server line as the image.
"""

ZOOKEEPER = "zookeeper:3.8.4"
MESOS_MASTER = "mesosphere/mesos-master:1.7.0"
MESOS_AGENT = "mesosphere/mesos-slave:1.7.0"
MARATHON = "mesosphere/marathon:v1.7.50"
MARATHON_LB = "mesosphere/marathon-lb:v1.14.1"
# The Spark image matches the pyspark wheel the real tests run (same release), so the files
# and commands the tests start Spark from are the ones the containers get.
SPARK = "apache/spark:3.5.7"
SPARK_VERSION = "3.5.7"
