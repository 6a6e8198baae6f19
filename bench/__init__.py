"""Benchmark harness and synthetic corpus generator (issue 7); not shipped."""
