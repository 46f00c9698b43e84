"""Task modules for the peers (and pyasynq) that the benchmark starts as worker processes.

Each module is imported only by its own worker, so a worker's memory figure holds only its own
library. Every module reads the private benchmark Redis from ``BENCH_REDIS_URL``.
"""
