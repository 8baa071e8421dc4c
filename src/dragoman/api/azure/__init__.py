"""The Azure Document Translation front door (batch REST API, api-versions 2024-05-01 and 2026-03-01)."""
