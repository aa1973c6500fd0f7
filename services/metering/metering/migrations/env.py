from arcadia_core.migrations import run_env
from metering.adapters.tables import metadata

run_env(metadata)
