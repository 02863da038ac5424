"""pymeasure ``Procedure`` classes, one per measurement (Hall loop, switching loop, ...)."""
