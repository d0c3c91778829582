"""Benchmarks (make bench): each a ratio measured in one run on this machine, written to bench/results.json
and printed as the markdown table the README shows. Not tests: nothing here asserts a speed."""

import os

# Before the functions' modules create their loggers and metrics, which read these once: a log line per
# delivery would drown the figures, and metrics need the namespace the template gives them.
os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "mailhooks"
# As in Lambda, whose botocore (the layer's) has no awscrt to sign requests with, where the virtual
# environment's has it: botocore's own SigV4, some 0.15 ms of CPU less per call here.
os.environ["BOTO_DISABLE_CRT"] = "true"
