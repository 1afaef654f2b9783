"""``spojka demo``: the platform with a simulated shop and accounting company, live."""
