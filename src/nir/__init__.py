"""NIR og Bosetting: the national introduction register and settlement system."""

__version__ = "0.1.0"
