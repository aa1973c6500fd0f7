from arcadia_core.migrations import run_env
from inventory.adapters.tables import metadata

run_env(metadata)
