"""Links: pairings of an e-shop with an accounting connection, and their flows' settings."""
