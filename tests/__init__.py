"""The test suite; ``tests.support`` holds the fakes the tests and the benchmarks share."""
