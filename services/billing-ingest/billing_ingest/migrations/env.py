from arcadia_core.migrations import run_env
from billing_ingest.adapters.tables import metadata

run_env(metadata)
