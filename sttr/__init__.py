"""sttr: the runnable companion to ST-TR (Plizzari, Cannici, Matteucci), skeleton-based action recognition."""

__version__ = "0.1.0"
