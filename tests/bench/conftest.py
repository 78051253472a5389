"""The benchmarks are a script (``make bench``), not tests: pytest never collects here."""

collect_ignore_glob = ["*"]
