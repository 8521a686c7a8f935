"""The REST API's project-wide parts; each app's endpoints live in its own `api/` package."""
