"""General helpers, tied to no model, dataset or tool."""
from .isolated_jobs import run_isolated

__all__ = ['run_isolated']
