"""Headless study service: queue, rating, undo, leeches, history CSV and settings (never imports textual)."""
