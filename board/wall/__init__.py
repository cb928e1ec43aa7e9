"""The wall's behaviour: the rules and the service loop that records what they decide."""
