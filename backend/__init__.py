"""HTTP, Label Studio, Redis and RQ jobs."""
from backend.app import create_app

__all__ = ['create_app']
