"""Reliability: nothing lost, nothing injected, under crashes, concurrency and hostile input."""
