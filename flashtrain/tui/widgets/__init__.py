"""Reusable widgets for the study app."""
