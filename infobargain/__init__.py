"""infobargain: information bargaining between a sender and a receiver, as a game, a theory and an RL environment."""

__version__ = "0.1.0"
