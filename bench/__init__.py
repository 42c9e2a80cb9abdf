"""drawledger benchmarks: ``python -m bench`` (see docs/PERFORMANCE.md).

Each benchmark module (``append``, ``verify_rate``, ``seal``) has a ``run(config)`` that returns
a list of :class:`bench.common.Figure`; every figure is a ratio against a reference measured in
the same process, in the same run, interleaved with it, so that a noisy shared machine moves both
sides together. Nothing here is imported by the tests; there are no timed assertions anywhere.
"""
