"""The AWS target: network, security groups, IAM, EC2 hosts and agent auto scaling groups.

Hosts that carry quorum roles (ZooKeeper, masters) are EC2 instances with fixed private
addresses, so connect strings never churn; agents are launch templates and auto scaling
groups. Every instance runs its ContainerSpecs from cloud-init (components/hosts/cloud_init.py).
"""
