"""SparkPi in Python: the platform's smoke test after a deploy (the pyspark wheel has no
examples jar). Deterministic: partition i draws from a generator seeded with i.

    spark-submit [options] examples/spark/pi.py [partitions]
"""
import random
import sys
from operator import add

from pyspark.sql import SparkSession

SAMPLES_PER_PARTITION = 100_000


def inside(index, _rows):
    rng = random.Random(index)
    hits = 0
    for _ in range(SAMPLES_PER_PARTITION):
        x, y = rng.random() * 2 - 1, rng.random() * 2 - 1
        hits += x * x + y * y <= 1
    yield hits


if __name__ == "__main__":
    partitions = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    spark = SparkSession.builder.appName("PythonPi").getOrCreate()
    hits = spark.sparkContext.parallelize(range(partitions), partitions).mapPartitionsWithIndex(inside).reduce(add)
    print(f"Pi is roughly {4.0 * hits / (partitions * SAMPLES_PER_PARTITION):.6f}")
    spark.stop()
