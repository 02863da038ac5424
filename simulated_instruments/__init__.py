"""The simulated bench: SCPI instrument models answering from ``labspin.physics``."""
