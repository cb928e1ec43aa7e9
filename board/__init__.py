"""The wall's domain: rules, the service loop that owns state, config, CLI."""
