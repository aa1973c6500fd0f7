"""Pure metering rules: no I/O, no framework imports."""
