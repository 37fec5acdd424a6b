"""The scale-out engine: the lake's writes and the heavy gold builds on pyspark + delta-spark."""
