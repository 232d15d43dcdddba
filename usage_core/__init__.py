"""Framework-free core of the tenant-facing LiteLLM usage dashboard."""
