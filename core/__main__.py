"""`python -m core ...`: the product's commands, plus the developer ones (demo data, benchmarks) wired in here,
the one place that may know the sandbox and the benchmarks."""

import sys

from benchmarks.commands import register as benchmark_commands
from cli.main import main
from sandbox.commands import register as demo_commands

sys.exit(main(extra=(demo_commands, benchmark_commands)))
