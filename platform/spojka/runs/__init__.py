"""Runs of flows and their per-record events."""
