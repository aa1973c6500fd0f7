"""Metering's use cases: called by the API, the bus consumers, the jobs and the CLI alike."""
