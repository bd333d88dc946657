"""Search quality: realistic queries against the demo directory with expected results."""
