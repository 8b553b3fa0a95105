"""Clinic insights, purely: the figures of a period (figures.py) and their SVG charts (charts.py)."""
