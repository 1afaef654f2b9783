"""Telling merchants what they need to know: e-mails when a flow keeps failing, and when it recovers."""
