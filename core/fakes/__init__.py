"""Real HTTP servers on 127.0.0.1 that stand in for vendors in tests, benchmarks and the demo."""
