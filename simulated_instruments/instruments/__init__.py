"""One SCPI model per instrument type; each only translates commands into bench calls."""
