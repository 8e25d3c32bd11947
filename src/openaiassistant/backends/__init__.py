"""The backends, one module per API, behind the seam ``base.py`` (docs/architecture.md)."""

__all__: list[str] = []  # its modules are imported by their own names
