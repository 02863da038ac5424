"""Instrument drivers (pymeasure ``Instrument`` classes) and composites such as the electromagnet.

Drivers never know whether the instrument behind their resource is real or simulated.
"""
