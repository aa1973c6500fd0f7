from arcadia_core.migrations import run_env
from drift.adapters.tables import metadata

run_env(metadata)
