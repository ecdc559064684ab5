"""`make bench`: the figures that say the system is fast and cheap (issue 8), each against a baseline measured in
the same run. `python -m bench [--quick]` prints one table and writes bench/results.json; see bench/README.md."""
