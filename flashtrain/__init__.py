"""flashtrain: a terminal spaced-repetition trainer for deep-learning knowledge."""

__version__ = "0.1.0"
