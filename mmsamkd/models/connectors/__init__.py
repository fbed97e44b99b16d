from .linear_connector import LinearConnector

__all__ = ['LinearConnector']
