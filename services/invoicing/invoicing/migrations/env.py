from arcadia_core.migrations import run_env
from invoicing.adapters.tables import metadata

run_env(metadata)
