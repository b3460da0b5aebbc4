from core.memory import return_freed_memory_promptly

# Before anything imports polars: `python -m core` (CLI, worker, benchmarks) loads this package first.
return_freed_memory_promptly()
