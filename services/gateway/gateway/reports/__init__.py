"""Reports and exports composed from the services' HTTP APIs (the gateway owns no data).

`domain/` holds the pure rules (margin, leakage, FOCUS rows and their checks) over the types in
`domain/sources.py`; `ports.py` names what they read; `adapters/` fetch it over the services' APIs
(or from memory, in tests); `api.py` is the HTTP entry point.
"""
